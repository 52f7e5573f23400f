// ComputePool: the compute threads of a node, shared by every engine it runs,
// and the turns the engines take on them.
//
// Each engine used to start its own ThreadPool on every core, so two loaded
// models stepping at once ran twice as many spinning threads as there are
// cores and slowed each other unpredictably; and a long embedding job could
// stall an interactive chat's prefill. Now a node has one pool; an engine runs
// a step (one forward pass) on all of its threads while it holds a Turn, and
// engines take turns step by step:
//
//   auto compute = std::make_shared<ComputePool>(n_threads);   // one per node
//   ...on an engine thread, for each step:
//   {
//     ComputePool::Turn turn = compute->take_turn(Priority::kInteractive);
//     forward.forward(batch);              // its ThreadPool is compute->threads()
//   }                                      // the next waiting engine goes
//
// Order: when the pool comes free, the longest-waiting interactive step goes
// first; batch steps go only while no interactive step waits. So an
// interactive request waits for at most the one step under way in another
// engine, which every engine keeps short (max_batch_tokens; batch prompts in
// chunks: see scheduler.h), and batch work fills what interactive work leaves.
// Engines that share a pool run one step at a time, each on all the threads:
// the choice documented in infer/README.md ("Threads").
//
// Thread-safety: take_turn() from any thread; a Turn is released on the
// thread that took it. threads() may only be driven by the turn's holder (a
// ThreadPool has one caller at a time). Not reentrant: an engine must not take
// a second turn while it holds one.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>

#include "base/thread_pool.h"
#include "infer/sequence.h"

namespace hearth::infer {

class ComputePool {
 public:
  // n_threads < 1: one thread per hardware thread.
  explicit ComputePool(int n_threads);
  ComputePool(const ComputePool&) = delete;
  ComputePool& operator=(const ComputePool&) = delete;

  class [[nodiscard]] Turn {
   public:
    Turn(Turn&& other) noexcept : pool_(other.pool_) { other.pool_ = nullptr; }
    Turn& operator=(Turn&&) = delete;
    Turn(const Turn&) = delete;
    ~Turn();

   private:
    friend class ComputePool;
    explicit Turn(ComputePool* pool) : pool_(pool) {}
    ComputePool* pool_;
  };

  // Blocks until it is this caller's turn (see the order above).
  Turn take_turn(Priority priority);

  // The threads a turn's holder runs its kernels on.
  ThreadPool& threads() { return threads_; }
  int n_threads() const { return threads_.n_threads(); }

  // Turns waiting now, by priority: for tests, which wait until a waiter is
  // queued before they release the turn they hold.
  int n_waiting(Priority priority) const;
  uint64_t n_turns_total() const;

 private:
  void release();

  ThreadPool threads_;
  mutable std::mutex mu_;
  std::condition_variable turn_cv_;
  bool busy_ = false;
  uint64_t next_ticket_ = 0;
  uint64_t n_turns_total_ = 0;
  std::deque<uint64_t> waiting_[2];  // tickets by Priority, oldest first
};

}  // namespace hearth::infer
