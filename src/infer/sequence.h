// The sequence types every text-generating engine speaks: what a requester
// submits (SequenceRequest), the events it receives on its observer
// (TokenEvent, then one FinishEvent) and the handle it cancels with. The
// decoder engine (infer::Scheduler) and engines that run elsewhere (an
// external process) use the same types, so the API layer is one code path.
//
// Thread-safety: SequenceHandle::cancel() may be called from any thread;
// observers are called on the engine's thread and must not block (hand the
// event to your own executor and return).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "infer/generator.h"

namespace hearth::infer {

enum class Priority : uint8_t { kInteractive, kBatch };

struct SequenceRequest {
  std::vector<int32_t> prompt;  // at least one id, each in the vocabulary
  GenerateParams params;        // max_tokens, stop strings, sampling
  int32_t n_top_logprobs = -1;  // -1: no logprobs; 0..20: the sampled token's and this many alternatives
  Priority priority = Priority::kInteractive;
};

struct TokenLogprob {
  int32_t id = 0;
  std::string bytes;     // the token's bytes (special tokens rendered); may be partial UTF-8
  float logprob = 0.0f;  // log-softmax of the model's raw logits
};

// One sampled token that is part of the output (an end-of-generation token is
// not: it only finishes the sequence).
struct TokenEvent {
  std::string_view text;                       // output text this token released; may be empty (held back)
  TokenLogprob token;                          // filled when logprobs were requested
  std::span<const TokenLogprob> top_logprobs;  // n_top_logprobs alternatives, best first
};

struct FinishEvent {
  FinishReason reason = FinishReason::kStop;
  std::string_view text;  // held-back text released at the end; may be empty
  Status error;           // not ok: the sequence failed (reason is then kCancelled)
  int64_t n_prompt_tokens = 0;
  int64_t n_cached_prompt_tokens = 0;  // prompt positions served by the prefix cache
  int64_t n_generated_tokens = 0;      // sampled tokens, an end-of-generation token included
  int32_t stop_index = -1;             // which stop string ended the text; -1: none
  double queue_ms = 0.0;               // submit to admission
  double ttft_ms = 0.0;                // submit to the first sampled token
  double total_ms = 0.0;               // submit to finish
};

// Receives a sequence's events on the engine thread: on_token for each output
// token in order, then on_finish exactly once (also after cancel() or a
// failure). Must not block.
class SequenceObserver {
 public:
  virtual ~SequenceObserver() = default;
  virtual void on_token(const TokenEvent& event) = 0;
  virtual void on_finish(const FinishEvent& event) = 0;
};

// The requester's side of a submitted sequence. Shared between the requester
// and the engine thread (each may outlive the other).
class SequenceHandle {
 public:
  // Asks the engine to stop the sequence; it finishes with kCancelled at the
  // next step boundary and its KV blocks return to the pool. Idempotent.
  void cancel() { cancelled_.store(true, std::memory_order_relaxed); }
  bool cancelled() const { return cancelled_.load(std::memory_order_relaxed); }

 private:
  std::atomic<bool> cancelled_{false};
};

}  // namespace hearth::infer
