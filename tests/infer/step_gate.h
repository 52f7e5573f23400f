// StepGate: lets a test decide exactly how many scheduler steps run, so a
// cancel, an arrival or a drain lands between two known steps whatever the
// speed of the machine. Install hook() as SchedulerOptions::before_step; the
// engine then waits at the gate before every step until the test lets it
// through.
//
//   StepGate gate;  // declared before the scheduler: it must outlive it
//   auto scheduler = Scheduler::create(model, tokenizer, {.before_step = gate.hook()});
//   auto handle = scheduler->submit(...);
//   gate.run_steps(2);  // two steps have run; the engine waits before the third
//   handle->cancel();   // so the third step sees the cancel
//   gate.open();        // every later step runs freely
//
// A step is one pass of the engine loop that found work (see scheduler.h):
// admission, one forward pass over the packed batch, sampling. The hook
// returns at once when its stop_token is requested (the scheduler is being
// destroyed, or drain() gave up waiting), so a held gate never hangs shutdown.
//
// Waits are bounded by a generous guard that fails the test (it never decides
// a pass). Thread-safety: every method may be called from any thread.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <stop_token>

namespace hearth::infer::testing {

class StepGate {
 public:
  // For SchedulerOptions::before_step. Captures this gate by reference.
  std::function<void(std::stop_token)> hook() {
    return [this](std::stop_token stop) {
      std::unique_lock lock(mu_);
      engine_waiting_ = true;
      cv_.notify_all();
      cv_.wait(lock, stop, [this] { return open_ || n_passed_ < n_allowed_; });
      engine_waiting_ = false;
      ++n_passed_;
      cv_.notify_all();
    };
  }

  // Lets `n` more steps through and returns once they have run and the engine
  // waits at the gate before the next one: every observer call and stats
  // update of those steps has happened. The engine must have work for all
  // `n + 1` arrivals at the gate (use let_steps when the work ends sooner).
  void run_steps(int64_t n) {
    std::unique_lock lock(mu_);
    n_allowed_ += n;
    cv_.notify_all();
    EXPECT_TRUE(cv_.wait_for(lock, kGuard, [this] { return n_passed_ == n_allowed_ && engine_waiting_; }))
        << "the engine did not come back to the gate after " << n_allowed_ << " steps (" << n_passed_ << " passed)";
  }

  // Lets `n` more steps through without waiting for them.
  void let_steps(int64_t n) {
    std::lock_guard lock(mu_);
    n_allowed_ += n;
    cv_.notify_all();
  }

  // Lets every step through from now on.
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

  // Steps let through so far.
  int64_t n_passed() {
    std::lock_guard lock(mu_);
    return n_passed_;
  }

 private:
  static constexpr std::chrono::seconds kGuard{120};

  std::mutex mu_;
  std::condition_variable_any cv_;
  int64_t n_allowed_ = 0;        // guarded by mu_
  int64_t n_passed_ = 0;         // guarded by mu_
  bool engine_waiting_ = false;  // guarded by mu_: the engine is in the hook, not yet let through
  bool open_ = false;            // guarded by mu_
};

}  // namespace hearth::infer::testing
