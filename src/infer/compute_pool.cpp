#include "infer/compute_pool.h"

#include <algorithm>
#include <thread>

namespace hearth::infer {
namespace {

int threads_or_hardware(int n_threads) {
  if (n_threads > 0) return n_threads;
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

}  // namespace

ComputePool::ComputePool(int n_threads) : threads_(threads_or_hardware(n_threads)) {}

ComputePool::Turn::~Turn() {
  if (pool_ != nullptr) pool_->release();
}

ComputePool::Turn ComputePool::take_turn(Priority priority) {
  std::unique_lock lock(mu_);
  std::deque<uint64_t>& queue = waiting_[static_cast<int>(priority)];
  const uint64_t ticket = next_ticket_++;
  queue.push_back(ticket);
  const std::deque<uint64_t>& interactive = waiting_[static_cast<int>(Priority::kInteractive)];
  turn_cv_.wait(lock, [&] {
    if (busy_ || queue.front() != ticket) return false;
    return priority == Priority::kInteractive || interactive.empty();
  });
  queue.pop_front();
  busy_ = true;
  ++n_turns_total_;
  return Turn(this);
}

void ComputePool::release() {
  {
    std::lock_guard lock(mu_);
    busy_ = false;
  }
  // Every waiter re-checks: the one whose turn it is goes, the others wait on.
  turn_cv_.notify_all();
}

int ComputePool::n_waiting(Priority priority) const {
  std::lock_guard lock(mu_);
  return static_cast<int>(waiting_[static_cast<int>(priority)].size());
}

uint64_t ComputePool::n_turns_total() const {
  std::lock_guard lock(mu_);
  return n_turns_total_;
}

}  // namespace hearth::infer
