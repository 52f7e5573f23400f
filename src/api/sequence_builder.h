// From parsed request fields and an encoded prompt to the engine's
// SequenceRequest: the context budget (max_tokens defaults to what the
// context has left; prompt + max_tokens beyond it is OpenAI's
// context_length_exceeded), stop strings, sampling and the seed; and the
// opt-in truncation of a prompt that does not fit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/generation_fields.h"
#include "api/openai_errors.h"
#include "infer/scheduler.h"

namespace hearth::api {

// What an opted-in truncation removed; all zero when nothing was.
struct PromptTruncation {
  int64_t n_tokens_removed = 0;
  int32_t n_messages_removed = 0;
};

// The context one request may use: the model's n_ctx, or the request's
// n_ctx_limit (Ollama's num_ctx) when smaller; a limit beyond the model's
// context is a 400 naming options.num_ctx (hearth serves each model with one
// context, `hearth serve --ctx`).
ApiResult<int64_t> request_context(const GenerationFields& fields, int64_t n_ctx);

// The most prompt tokens a request may keep in a context of n_ctx: n_ctx -
// max_tokens when max_tokens is set, else three quarters of the context (a
// truncated prompt leaves the answer a quarter). At least 1.
int64_t prompt_token_limit(const GenerationFields& fields, int64_t n_ctx);

// For a text prompt longer than `limit`: keeps its last tokens (and a leading
// bos_id, when the prompt starts with it) so that `limit` remain. bos_id -1: none.
void truncate_prompt_tokens(std::vector<int32_t>* prompt, int64_t limit, int32_t bos_id, PromptTruncation* truncation);

// `prompt_param` names the request field the prompt came from ("messages" or
// "prompt") in errors. `random_seed` is used when the request sent no seed.
// n_top_logprobs: -1 for none, else 0..20.
ApiResult<infer::SequenceRequest> build_sequence_request(std::vector<int32_t>&& prompt, const GenerationFields& fields,
                                                         int32_t n_top_logprobs, int64_t n_ctx, uint64_t random_seed,
                                                         const std::string& prompt_param);

}  // namespace hearth::api
