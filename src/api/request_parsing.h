// Request bodies -> plain structs. Every error is a 400 invalid_request_error
// whose message and param name the field at fault; nothing wrong is replaced
// by a default. Accepted but unsupported OpenAI features with a non-default
// value (n > 1, logit_bias, ...) are a 400 saying so; keys OpenAI does not
// define are a 400 too. Tools and response_format schemas are compiled here
// (api/json_schema_grammar.h) so a schema hearth cannot enforce is a 400 too.
//
//   ApiResult<ChatRequest> request = parse_chat_request(body);
//   if (!request.ok()) return respond_error(request.error());
#pragma once

#include <nlohmann/json.hpp>
#include <string_view>

#include "api/chat_request.h"
#include "api/completion_request.h"
#include "api/openai_errors.h"

namespace hearth::api {

// JSON nesting deeper than this is refused before parsing (a hostile body
// could otherwise exhaust the stack of code that walks the value).
inline constexpr int kMaxJsonDepth = 64;

// The `code` of a 400 for an OpenAI feature hearth's engine does not have yet
// (tools, n > 1, ...): the request is well formed, a cloud provider may serve it.
inline constexpr std::string_view kUnsupportedFeatureCode = "unsupported_feature";

// Parses `body` as JSON ("malformed JSON" 400 with the parser's position).
ApiResult<nlohmann::json> parse_json_body(std::string_view body);

ApiResult<ChatRequest> parse_chat_request(std::string_view body);

// POST /v1/messages (Anthropic's Messages API) into the same ChatRequest:
// `system` becomes a leading system message, text blocks are joined,
// `stop_sequences` are the stop strings, `tools` / `tool_choice` / tool_use
// and tool_result blocks become the ChatRequest's tools, tool calls and
// "tool" messages. max_tokens is required, as Anthropic requires it. Images,
// server tools and thinking are a 400 "not supported yet".
// ref: https://docs.anthropic.com/en/api/messages
ApiResult<ChatRequest> parse_messages_request(std::string_view body);
ApiResult<CompletionRequest> parse_completion_request(std::string_view body);

}  // namespace hearth::api
