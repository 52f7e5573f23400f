// ThreadPool: fork-join parallelism for the engine's kernels.
//
// The engine runs many short parallel regions per token (one per matmul), so
// waking workers must cost microseconds, not a syscall each time: workers spin
// briefly on an atomic generation counter before sleeping on a condition
// variable; the caller signals it only when some worker is asleep.
//
//   ThreadPool pool(2);
//   pool.parallel_for(n_rows, 16, [&](int64_t begin, int64_t end, int thread_idx) {
//     for (int64_t row = begin; row < end; ++row) ...
//   });
//
// Thread-safety: one caller at a time drives a pool (the engine thread); run()
// and parallel_for() are not reentrant and must not be called from inside fn.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <type_traits>
#include <vector>

namespace hearth {

class ThreadPool {
 public:
  // n_threads counts the calling thread: ThreadPool(1) runs everything inline.
  explicit ThreadPool(int n_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int n_threads() const { return n_threads_; }

  // Calls fn(thread_idx) once on each of the n_threads threads (the caller is
  // thread 0) and returns when all calls have returned.
  template <typename Fn>
  void run(Fn&& fn) {
    using F = std::remove_reference_t<Fn>;
    run_erased(&fn, [](void* ctx, int thread_idx) { (*static_cast<F*>(ctx))(thread_idx); });
  }

  // Splits [0, n) into chunks of `grain` items handed out dynamically and calls
  // fn(begin, end, thread_idx) for each chunk.
  template <typename Fn>
  void parallel_for(int64_t n, int64_t grain, Fn&& fn) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    if (n_threads_ == 1 || n <= grain) {
      fn(int64_t{0}, n, 0);
      return;
    }
    std::atomic<int64_t> next{0};
    run([&](int thread_idx) {
      for (;;) {
        const int64_t begin = next.fetch_add(grain, std::memory_order_relaxed);
        if (begin >= n) break;
        const int64_t end = begin + grain < n ? begin + grain : n;
        fn(begin, end, thread_idx);
      }
    });
  }

 private:
  using ErasedFn = void (*)(void* ctx, int thread_idx);
  void run_erased(void* ctx, ErasedFn fn);
  void worker_loop(int thread_idx);
  void publish_generation();

  int n_threads_;
  std::vector<std::thread> workers_;
  // Published to workers by bumping generation_ (release); read after acquire.
  void* job_ctx_ = nullptr;
  ErasedFn job_fn_ = nullptr;
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> n_pending_{0};
  std::atomic<bool> stopping_{false};
  // Sleeping workers wait on wake_cv_; wake_mutex_ orders their last check of
  // generation_ against the caller's notify.
  std::mutex wake_mutex_;
  std::condition_variable wake_cv_;
  std::atomic<int> n_sleeping_{0};
};

}  // namespace hearth
