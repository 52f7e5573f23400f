// The usage writer: rows from many threads committed in batches off the
// caller's thread, nothing lost on a clean shutdown, a full queue dropping
// (and counting) instead of blocking.
#include "ledger/usage_writer.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "temp_dir.h"

namespace hearth::ledger {
namespace {

UsageRecord row(int64_t ts, std::string key = "alice") {
  return UsageRecord{ts, "core-01", std::move(key), "qwen", 10, 5, 2000, std::nullopt};
}

class UsageWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(dir_.ok());
    auto db = db::Database::open(dir_.file("hearth.db"));
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->migrate(usage_migrations()).ok());
    auto ledger = UsageLedger::open(*db_);
    ASSERT_TRUE(ledger.ok()) << ledger.status().to_string();
    ledger_.emplace(std::move(ledger).value());
  }

  // Rows in the file, read through a second connection.
  int64_t rows_in_file() {
    auto reader_db = db::Database::open(dir_.file("hearth.db"));
    if (!reader_db.ok()) return -1;
    auto reader = UsageLedger::open(**reader_db);
    if (!reader.ok()) return -1;
    auto groups = reader->groups(0, int64_t{1} << 60);
    if (!groups.ok()) return -1;
    int64_t n_rows = 0;
    for (const UsageGroup& group : *groups) n_rows += group.totals.n_requests;
    return n_rows;
  }

  test::TempDir dir_;
  std::unique_ptr<db::Database> db_;
  std::optional<UsageLedger> ledger_;
};

TEST_F(UsageWriterTest, ManyThreadsFlushAndSum) {
  UsageWriter writer(*ledger_, {.max_batch = 16, .max_queue = 100'000});
  constexpr int kThreads = 4;
  constexpr int kPerThread = 250;
  std::vector<std::thread> threads;
  for (int thread_idx = 0; thread_idx < kThreads; ++thread_idx) {
    threads.emplace_back([&writer, thread_idx] {
      for (int row_idx = 0; row_idx < kPerThread; ++row_idx) {
        EXPECT_TRUE(writer.record(row(1 + thread_idx * kPerThread + row_idx, thread_idx % 2 ? "bob" : "alice")).ok());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_TRUE(writer.flush().ok());
  EXPECT_EQ(rows_in_file(), kThreads * kPerThread);
  const UsageWriterStats stats = writer.stats();
  EXPECT_EQ(stats.recorded, kThreads * kPerThread);
  EXPECT_EQ(stats.dropped, 0);
  EXPECT_EQ(stats.failed, 0);
  auto groups = ledger_->groups(0, int64_t{1} << 60);
  ASSERT_TRUE(groups.ok());
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].key_name, "alice");
  EXPECT_EQ((*groups)[0].totals.prompt_tokens, 10 * 500);
  EXPECT_EQ((*groups)[0].totals.completion_tokens, 5 * 500);
  EXPECT_EQ((*groups)[0].totals.wall_us, 2000 * 500);
}

TEST_F(UsageWriterTest, CleanShutdownCommitsEverythingQueued) {
  {
    UsageWriter writer(*ledger_, {.max_batch = 4, .max_queue = 1000});
    // Hold the database so nothing can be committed before the destructor runs.
    db::Database::Session held = db_->lock();
    for (int row_idx = 0; row_idx < 100; ++row_idx) ASSERT_TRUE(writer.record(row(1 + row_idx)).ok());
  }  // `held` is released first, then the destructor commits the queue and joins
  EXPECT_EQ(rows_in_file(), 100);
}

TEST_F(UsageWriterTest, FullQueueDropsAndCountsWithoutBlocking) {
  UsageWriter writer(*ledger_, {.max_batch = 1, .max_queue = 8});
  int64_t n_accepted = 0;
  int64_t n_refused = 0;
  {
    // The writer can take at most one row (max_batch) before it waits for this lock.
    db::Database::Session held = db_->lock();
    for (int row_idx = 0; row_idx < 20; ++row_idx) {
      const Status recorded = writer.record(row(1 + row_idx));
      if (recorded.ok()) {
        ++n_accepted;
      } else {
        EXPECT_EQ(recorded.code(), ErrorCode::kResourceExhausted);
        ++n_refused;
      }
    }
  }
  EXPECT_GE(n_accepted, 8);
  EXPECT_LE(n_accepted, 9);
  EXPECT_EQ(n_accepted + n_refused, 20);
  ASSERT_TRUE(writer.flush().ok());
  EXPECT_EQ(writer.stats().dropped, n_refused);
  EXPECT_EQ(writer.stats().recorded, n_accepted);
  EXPECT_EQ(rows_in_file(), n_accepted);
}

TEST_F(UsageWriterTest, RefusesInvalidRecordsAtTheDoor) {
  UsageWriter writer(*ledger_);
  UsageRecord bad = row(1);
  bad.model = "";
  EXPECT_EQ(writer.record(bad).code(), ErrorCode::kInvalidArgument);
  bad = row(1);
  bad.prompt_tokens = -1;
  EXPECT_EQ(writer.record(bad).code(), ErrorCode::kInvalidArgument);
  bad = row(0);
  EXPECT_EQ(writer.record(bad).code(), ErrorCode::kInvalidArgument);
  bad = row(1, "bad\nkey");
  EXPECT_EQ(writer.record(bad).code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(writer.flush().ok());
  EXPECT_EQ(writer.stats().dropped, 4);
  EXPECT_EQ(rows_in_file(), 0);
}

TEST_F(UsageWriterTest, TableRefusesNegativeCountsEvenPastTheChecks) {
  db::Database::Session session = db_->lock();
  EXPECT_FALSE(session
                   .exec("INSERT INTO usage(ts_unix_ms, node, key_name, model, prompt_tokens, completion_tokens, "
                         "wall_us) VALUES (1, 'n', '', 'm', -1, 0, 0)")
                   .ok());
}

}  // namespace
}  // namespace hearth::ledger
