// jobs/file_store.h: bytes beside the database, rows in it, hostile ids and names refused.
#include "jobs/file_store.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "jobs_test_db.h"

namespace hearth::jobs {
namespace {

TEST(FileStore, CreateGetReadListRemove) {
  test::JobsDb env;
  ASSERT_TRUE(env.db);
  auto store = FileStore::open(*env.db, env.dir.file("files"), env.clock());
  ASSERT_TRUE(store.ok()) << store.status().message();
  const std::string bytes("line one\nline\0two\n", 18);
  auto created = store->create("alice", "batch", "in.jsonl", bytes);
  ASSERT_TRUE(created.ok()) << created.status().message();
  EXPECT_EQ(created->bytes, 18);
  EXPECT_EQ(created->created_at_s, 1'700'000'000);
  EXPECT_TRUE(is_safe_object_id(created->id, "file-"));

  auto got = store->get(created->id, "alice");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->owner, "alice");
  // Another key's file is not there for it.
  EXPECT_EQ(store->get(created->id, "bob").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store->read(created->id, "bob", 1 << 20).status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store->remove(created->id, "bob").code(), ErrorCode::kNotFound);
  EXPECT_EQ(got->filename, "in.jsonl");
  auto content = store->read(created->id, "alice", 1 << 20);
  ASSERT_TRUE(content.ok());
  EXPECT_EQ(*content, bytes);
  EXPECT_EQ(store->read(created->id, "alice", 10).status().code(), ErrorCode::kOutOfRange);

  auto second = store->create("alice", "user_data", "b.txt", "x");
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(store->create("bob", "batch", "c.jsonl", "y").ok());
  bool has_more = true;
  FileListQuery everything;
  everything.owner = "alice";
  auto all = store->list(everything, &has_more);
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_FALSE(has_more);
  EXPECT_EQ((*all)[0].id, second->id);  // newest first
  FileListQuery batch_only;
  batch_only.owner = "alice";
  batch_only.purpose = "batch";
  auto filtered = store->list(batch_only, &has_more);
  ASSERT_TRUE(filtered.ok());
  ASSERT_EQ(filtered->size(), 1u);
  EXPECT_EQ((*filtered)[0].id, created->id);
  FileListQuery paged;
  paged.owner = "alice";
  paged.limit = 1;
  auto first_page = store->list(paged, &has_more);
  ASSERT_TRUE(first_page.ok());
  EXPECT_TRUE(has_more);
  paged.after = (*first_page)[0].id;
  auto second_page = store->list(paged, &has_more);
  ASSERT_TRUE(second_page.ok());
  ASSERT_EQ(second_page->size(), 1u);
  EXPECT_EQ((*second_page)[0].id, created->id);
  EXPECT_FALSE(has_more);

  ASSERT_TRUE(store->remove(created->id, "alice").ok());
  EXPECT_EQ(store->get(created->id, "alice").status().code(), ErrorCode::kNotFound);
  EXPECT_EQ(store->remove(created->id, "alice").code(), ErrorCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(env.dir.file("files/" + created->id)));
}

TEST(FileStore, PutIsIdempotentAndOpenRemovesStrayBytes) {
  test::JobsDb env;
  ASSERT_TRUE(env.db);
  {
    auto store = FileStore::open(*env.db, env.dir.file("files"), env.clock());
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(store->put("file-abc_output", "", "batch_output", "o.jsonl", "first").ok());
    ASSERT_TRUE(store->put("file-abc_output", "", "batch_output", "o.jsonl", "second").ok());
    auto content = store->read("file-abc_output", "", 100);
    ASSERT_TRUE(content.ok());
    EXPECT_EQ(*content, "second");
  }
  // A crash between writing bytes and committing their row leaves bytes nobody names.
  std::ofstream(env.dir.file("files/file-stray")) << "orphan";
  std::ofstream(env.dir.file("files/file-abc_output.tmp")) << "half";
  auto reopened = FileStore::open(*env.db, env.dir.file("files"), env.clock());
  ASSERT_TRUE(reopened.ok());
  EXPECT_FALSE(std::filesystem::exists(env.dir.file("files/file-stray")));
  EXPECT_FALSE(std::filesystem::exists(env.dir.file("files/file-abc_output.tmp")));
  EXPECT_TRUE(std::filesystem::exists(env.dir.file("files/file-abc_output")));
}

TEST(FileStore, RefusesHostileIdsAndNames) {
  test::JobsDb env;
  ASSERT_TRUE(env.db);
  auto store = FileStore::open(*env.db, env.dir.file("files"), env.clock());
  ASSERT_TRUE(store.ok());
  EXPECT_FALSE(is_safe_object_id("file-../../etc/passwd", "file-"));
  EXPECT_FALSE(is_safe_object_id("file-", "file-"));
  EXPECT_FALSE(is_safe_object_id("batch_x", "file-"));
  EXPECT_FALSE(store->put("file-a/b", "", "batch", "x", "y").ok());
  EXPECT_FALSE(store->create("", "batch", "", "y").ok());
  EXPECT_FALSE(store->create("", "batch", std::string(300, 'n'), "y").ok());
  EXPECT_FALSE(store->create("", "batch", "a\nb", "y").ok());
  FileListQuery bad;
  bad.limit = 0;
  bool has_more = false;
  EXPECT_FALSE(store->list(bad, &has_more).ok());
}

}  // namespace
}  // namespace hearth::jobs
