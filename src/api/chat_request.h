// A parsed POST /v1/chat/completions body (api/request_parsing.h builds it).
// ref: openai-openapi.json components.schemas.CreateChatCompletionRequest
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "api/generation_fields.h"
#include "text/chat_template.h"

namespace hearth::api {

struct ChatRequest {
  std::string model;
  // Roles "system", "user", "assistant" ("developer" arrives as "system");
  // content parts are joined into one string.
  std::vector<text::ChatMessage> messages;
  GenerationFields generation;
  bool logprobs = false;
  int32_t top_logprobs = 0;  // 0..20 alternatives per token, with logprobs
};

}  // namespace hearth::api
