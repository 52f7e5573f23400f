// Generator: prefill a prompt, then sample and decode one token at a time,
// streaming the text.
//
//   Generator generator(*ctx, *tokenizer);
//   GenerateParams params;
//   params.max_tokens = 128;
//   params.stop = {"\nUser:"};
//   HEARTH_ASSIGN_OR_RETURN(GenerateResult result,
//       generator.generate(prompt_ids, params, [&](std::string_view piece) {
//         return send_chunk(piece);  // false cancels
//       }));
//
// Text: each sampled token's bytes (Tokenizer::token_to_bytes, special tokens
// not rendered, no leading space stripped: the prompt precedes) go through a
// Utf8StreamDecoder, so every piece handed to the sink is valid UTF-8, then
// through a StopMatcher, so no part of a stop string is ever emitted.
//
// Finish: kStop when an end-of-generation token is sampled (its text is not
// emitted) or a stop string completes; kLength after max_tokens sampled
// tokens or when the context is full; kCancelled when the sink returns false.
//
// Prompt reuse: the context keeps the sequence of its last call; the longest
// common prefix with the new prompt is kept in the KV cache and only the rest
// is evaluated (at least one token, to get fresh logits).
//
// Penalties look at the whole sequence so far, prompt included (llama.cpp's
// behaviour), through the last repeat_last_n tokens.
//
// Thread-safety: one generate() at a time per Generator and per context.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "infer/llama_forward.h"
#include "infer/sampler.h"
#include "infer/text_stream.h"
#include "text/tokenizer.h"

namespace hearth::infer {

struct GenerateParams {
  int32_t max_tokens = 256;       // >= 1
  std::vector<std::string> stop;  // each non-empty
  SamplingParams sampling;
  // End-of-generation tokens do not end the output (benchmarks: a fixed
  // number of tokens whatever a random model samples); they add no text.
  bool ignore_eos = false;
};

enum class FinishReason { kStop, kLength, kCancelled };

// "stop", "length", "cancelled".
const char* finish_reason_name(FinishReason reason);

struct GenerateResult {
  FinishReason finish_reason = FinishReason::kStop;
  int64_t n_prompt_tokens = 0;
  int64_t n_cached_prompt_tokens = 0;  // prompt positions reused from the previous call
  // Every sampled id, an end-of-generation token included; so
  // n_generated_tokens == generated.size().
  std::vector<int32_t> generated;
  int64_t n_generated_tokens = 0;
  // Index into GenerateParams::stop of the stop string that ended the text;
  // -1 when none did.
  int32_t stop_index = -1;
  double prefill_ms = 0.0;  // evaluating the (uncached part of the) prompt
  double decode_ms = 0.0;   // sampling and evaluating the generated tokens
};

// The checks generate() makes before evaluating anything: kInvalidArgument
// for max_tokens < 1, an empty stop string, bad sampling params or an empty
// prompt; kOutOfRange for a prompt id outside the vocabulary or a prompt
// longer than n_ctx.
Status validate_generate_request(std::span<const int32_t> prompt, const GenerateParams& params, int64_t n_ctx,
                                 int64_t n_vocab);

class Generator {
 public:
  // Both must outlive the Generator. The tokenizer's vocabulary should be the
  // model's: sampled ids it does not know contribute no text.
  Generator(InferContext& ctx, const text::Tokenizer& tokenizer) : ctx_(ctx), tokenizer_(tokenizer) {}

  // Errors, before any evaluation: kInvalidArgument for max_tokens < 1, an
  // empty stop string, bad sampling params or an empty prompt; kOutOfRange for
  // a prompt id outside the vocabulary or a prompt longer than the context.
  Result<GenerateResult> generate(std::span<const int32_t> prompt, const GenerateParams& params, const TextSink& sink);

 private:
  InferContext& ctx_;
  const text::Tokenizer& tokenizer_;
};

}  // namespace hearth::infer
