#include "api/sequence_builder.h"

#include <algorithm>
#include <limits>

#include "api/json_fields.h"

namespace hearth::api {
namespace {

ApiError context_length_error(std::string message, const std::string& prompt_param) {
  return ApiError{400, "invalid_request_error", std::move(message), prompt_param, "context_length_exceeded"};
}

}  // namespace

ApiResult<int64_t> request_context(const GenerationFields& fields, int64_t n_ctx) {
  if (!fields.n_ctx_limit) return n_ctx;
  if (*fields.n_ctx_limit > n_ctx) {
    return invalid_field_error("options.num_ctx", "'options.num_ctx' asks for " + std::to_string(*fields.n_ctx_limit) +
                                                      " tokens of context, but this model is served with " +
                                                      std::to_string(n_ctx) +
                                                      " (the server's --ctx); ask for at most that");
  }
  return *fields.n_ctx_limit;
}

int64_t prompt_token_limit(const GenerationFields& fields, int64_t n_ctx) {
  const int64_t limit = fields.max_tokens ? n_ctx - *fields.max_tokens : n_ctx - n_ctx / 4;
  return std::max<int64_t>(1, limit);
}

void truncate_prompt_tokens(std::vector<int32_t>* prompt, int64_t limit, int32_t bos_id, PromptTruncation* truncation) {
  const int64_t n_prompt = static_cast<int64_t>(prompt->size());
  if (n_prompt <= limit) return;
  const bool keep_bos = bos_id >= 0 && limit > 1 && prompt->front() == bos_id;
  const int64_t n_removed = n_prompt - limit;
  const auto first_removed = prompt->begin() + (keep_bos ? 1 : 0);
  prompt->erase(first_removed, first_removed + n_removed);
  truncation->n_tokens_removed += n_removed;
}

ApiResult<infer::SequenceRequest> build_sequence_request(std::vector<int32_t>&& prompt, const GenerationFields& fields,
                                                         int32_t n_top_logprobs, int64_t n_ctx, uint64_t random_seed,
                                                         const std::string& prompt_param) {
  const int64_t n_prompt = static_cast<int64_t>(prompt.size());
  if (n_prompt == 0) return invalid_field_error(prompt_param, "The prompt encodes to no tokens");
  const std::string in_what = prompt_param == "messages" ? "the messages" : "the prompt";
  int64_t max_tokens = 0;
  if (fields.max_tokens) {
    max_tokens = *fields.max_tokens;
    if (n_prompt + max_tokens > n_ctx) {
      return context_length_error("This model's maximum context length is " + std::to_string(n_ctx) +
                                      " tokens. However, you requested " + std::to_string(n_prompt + max_tokens) +
                                      " tokens (" + std::to_string(n_prompt) + " in " + in_what + ", " +
                                      std::to_string(max_tokens) + " in the completion). Please reduce the length of " +
                                      in_what + " or completion.",
                                  prompt_param);
    }
  } else {
    max_tokens = n_ctx - n_prompt;
    if (max_tokens < 1) {
      return context_length_error("This model's maximum context length is " + std::to_string(n_ctx) +
                                      " tokens. However, " + in_what + " alone take " + std::to_string(n_prompt) +
                                      " tokens, which leaves no room for the completion. Please reduce the "
                                      "length of " +
                                      in_what + ".",
                                  prompt_param);
    }
  }
  infer::SequenceRequest request;
  request.prompt = std::move(prompt);
  request.params.max_tokens = static_cast<int32_t>(std::min<int64_t>(max_tokens, std::numeric_limits<int32_t>::max()));
  request.params.stop = fields.stop;
  request.params.sampling = fields.sampling;
  request.params.sampling.seed = fields.seed.value_or(random_seed);
  request.n_top_logprobs = n_top_logprobs;
  return request;
}

}  // namespace hearth::api
