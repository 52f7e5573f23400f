#include "ledger/usage_writer.h"

#include <vector>

#include "base/log.h"

namespace hearth::ledger {

UsageWriter::UsageWriter(UsageLedger& ledger, UsageWriterOptions options)
    : ledger_(ledger), options_(options), thread_([this] { run(); }) {}

UsageWriter::~UsageWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

Status UsageWriter::record(UsageRecord row) {
  if (Status valid = check_usage_record(row); !valid.ok()) {
    std::lock_guard lock(mutex_);
    ++stats_.dropped;
    return valid;
  }
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= options_.max_queue) {
      ++stats_.dropped;
      return resource_exhausted_error("the usage ledger's queue is full (" + std::to_string(options_.max_queue) +
                                      " rows): the row is dropped");
    }
    queue_.push_back(std::move(row));
    ++n_queued_total_;
  }
  wake_.notify_one();
  return ok_status();
}

Status UsageWriter::flush() {
  std::unique_lock lock(mutex_);
  const int64_t target = n_queued_total_;
  written_.wait(lock, [&] { return n_done_total_ >= target; });
  return last_batch_;
}

UsageWriterStats UsageWriter::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

void UsageWriter::run() {
  const size_t max_batch = options_.max_batch == 0 ? 1 : options_.max_batch;
  for (;;) {
    std::vector<UsageRecord> batch;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and everything queued is written
      while (!queue_.empty() && batch.size() < max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    Status committed = ok_status();
    {
      db::Database::Session session = ledger_.database().lock();
      committed = session.write_transaction([&]() -> Status {
        for (const UsageRecord& row : batch) HEARTH_RETURN_IF_ERROR(ledger_.insert(session, row));
        return ok_status();
      });
    }
    if (!committed.ok()) {
      HEARTH_LOG(kWarn,
                 "usage ledger: " + std::to_string(batch.size()) + " rows not recorded: " + committed.to_string());
    }
    {
      std::lock_guard lock(mutex_);
      const auto n_rows = static_cast<int64_t>(batch.size());
      n_done_total_ += n_rows;
      (committed.ok() ? stats_.recorded : stats_.failed) += n_rows;
      last_batch_ = committed;
    }
    written_.notify_all();
  }
}

}  // namespace hearth::ledger
