// SerialWorker: one thread that runs queued jobs one at a time, for engines
// whose library is not safe to call from two threads at once (tesseract's
// TessBaseAPI, eSpeak NG's process-wide state). A bounded queue, and a drain
// that lets the work finish or cancels it at a deadline.
//
//   SerialWorker worker(/*max_queued=*/16);
//   HEARTH_RETURN_IF_ERROR(worker.post({.run = [](const std::atomic<bool>& cancelled) { ... },
//                                       .cancel = [](Status why) { ...report why... }}));
//   worker.drain(5000, "the server is shutting down");
//
// Thread-safety: every method may be called from any thread but the worker's
// own (a job must not drain its worker).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string_view>
#include <thread>

#include "base/status.h"

namespace hearth::media {

class SerialWorker {
 public:
  struct Job {
    // Runs on the worker thread. `cancelled` turns true when a drain's
    // deadline passed: the job should stop soon and report kUnavailable.
    std::function<void(const std::atomic<bool>& cancelled)> run;
    // Called instead of run for a job still queued when the drain's deadline
    // passed (on the draining thread).
    std::function<void(Status)> cancel;
  };

  explicit SerialWorker(int32_t max_queued);
  ~SerialWorker();  // drain(0) unless drained
  SerialWorker(const SerialWorker&) = delete;
  SerialWorker& operator=(const SerialWorker&) = delete;

  // kResourceExhausted when max_queued jobs wait already; kUnavailable once draining.
  Status post(Job&& job);

  // Stops taking jobs, lets the queued and running ones finish for up to
  // `timeout_ms`, then cancels the rest with kUnavailable(reason) and waits
  // for the running one to return. Returns the jobs cancelled.
  int32_t drain(int64_t timeout_ms, std::string_view reason);

  int32_t n_waiting() const;
  bool running() const;
  int64_t n_done() const;  // jobs that ran to their end

 private:
  void loop();

  const int32_t max_queued_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;  // a job was queued, or stopping
  std::condition_variable idle_;  // a job finished
  std::deque<Job> queue_;         // guarded by mutex_
  bool running_ = false;          // guarded by mutex_
  bool draining_ = false;         // guarded by mutex_
  bool stopping_ = false;         // guarded by mutex_
  int64_t n_done_ = 0;            // guarded by mutex_
  std::atomic<bool> cancelled_{false};
  std::thread thread_;
};

}  // namespace hearth::media
