// From parsed request fields and an encoded prompt to the engine's
// SequenceRequest: the context budget (max_tokens defaults to what the
// context has left; prompt + max_tokens beyond it is OpenAI's
// context_length_exceeded), stop strings, sampling and the seed.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/generation_fields.h"
#include "api/openai_errors.h"
#include "infer/scheduler.h"

namespace hearth::api {

// `prompt_param` names the request field the prompt came from ("messages" or
// "prompt") in errors. `random_seed` is used when the request sent no seed.
// n_top_logprobs: -1 for none, else 0..20.
ApiResult<infer::SequenceRequest> build_sequence_request(std::vector<int32_t>&& prompt, const GenerationFields& fields,
                                                         int32_t n_top_logprobs, int64_t n_ctx, uint64_t random_seed,
                                                         const std::string& prompt_param);

}  // namespace hearth::api
