// SequenceChannel: carries one sequence's events from the engine thread to
// the connection that asked for it. The scheduler calls on_token/on_finish on
// its engine thread; the channel copies each event (the engine's views die
// with the callback), queues it under a short lock and calls `notify` when the
// queue turns non-empty, so a burst of tokens costs one wake-up. The
// connection's I/O thread take()s everything queued.
//
//   auto channel = std::make_shared<SequenceChannel>([&] { post_wake_to_io_thread(); });
//   auto handle = scheduler.submit(std::move(request), channel);
//   ... on the I/O thread, after a wake: SequenceOutput batch = channel->take();
//   channel->close();   // the connection is done: notify is never called again
//
// Thread-safety: every method may be called from any thread. notify runs on
// the engine thread with the channel's lock held, so it must only hand the
// wake-up to another thread (asio::post) and return.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "infer/scheduler.h"

namespace hearth::api {

// An owned copy of infer::TokenEvent.
struct TokenOutput {
  std::string text;
  infer::TokenLogprob token;
  std::vector<infer::TokenLogprob> top_logprobs;
};

// An owned copy of infer::FinishEvent.
struct FinishOutput {
  infer::FinishReason reason = infer::FinishReason::kStop;
  std::string text;
  Status error;
  int64_t n_prompt_tokens = 0;
  int64_t n_cached_prompt_tokens = 0;
  int64_t n_generated_tokens = 0;
  int32_t stop_index = -1;  // which stop string ended the text; -1: none
  double ttft_ms = 0.0;
  double total_ms = 0.0;
};

// What take() hands over: tokens in order, then the finish once it came.
struct SequenceOutput {
  std::vector<TokenOutput> tokens;
  std::optional<FinishOutput> finish;
  // An event could not be copied (out of memory): the output is incomplete
  // and the request must fail rather than return a gap.
  bool lost_events = false;
};

class SequenceChannel : public infer::SequenceObserver {
 public:
  // with_logprobs: copy each token's logprob and alternatives.
  SequenceChannel(bool with_logprobs, std::function<void()> notify);

  // Never throw into the engine: a copy that fails is reported as lost_events.
  void on_token(const infer::TokenEvent& event) override;
  void on_finish(const infer::FinishEvent& event) override;

  // Moves out everything queued since the last take().
  SequenceOutput take();
  // After close(), events are dropped and notify is not called again.
  void close();

 private:
  void push_locked();
  void lose_event();

  const bool with_logprobs_;
  std::mutex mutex_;
  std::function<void()> notify_;  // guarded by mutex_; empty once closed
  SequenceOutput queued_;         // guarded by mutex_
  bool notified_ = false;         // guarded by mutex_: a wake-up is pending, take() not yet called
};

}  // namespace hearth::api
