#include "media/serial_worker.h"

#include <chrono>
#include <string>

namespace hearth::media {

SerialWorker::SerialWorker(int32_t max_queued) : max_queued_(max_queued) {
  thread_ = std::thread([this] { loop(); });
}

SerialWorker::~SerialWorker() {
  drain(0, "the engine is being destroyed");
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

Status SerialWorker::post(Job&& job) {
  {
    std::lock_guard lock(mutex_);
    if (draining_) return unavailable_error("the engine is draining");
    if (static_cast<int32_t>(queue_.size()) >= max_queued_) {
      return resource_exhausted_error("the engine's queue is full (" + std::to_string(max_queued_) +
                                      " requests waiting); retry later");
    }
    queue_.push_back(std::move(job));
  }
  wake_.notify_all();
  return ok_status();
}

void SerialWorker::loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    Job job = std::move(queue_.front());
    queue_.pop_front();
    running_ = true;
    lock.unlock();
    job.run(cancelled_);
    job = {};  // its captures die off the lock
    lock.lock();
    running_ = false;
    ++n_done_;
    idle_.notify_all();
  }
}

int32_t SerialWorker::drain(int64_t timeout_ms, std::string_view reason) {
  std::unique_lock lock(mutex_);
  draining_ = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max<int64_t>(0, timeout_ms));
  idle_.wait_until(lock, deadline, [this] { return queue_.empty() && !running_; });
  std::deque<Job> left = std::move(queue_);
  queue_.clear();
  int32_t n_cancelled = static_cast<int32_t>(left.size());
  if (running_) {
    cancelled_ = true;
    ++n_cancelled;
    idle_.wait(lock, [this] { return !running_; });
  }
  lock.unlock();
  for (Job& job : left) {
    if (job.cancel) job.cancel(unavailable_error(std::string(reason)));
  }
  return n_cancelled;
}

int32_t SerialWorker::n_waiting() const {
  std::lock_guard lock(mutex_);
  return static_cast<int32_t>(queue_.size());
}

bool SerialWorker::running() const {
  std::lock_guard lock(mutex_);
  return running_;
}

int64_t SerialWorker::n_done() const {
  std::lock_guard lock(mutex_);
  return n_done_;
}

}  // namespace hearth::media
