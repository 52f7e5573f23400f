// jobs/batch_store.h: the queue's states, exactly-once commits and counters.
#include "jobs/batch_store.h"

#include <gtest/gtest.h>

#include "jobs_test_db.h"

namespace hearth::jobs {
namespace {

NewBatch three_lines() {
  NewBatch batch;
  batch.endpoint = "/v1/chat/completions";
  batch.model = "tiny";
  batch.input_file_id = "file-in";
  batch.key_name = "alice";
  batch.data_class = "confidential";
  for (const char* id : {"a", "b", "c"}) batch.lines.push_back(BatchLineInput{id, std::string("{\"id\":\"") + id + "\"}"});
  return batch;
}

LineResult result(bool success, std::string line, int64_t tokens_in = 3, int64_t tokens_out = 5) {
  return LineResult{success, std::move(line), BatchTokens{tokens_in, 1, tokens_out}};
}

TEST(BatchStore, CreateCommitFinalize) {
  test::JobsDb env;
  ASSERT_TRUE(env.db);
  auto store = BatchStore::open(*env.db, env.clock());
  ASSERT_TRUE(store.ok()) << store.status().message();
  auto batch = store->create(three_lines());
  ASSERT_TRUE(batch.ok()) << batch.status().message();
  EXPECT_EQ(batch->status, BatchStatus::kInProgress);
  EXPECT_EQ(batch->n_total, 3);
  EXPECT_EQ(batch->data_class, "confidential");
  EXPECT_EQ(batch->expires_at_s, 1'700'000'000 + 24 * 3600);

  auto pending = store->pending_lines(batch->id, -1, 10);
  ASSERT_TRUE(pending.ok());
  ASSERT_EQ(pending->size(), 3u);
  EXPECT_EQ((*pending)[1].custom_id, "b");

  // Lines commit out of order; a second commit of a line changes nothing.
  auto first = store->commit_line(batch->id, 2, result(true, "out-c"));
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(*first);
  auto again = store->commit_line(batch->id, 2, result(false, "other"));
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  ASSERT_TRUE(store->commit_line(batch->id, 0, result(false, "err-a")).ok());
  EXPECT_EQ(store->commit_line(batch->id, 7, result(true, "x")).status().code(), ErrorCode::kNotFound);

  auto after = store->get(batch->id);
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(after->n_completed, 1);
  EXPECT_EQ(after->n_failed, 1);
  EXPECT_EQ(after->tokens.input_tokens, 6);
  EXPECT_EQ(after->tokens.output_tokens, 10);
  auto left = store->pending_lines(batch->id, -1, 10);
  ASSERT_TRUE(left.ok());
  ASSERT_EQ(left->size(), 1u);
  EXPECT_EQ((*left)[0].line_idx, 1);

  ASSERT_TRUE(store->commit_line(batch->id, 1, result(true, "out-b")).ok());
  ASSERT_TRUE(store->mark_finalizing(batch->id).ok());
  auto outputs = store->outputs(batch->id);
  ASSERT_TRUE(outputs.ok());
  EXPECT_EQ(outputs->output, "out-b\nout-c\n");  // input order
  EXPECT_EQ(outputs->errors, "err-a\n");
  ASSERT_TRUE(store->finish(batch->id, BatchStatus::kCompleted, "file-o", std::nullopt).ok());
  auto done = store->get(batch->id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->status, BatchStatus::kCompleted);
  EXPECT_EQ(done->output_file_id, "file-o");
  EXPECT_FALSE(done->error_file_id.has_value());
  EXPECT_TRUE(done->completed_at_s.has_value());
  EXPECT_EQ(store->request_cancel(batch->id).status().code(), ErrorCode::kFailedPrecondition);
}

TEST(BatchStore, FailedAtCreateAndCancel) {
  test::JobsDb env;
  ASSERT_TRUE(env.db);
  auto store = BatchStore::open(*env.db, env.clock());
  ASSERT_TRUE(store.ok());
  NewBatch bad = three_lines();
  bad.errors_json = "[{\"code\":\"x\"}]";
  auto failed = store->create(std::move(bad));
  ASSERT_TRUE(failed.ok());
  EXPECT_EQ(failed->status, BatchStatus::kFailed);
  EXPECT_EQ(failed->n_total, 0);
  EXPECT_TRUE(failed->failed_at_s.has_value());
  auto none = store->pending_lines(failed->id, -1, 10);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());

  auto batch = store->create(three_lines());
  ASSERT_TRUE(batch.ok());
  auto cancelling = store->request_cancel(batch->id);
  ASSERT_TRUE(cancelling.ok());
  EXPECT_EQ(cancelling->status, BatchStatus::kCancelling);
  auto twice = store->request_cancel(batch->id);
  ASSERT_TRUE(twice.ok());
  EXPECT_EQ(twice->status, BatchStatus::kCancelling);
  auto active = store->active();
  ASSERT_TRUE(active.ok());
  ASSERT_EQ(active->size(), 1u);
  EXPECT_EQ((*active)[0].id, batch->id);
  EXPECT_EQ(store->get("batch_nope").status().code(), ErrorCode::kNotFound);

  bool has_more = false;
  auto listed = store->list("alice", "", 1, &has_more);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 1u);
  EXPECT_EQ((*listed)[0].id, batch->id);  // newest first
  EXPECT_TRUE(has_more);
  auto next = store->list("alice", batch->id, 10, &has_more);
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(next->size(), 1u);
  EXPECT_EQ((*next)[0].id, failed->id);
  EXPECT_FALSE(has_more);
  auto others = store->list("bob", "", 10, &has_more);
  ASSERT_TRUE(others.ok());
  EXPECT_TRUE(others->empty());
}

TEST(BatchStore, StatusNamesRoundTrip) {
  for (BatchStatus status : {BatchStatus::kValidating, BatchStatus::kFailed, BatchStatus::kInProgress,
                             BatchStatus::kFinalizing, BatchStatus::kCompleted, BatchStatus::kExpired,
                             BatchStatus::kCancelling, BatchStatus::kCancelled}) {
    EXPECT_EQ(parse_batch_status(batch_status_name(status)), status);
  }
  EXPECT_FALSE(parse_batch_status("done").has_value());
}

}  // namespace
}  // namespace hearth::jobs
