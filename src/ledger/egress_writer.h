// EgressWriter: the egress ledger's writes on a thread of their own, so the
// server's I/O thread never waits for SQLite. Writes that arrive together are
// committed in one transaction (group commit); each caller hears back only
// after the transaction holding its write has committed, so "recorded before
// it leaves" still holds: the gateway sends a request once its begin() says so.
//
//   EgressWriter writer(ledger);
//   writer.begin(record, [](Result<int64_t> id) { ... post back, then send ... });
//   writer.finish(id, 11, 3, 17, EgressStatus::kOk, nullptr);
//
// Thread-safety: begin() and finish() may be called from any thread; the
// callbacks run on the writer's thread and must not block. The destructor
// commits what is queued, then joins.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

#include "base/status.h"
#include "ledger/egress_ledger.h"

namespace hearth::ledger {

inline constexpr size_t kMaxEgressBatch = 256;  // writes per transaction

class EgressWriter {
 public:
  // `ledger` (and its Database) must outlive the writer.
  explicit EgressWriter(EgressLedger& ledger);
  EgressWriter(const EgressWriter&) = delete;
  EgressWriter& operator=(const EgressWriter&) = delete;
  ~EgressWriter();

  using BeginCallback = std::function<void(Result<int64_t>)>;
  using FinishCallback = std::function<void(Status)>;

  void begin(EgressRecord record, BeginCallback done);
  // `done` may be empty.
  void finish(int64_t id, int64_t prompt_tokens, int64_t completion_tokens, int64_t cost_udollars, EgressStatus status,
              FinishCallback done);

 private:
  struct Write {
    bool is_begin = true;
    EgressRecord record;  // begin
    int64_t id = 0;       // finish
    int64_t prompt_tokens = 0;
    int64_t completion_tokens = 0;
    int64_t cost_udollars = 0;
    EgressStatus status = EgressStatus::kOk;
    BeginCallback begun;
    FinishCallback finished;
  };

  void run();
  void enqueue(Write&& write);

  EgressLedger& ledger_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Write> queue_;  // guarded by mutex_
  bool stopping_ = false;    // guarded by mutex_
  std::thread thread_;
};

}  // namespace hearth::ledger
