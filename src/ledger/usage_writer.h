// UsageWriter: the usage ledger's inserts on a thread of their own, so the
// request path never waits for SQLite. record() only checks the row and
// queues it (a mutex held for a deque push); the writer thread commits what
// has queued up in one transaction per batch (up to max_batch rows).
//
//   UsageWriter writer(ledger);
//   writer.record(std::move(row));       // from the I/O thread, never blocks on the disk
//   ...
//   (void)writer.flush();                // waits until everything queued so far is committed
//
// What can be lost:
// - a clean shutdown (the destructor) loses nothing: it commits every queued
//   row, then joins;
// - a crash (SIGKILL, abort) loses the rows queued but not yet committed:
//   those of requests that finished while the previous batch was being
//   written, typically the last few milliseconds' worth, at most max_queue;
// - a power cut can also lose the last committed transactions (hearth.db
//   runs WAL with synchronous=NORMAL), never corrupt the file;
// - a full queue (max_queue rows waiting: the disk stalled) drops new rows
//   and counts them in stats().dropped; a batch whose transaction fails is
//   counted in stats().failed and logged once per batch. Neither fails the request.
//
// Thread-safety: record(), flush() and stats() from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>

#include "base/status.h"
#include "ledger/usage_ledger.h"

namespace hearth::ledger {

struct UsageWriterOptions {
  size_t max_batch = 256;    // rows per transaction
  size_t max_queue = 65536;  // rows waiting; beyond it new rows are dropped (counted)
};

struct UsageWriterStats {
  int64_t recorded = 0;  // committed
  int64_t dropped = 0;   // refused: queue full or an invalid record
  int64_t failed = 0;    // in a batch whose transaction failed
};

class UsageWriter {
 public:
  // `ledger` (and its Database) must outlive the writer.
  explicit UsageWriter(UsageLedger& ledger, UsageWriterOptions options = {});
  UsageWriter(const UsageWriter&) = delete;
  UsageWriter& operator=(const UsageWriter&) = delete;
  // Commits everything queued, then joins.
  ~UsageWriter();

  // Queues one row. kInvalidArgument for a record the ledger would refuse,
  // kResourceExhausted when the queue is full; both count as dropped.
  Status record(UsageRecord row);

  // Returns once every row queued before the call has been written (or
  // failed): the status of the last batch that held one of them.
  Status flush();

  UsageWriterStats stats() const;

 private:
  void run();

  UsageLedger& ledger_;
  const UsageWriterOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;     // the writer: work or stop
  std::condition_variable written_;  // flush(): a batch ended
  std::deque<UsageRecord> queue_;    // guarded by mutex_
  int64_t n_queued_total_ = 0;       // guarded by mutex_: rows ever queued
  int64_t n_done_total_ = 0;         // guarded by mutex_: rows ever written or failed
  Status last_batch_ = ok_status();  // guarded by mutex_
  UsageWriterStats stats_;           // guarded by mutex_
  bool stopping_ = false;            // guarded by mutex_
  std::thread thread_;
};

}  // namespace hearth::ledger
