#include "api/response_renderer.h"

#include <cmath>

namespace hearth::api {

const char* openai_finish_reason(infer::FinishReason reason) {
  return reason == infer::FinishReason::kLength ? "length" : "stop";
}

nlohmann::json render_usage(const FinishOutput& finish) {
  return {{"prompt_tokens", finish.n_prompt_tokens},
          {"completion_tokens", finish.n_generated_tokens},
          {"total_tokens", finish.n_prompt_tokens + finish.n_generated_tokens},
          {"prompt_tokens_details", {{"cached_tokens", finish.n_cached_prompt_tokens}}}};
}

double json_logprob(float logprob) { return std::isfinite(logprob) ? static_cast<double>(logprob) : -9999.0; }

}  // namespace hearth::api
