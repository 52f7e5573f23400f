// The egress writer: many threads' writes, group-committed, each acknowledged
// only once its row is in the file.
#include "ledger/egress_writer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "temp_dir.h"

namespace hearth::ledger {
namespace {

EgressRecord record(int64_t ts_unix_ms) {
  EgressRecord out;
  out.ts_unix_ms = ts_unix_ms;
  out.key_name = "alice";
  out.data_class = "public";
  out.provider = "openai";
  out.model = "gpt";
  out.body_sha256 = std::string(64, 'a');
  return out;
}

TEST(EgressWriterTest, AcknowledgesEachWriteOnlyOnceCommitted) {
  test::TempDir dir;
  auto db = db::Database::open(dir.path() + "/hearth.db");
  ASSERT_TRUE(db.ok()) << db.status().to_string();
  ASSERT_TRUE((*db)->migrate(egress_migrations()).ok());
  auto ledger = EgressLedger::open(**db);
  ASSERT_TRUE(ledger.ok());
  // A second connection sees what the writer acknowledged.
  auto reader_db = db::Database::open(dir.path() + "/hearth.db");
  ASSERT_TRUE(reader_db.ok());
  auto reader = EgressLedger::open(**reader_db);
  ASSERT_TRUE(reader.ok());

  std::mutex mutex;
  std::set<int64_t> ids;
  std::atomic<int> n_unseen{0};
  {
    EgressWriter writer(*ledger);
    constexpr int kThreads = 4;
    constexpr int kPerThread = 50;
    std::vector<std::promise<void>> done(kThreads * kPerThread);
    std::vector<std::thread> threads;
    for (int thread_idx = 0; thread_idx < kThreads; ++thread_idx) {
      threads.emplace_back([&, thread_idx] {
        for (int write_idx = 0; write_idx < kPerThread; ++write_idx) {
          const int slot = thread_idx * kPerThread + write_idx;
          writer.begin(record(1000 + slot), [&, slot](Result<int64_t> id) {
            ASSERT_TRUE(id.ok()) << id.status().to_string();
            auto rows = reader->query(1000 + slot, std::nullopt);
            if (!rows.ok() || rows->empty()) ++n_unseen;
            {
              std::lock_guard lock(mutex);
              ids.insert(*id);
            }
            writer.finish(*id, 11, 3, 17, EgressStatus::kOk, nullptr);
            done[static_cast<size_t>(slot)].set_value();
          });
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    for (auto& promise : done) promise.get_future().wait();
  }  // the destructor commits the queued finishes
  EXPECT_EQ(ids.size(), 200u);
  EXPECT_EQ(n_unseen.load(), 0);
  auto rows = reader->query(0, std::nullopt);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 200u);
  for (const EgressEntry& row : *rows) {
    EXPECT_EQ(row.status, EgressStatus::kOk);
    EXPECT_EQ(row.cost_udollars, 17);
  }
}

TEST(EgressWriterTest, ABadRecordFailsAloneAndIsNotWritten) {
  test::TempDir dir;
  auto db = db::Database::open(dir.path() + "/hearth.db");
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->migrate(egress_migrations()).ok());
  auto ledger = EgressLedger::open(**db);
  ASSERT_TRUE(ledger.ok());
  std::promise<Status> bad;
  std::promise<Status> good;
  {
    EgressWriter writer(*ledger);
    EgressRecord broken = record(5);
    broken.body_sha256 = "not a hash";
    writer.begin(broken, [&](Result<int64_t> id) { bad.set_value(id.status()); });
    writer.begin(record(6), [&](Result<int64_t> id) { good.set_value(id.status()); });
  }
  EXPECT_FALSE(bad.get_future().get().ok());
  EXPECT_TRUE(good.get_future().get().ok());
  auto rows = ledger->query(0, std::nullopt);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->size(), 1u);
}

}  // namespace
}  // namespace hearth::ledger
