// A parsed POST /v1/completions body (api/request_parsing.h builds it).
// ref: openai-openapi.json components.schemas.CreateCompletionRequest
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/generation_fields.h"

namespace hearth::api {

struct CompletionRequest {
  std::string model;
  // The prompt is text (encoded with the model's bos) or, when the request
  // sent an array of integers, token ids used as they are.
  bool prompt_is_tokens = false;
  std::string prompt_text;
  std::vector<int32_t> prompt_tokens;
  GenerationFields generation;
  int32_t logprobs = -1;  // -1: none; 0..20: the sampled token's and this many alternatives
};

}  // namespace hearth::api
