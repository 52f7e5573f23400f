#include "ledger/egress_writer.h"

#include <vector>

namespace hearth::ledger {

EgressWriter::EgressWriter(EgressLedger& ledger) : ledger_(ledger), thread_([this] { run(); }) {}

EgressWriter::~EgressWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void EgressWriter::enqueue(Write&& write) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(write));
  }
  wake_.notify_one();
}

void EgressWriter::begin(EgressRecord record, BeginCallback done) {
  Write write;
  write.is_begin = true;
  write.record = std::move(record);
  write.begun = std::move(done);
  enqueue(std::move(write));
}

void EgressWriter::finish(int64_t id, int64_t prompt_tokens, int64_t completion_tokens, int64_t cost_udollars,
                          EgressStatus status, FinishCallback done) {
  Write write;
  write.is_begin = false;
  write.id = id;
  write.prompt_tokens = prompt_tokens;
  write.completion_tokens = completion_tokens;
  write.cost_udollars = cost_udollars;
  write.status = status;
  write.finished = std::move(done);
  enqueue(std::move(write));
}

void EgressWriter::run() {
  for (;;) {
    std::vector<Write> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is written
      while (!queue_.empty() && batch.size() < kMaxEgressBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    // One transaction for the batch. A write that fails on its own (a bad
    // record) fails alone; a transaction that fails to commit fails them all,
    // so no caller is told "recorded" for a row that is not.
    std::vector<Result<int64_t>> results;
    results.reserve(batch.size());
    Status committed = ok_status();
    {
      // Unlocked again before the callbacks run.
      db::Database::Session session = ledger_.database().lock();
      committed = session.write_transaction([&]() -> Status {
        results.clear();
        for (const Write& write : batch) {
          if (write.is_begin) {
            results.push_back(ledger_.begin(session, write.record));
          } else {
            const Status finished = ledger_.finish(session, write.id, write.prompt_tokens, write.completion_tokens,
                                                   write.cost_udollars, write.status);
            results.push_back(finished.ok() ? Result<int64_t>(write.id) : Result<int64_t>(finished));
          }
        }
        return ok_status();
      });
    }
    for (size_t write_idx = 0; write_idx < batch.size(); ++write_idx) {
      Write& write = batch[write_idx];
      Result<int64_t> result = committed.ok() ? std::move(results[write_idx]) : Result<int64_t>(committed);
      if (write.is_begin) {
        if (write.begun) write.begun(std::move(result));
      } else if (write.finished) {
        write.finished(result.ok() ? ok_status() : result.status());
      }
    }
  }
}

}  // namespace hearth::ledger
