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
    dispatch(
        &fn, [](void* ctx, int thread_idx) { (*static_cast<F*>(ctx))(thread_idx); }, /*every_thread=*/true);
  }

  // Splits [0, n) into chunks of `grain` items handed out dynamically and calls
  // fn(begin, end, thread_idx) for each chunk. A worker that has not woken by
  // the time the caller has taken every chunk is not waited for: on a busy
  // machine the region costs what the work costs, not a scheduler time slice.
  template <typename Fn>
  void parallel_for(int64_t n, int64_t grain, Fn&& fn) {
    if (n <= 0) return;
    if (grain < 1) grain = 1;
    if (n_threads_ == 1 || n <= grain) {
      fn(int64_t{0}, n, 0);
      return;
    }
    std::atomic<int64_t> next{0};
    auto take_chunks = [&](int thread_idx) {
      for (;;) {
        const int64_t begin = next.fetch_add(grain, std::memory_order_relaxed);
        if (begin >= n) break;
        const int64_t end = begin + grain < n ? begin + grain : n;
        fn(begin, end, thread_idx);
      }
    };
    using F = decltype(take_chunks);
    dispatch(
        &take_chunks, [](void* ctx, int thread_idx) { (*static_cast<F*>(ctx))(thread_idx); },
        /*every_thread=*/false);
  }

 private:
  using ErasedFn = void (*)(void* ctx, int thread_idx);
  // Publishes a job; the caller runs it as thread 0. every_thread: wait until
  // each worker has run it; otherwise close the job once the caller is done
  // and wait only for workers already inside it.
  void dispatch(void* ctx, ErasedFn fn, bool every_thread);
  void worker_loop(int thread_idx);
  void publish_generation();

  int n_threads_;
  std::vector<std::thread> workers_;
  // The job: written by the caller before it publishes job_state_, read by a
  // worker only after it has entered (n_inside_) and seen job_state_ open for
  // the generation it woke for; unchanged until every entered worker left.
  void* job_ctx_ = nullptr;
  ErasedFn job_fn_ = nullptr;
  bool job_every_thread_ = false;
  std::atomic<uint64_t> job_state_{0};  // generation << 1 | open
  std::atomic<uint64_t> generation_{0};
  std::atomic<int> n_inside_{0};    // workers between entering and leaving a job
  std::atomic<int> n_finished_{0};  // workers that ran the current every_thread job
  std::atomic<bool> stopping_{false};
  // Sleeping workers wait on wake_cv_; wake_mutex_ orders their last check of
  // generation_ against the caller's notify.
  std::mutex wake_mutex_;
  std::condition_variable wake_cv_;
  std::atomic<int> n_sleeping_{0};
};

}  // namespace hearth
