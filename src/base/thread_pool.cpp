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

// The caller's wait for workers: spin first; past that, yield the core, since
// the worker we wait for may be runnable on it (more threads than cores).
void wait_a_little(int& spins) {
  if (++spins < 2000) {
    HEARTH_CPU_RELAX();
  } else {
    std::this_thread::yield();
  }
}
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

void ThreadPool::dispatch(void* ctx, ErasedFn fn, bool every_thread) {
  if (n_threads_ == 1) {
    fn(ctx, 0);
    return;
  }
  const uint64_t job_generation = generation_.load(std::memory_order_relaxed) + 1;
  job_ctx_ = ctx;
  job_fn_ = fn;
  job_every_thread_ = every_thread;
  n_finished_.store(0, std::memory_order_relaxed);
  job_state_.store(job_generation << 1 | 1, std::memory_order_seq_cst);
  publish_generation();
  fn(ctx, 0);
  int spins = 0;
  if (every_thread) {
    while (n_finished_.load(std::memory_order_acquire) != n_threads_ - 1) wait_a_little(spins);
  }
  // Close the job: a worker that enters from now on sees it closed and leaves.
  job_state_.store(job_generation << 1, std::memory_order_seq_cst);
  while (n_inside_.load(std::memory_order_acquire) != 0) wait_a_little(spins);
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
    // Enter, then check the job is still the one we woke for and still open
    // (seq_cst pairs with the caller closing it, then counting n_inside_).
    n_inside_.fetch_add(1, std::memory_order_seq_cst);
    if (job_state_.load(std::memory_order_seq_cst) == (seen << 1 | 1)) {
      job_fn_(job_ctx_, thread_idx);
      if (job_every_thread_) n_finished_.fetch_add(1, std::memory_order_release);
    }
    n_inside_.fetch_sub(1, std::memory_order_release);
  }
}

}  // namespace hearth
