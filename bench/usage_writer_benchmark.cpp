// What recording a local request costs the request path: UsageWriter::record
// (check + queue; the writer thread commits batches) against inserting the
// row in a transaction of its own on the caller's thread, which is what the
// request path would pay without the writer. hearth.db in a temp dir.
//
//   build/tests/ledger/bench_usage_writer --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "ledger/usage_writer.h"

namespace {

using hearth::ledger::UsageLedger;
using hearth::ledger::UsageRecord;
using hearth::ledger::UsageWriter;

struct TempDb {
  TempDb() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hearth_usage_bench_XXXXXX").string();
    dir = ::mkdtemp(pattern.data()) != nullptr ? pattern : "";
    auto opened = hearth::db::Database::open(dir + "/hearth.db");
    if (!opened.ok()) std::abort();  // a benchmark with no file measures nothing
    db = std::move(opened).value();
    if (!db->migrate(hearth::ledger::usage_migrations()).ok()) std::abort();
  }
  ~TempDb() {
    db.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
  std::string dir;
  std::unique_ptr<hearth::db::Database> db;
};

UsageRecord row(int64_t ts) {
  return UsageRecord{ts, "core-01", "alice", "qwen2.5-7b", 512, 128, 2'500'000, std::nullopt};
}

void BM_RecordThroughWriter(benchmark::State& state) {
  TempDb temp;
  auto ledger = UsageLedger::open(*temp.db);
  if (!ledger.ok()) std::abort();
  // A queue deep enough for the whole run: this measures the caller's cost only.
  UsageWriter writer(*ledger, {.max_batch = 256, .max_queue = size_t{1} << 22});
  int64_t ts = 1;
  for (auto _ : state) {
    if (!writer.record(row(ts++)).ok()) state.SkipWithError("queue full");
  }
  (void)writer.flush();  // after the timed loop: what the writer thread does is not the caller's time
}
BENCHMARK(BM_RecordThroughWriter)->UseRealTime()->Iterations(200'000);

// The writer's sustained rate: rows queued and committed (batches of 256), per second.
void BM_WriterThroughput(benchmark::State& state) {
  TempDb temp;
  auto ledger = UsageLedger::open(*temp.db);
  if (!ledger.ok()) std::abort();
  UsageWriter writer(*ledger, {.max_batch = 256, .max_queue = size_t{1} << 22});
  int64_t ts = 1;
  for (auto _ : state) {
    for (int row_idx = 0; row_idx < 10'000; ++row_idx) (void)writer.record(row(ts++));
    if (!writer.flush().ok()) state.SkipWithError("commit failed");
  }
  state.SetItemsProcessed(state.iterations() * 10'000);
}
BENCHMARK(BM_WriterThroughput)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_InsertOnCallersThread(benchmark::State& state) {
  TempDb temp;
  auto ledger = UsageLedger::open(*temp.db);
  if (!ledger.ok()) std::abort();
  int64_t ts = 1;
  for (auto _ : state) {
    if (!ledger->insert(row(ts++)).ok()) state.SkipWithError("insert failed");
  }
}
BENCHMARK(BM_InsertOnCallersThread)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
