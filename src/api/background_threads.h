// Threads a handler starts for blocking work that is not an engine's (a model
// pull over the network or from the NAS). The server joins them before its
// I/O context goes away, so a thread may always asio::post its results to the
// I/O thread; request_stop() (at shutdown) is what long work polls to end
// early.
//
//   ctx.background.spawn([executor, shared] { ...; asio::post(executor, ...); });
//   ... the work checks ctx.background.stop_requested() now and then ...
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace hearth::api {

class BackgroundThreads {
 public:
  BackgroundThreads() = default;
  BackgroundThreads(const BackgroundThreads&) = delete;
  BackgroundThreads& operator=(const BackgroundThreads&) = delete;
  ~BackgroundThreads() { stop_and_join(); }

  // Runs `work` on a thread of its own; false (nothing runs) once stopping.
  bool spawn(std::function<void()> work);
  void request_stop() { stop_.store(true); }
  bool stop_requested() const { return stop_.load(); }
  // request_stop(), then waits for every thread.
  void stop_and_join();

 private:
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  struct Running {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;  // set by the thread as its last act
  };
  std::vector<Running> threads_;  // guarded by mutex_
};

}  // namespace hearth::api
