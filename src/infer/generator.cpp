#include "infer/generator.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <string>

#include "infer/text_stream.h"

namespace hearth::infer {
namespace {

using Clock = std::chrono::steady_clock;

double elapsed_ms(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

}  // namespace

Status validate_generate_request(std::span<const int32_t> prompt, const GenerateParams& params, int64_t n_ctx,
                                 int64_t n_vocab) {
  if (params.max_tokens < 1) {
    return invalid_argument_error("max_tokens " + std::to_string(params.max_tokens) + " must be at least 1");
  }
  for (size_t stop_idx = 0; stop_idx < params.stop.size(); ++stop_idx) {
    if (params.stop[stop_idx].empty()) {
      return invalid_argument_error("stop string " + std::to_string(stop_idx) + " is empty");
    }
  }
  HEARTH_RETURN_IF_ERROR(validate_sampling_params(params.sampling));
  if (prompt.empty()) return invalid_argument_error("the prompt has no tokens");
  if (static_cast<int64_t>(prompt.size()) > n_ctx) {
    return out_of_range_error("the prompt of " + std::to_string(prompt.size()) + " tokens exceeds the context of " +
                              std::to_string(n_ctx));
  }
  for (size_t idx = 0; idx < prompt.size(); ++idx) {
    if (prompt[idx] < 0 || prompt[idx] >= n_vocab) {
      return out_of_range_error("prompt token id " + std::to_string(prompt[idx]) + " at index " + std::to_string(idx) +
                                " is outside the vocabulary [0, " + std::to_string(n_vocab) + ")");
    }
  }
  return ok_status();
}

const char* finish_reason_name(FinishReason reason) {
  switch (reason) {
    case FinishReason::kStop:
      return "stop";
    case FinishReason::kLength:
      return "length";
    case FinishReason::kCancelled:
      return "cancelled";
  }
  return "unknown";
}

Result<GenerateResult> Generator::generate(std::span<const int32_t> prompt, const GenerateParams& params,
                                           const TextSink& sink) {
  HEARTH_RETURN_IF_ERROR(validate_generate_request(prompt, params, ctx_.n_ctx(), ctx_.n_vocab()));
  HEARTH_ASSIGN_OR_RETURN(Sampler sampler, Sampler::create(params.sampling));

  GenerateResult result;
  result.n_prompt_tokens = static_cast<int64_t>(prompt.size());

  // Reuse the cached prefix; keep at least one prompt token to evaluate.
  const std::span<const int32_t> cached = ctx_.tokens();
  const auto mismatch = std::mismatch(cached.begin(), cached.end(), prompt.begin(), prompt.end());
  const int64_t n_common = std::min<int64_t>(mismatch.first - cached.begin(), static_cast<int64_t>(prompt.size()) - 1);
  HEARTH_RETURN_IF_ERROR(ctx_.truncate(n_common));
  result.n_cached_prompt_tokens = n_common;

  const Clock::time_point prefill_start = Clock::now();
  HEARTH_ASSIGN_OR_RETURN(std::span<const float> logits, ctx_.eval(prompt.subspan(n_common)));
  result.prefill_ms = elapsed_ms(prefill_start);

  const Clock::time_point decode_start = Clock::now();
  TextStream stream(params.stop, sink);
  // How a stream that ends now finishes: held-back text is released, which
  // can still complete a stop string or meet a cancelling sink.
  const auto finish_as = [&stream](FinishReason natural) {
    if (stream.finish()) return natural;
    return stream.stopped() ? FinishReason::kStop : FinishReason::kCancelled;
  };
  for (;;) {
    const int32_t id = sampler.sample(logits, ctx_.tokens());
    result.generated.push_back(id);
    if (!params.ignore_eos && tokenizer_.is_end_of_generation(id)) {
      result.finish_reason = finish_as(FinishReason::kStop);
      break;
    }
    if (!stream.push(tokenizer_.token_to_bytes(id))) {
      result.finish_reason = stream.stopped() ? FinishReason::kStop : FinishReason::kCancelled;
      break;
    }
    const bool at_limit = static_cast<int64_t>(result.generated.size()) >= params.max_tokens;
    if (at_limit || ctx_.n_past() >= ctx_.n_ctx()) {
      result.finish_reason = finish_as(FinishReason::kLength);
      break;
    }
    const std::array<int32_t, 1> next = {id};
    HEARTH_ASSIGN_OR_RETURN(logits, ctx_.eval(next));
  }
  result.decode_ms = elapsed_ms(decode_start);
  result.n_generated_tokens = static_cast<int64_t>(result.generated.size());
  result.stop_index = stream.stop_index();
  return result;
}

}  // namespace hearth::infer
