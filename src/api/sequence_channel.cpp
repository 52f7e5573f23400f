#include "api/sequence_channel.h"

#include <utility>

namespace hearth::api {

SequenceChannel::SequenceChannel(bool with_logprobs, std::function<void()> notify)
    : with_logprobs_(with_logprobs), notify_(std::move(notify)) {}

void SequenceChannel::push_locked() {
  if (notified_ || !notify_) return;
  notified_ = true;
  try {
    notify_();
  } catch (...) {
    notified_ = false;  // no wake-up is pending after all
    throw;
  }
}

void SequenceChannel::lose_event() {
  // Everything here may fail again under memory pressure; nothing may escape into the engine.
  try {
    std::lock_guard lock(mutex_);
    queued_.lost_events = true;
    push_locked();
  } catch (...) {
  }
}

void SequenceChannel::on_token(const infer::TokenEvent& event) {
  try {
    TokenOutput token;
    token.text.assign(event.text);
    if (with_logprobs_) {
      token.token = event.token;
      token.top_logprobs.assign(event.top_logprobs.begin(), event.top_logprobs.end());
    }
    std::lock_guard lock(mutex_);
    if (!notify_) return;
    queued_.tokens.push_back(std::move(token));
    push_locked();
  } catch (...) {
    lose_event();
  }
}

void SequenceChannel::on_finish(const infer::FinishEvent& event) {
  try {
    FinishOutput finish;
    finish.reason = event.reason;
    finish.text.assign(event.text);
    finish.error = event.error;
    finish.n_prompt_tokens = event.n_prompt_tokens;
    finish.n_cached_prompt_tokens = event.n_cached_prompt_tokens;
    finish.n_generated_tokens = event.n_generated_tokens;
    finish.stop_index = event.stop_index;
    finish.ttft_ms = event.ttft_ms;
    finish.total_ms = event.total_ms;
    std::lock_guard lock(mutex_);
    if (!notify_) return;
    queued_.finish = std::move(finish);
    push_locked();
  } catch (...) {
    // Without its finish the request would wait for ever: record a failed one.
    try {
      std::lock_guard lock(mutex_);
      queued_.lost_events = true;
      queued_.finish.emplace();
      queued_.finish->reason = infer::FinishReason::kCancelled;
      push_locked();
    } catch (...) {
    }
  }
}

SequenceOutput SequenceChannel::take() {
  std::lock_guard lock(mutex_);
  notified_ = false;
  return std::exchange(queued_, SequenceOutput{});
}

void SequenceChannel::close() {
  std::function<void()> notify;
  {
    std::lock_guard lock(mutex_);
    notify = std::move(notify_);
    notify_ = nullptr;
    queued_ = SequenceOutput{};
  }
  // `notify` (and whatever it captured) is destroyed here, outside the lock.
}

}  // namespace hearth::api
