#include "base/thread_pool.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HEARTH_CPU_RELAX() _mm_pause()
#elif defined(__aarch64__)
#define HEARTH_CPU_RELAX() asm volatile("yield")
#else
#define HEARTH_CPU_RELAX() ((void)0)
#endif

namespace hearth {
namespace {
// About 50-100 us of spinning before a worker sleeps: long enough to bridge
// the serial work between two matmuls of one token, short enough not to burn
// a core while the engine is idle.
constexpr int kSpinIterations = 20000;
}  // namespace

ThreadPool::ThreadPool(int n_threads) : n_threads_(n_threads < 1 ? 1 : n_threads) {
  workers_.reserve(n_threads_ - 1);
  for (int thread_idx = 1; thread_idx < n_threads_; ++thread_idx) {
    workers_.emplace_back([this, thread_idx] { worker_loop(thread_idx); });
  }
}

ThreadPool::~ThreadPool() {
  stopping_.store(true, std::memory_order_release);
  publish_generation();
  for (auto& worker : workers_) worker.join();
}

void ThreadPool::run_erased(void* ctx, ErasedFn fn) {
  if (n_threads_ == 1) {
    fn(ctx, 0);
    return;
  }
  job_ctx_ = ctx;
  job_fn_ = fn;
  n_pending_.store(n_threads_ - 1, std::memory_order_relaxed);
  publish_generation();
  fn(ctx, 0);
  while (n_pending_.load(std::memory_order_acquire) != 0) HEARTH_CPU_RELAX();
}

void ThreadPool::publish_generation() {
  generation_.fetch_add(1, std::memory_order_seq_cst);
  // A worker registers as sleeping under wake_mutex_ before its last check of
  // generation_, so either it sees the new generation or we see it sleeping.
  if (n_sleeping_.load(std::memory_order_seq_cst) > 0) {
    std::lock_guard<std::mutex> lock(wake_mutex_);
    wake_cv_.notify_all();
  }
}

void ThreadPool::worker_loop(int thread_idx) {
  uint64_t seen = 0;  // generation_ starts at 0; a job may be published before this thread runs
  for (;;) {
    uint64_t now = seen;
    for (int spin = 0; spin < kSpinIterations; ++spin) {
      now = generation_.load(std::memory_order_acquire);
      if (now != seen) break;
      HEARTH_CPU_RELAX();
    }
    if (now == seen) {
      std::unique_lock<std::mutex> lock(wake_mutex_);
      n_sleeping_.fetch_add(1, std::memory_order_seq_cst);
      wake_cv_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
      n_sleeping_.fetch_sub(1, std::memory_order_relaxed);
      now = generation_.load(std::memory_order_acquire);
    }
    seen = now;
    if (stopping_.load(std::memory_order_acquire)) return;
    job_fn_(job_ctx_, thread_idx);
    n_pending_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

}  // namespace hearth
