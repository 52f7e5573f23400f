// A parsed POST /v1/chat/completions body (api/request_parsing.h builds it).
// ref: openai-openapi.json components.schemas.CreateChatCompletionRequest
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/generation_fields.h"
#include "infer/json_grammar.h"
#include "text/chat_template.h"

namespace hearth::api {

// One of the request's `tools` (type "function").
struct ChatTool {
  std::string name;
  std::string description;
  nlohmann::ordered_json parameters = nlohmann::ordered_json::object();  // the schema, in the client's key order
  int32_t parameters_node = -1;  // in ChatRequest::tool_grammar, when a call is forced
};

enum class ToolChoice { kAuto, kNone, kRequired, kFunction };

struct ChatRequest {
  std::string model;
  // Roles "system", "user", "assistant", "tool" ("developer" arrives as
  // "system"); content parts are joined into one string; assistant messages
  // may carry tool calls.
  std::vector<text::ChatMessage> messages;
  GenerationFields generation;
  bool logprobs = false;
  int32_t top_logprobs = 0;  // 0..20 alternatives per token, with logprobs

  std::vector<ChatTool> tools;
  ToolChoice tool_choice = ToolChoice::kAuto;  // kNone when there are no tools
  std::string tool_choice_name;                // kFunction: the function
  bool parallel_tool_calls = true;
  // tool_choice required or a function: the parameters of the tools a call
  // may use, compiled (each tool's parameters_node); the call's own nodes are
  // added once the model, hence its tool format, is known.
  infer::JsonGrammar tool_grammar;
  // response_format json_object / json_schema, compiled; null: free text.
  std::shared_ptr<const infer::JsonGrammar> response_grammar;
  // `tools` as the template reads them, and chat_template_kwargs.
  text::ChatTemplateOptions template_options;

  bool tools_active() const { return !tools.empty() && tool_choice != ToolChoice::kNone; }
  bool tool_call_forced() const { return tool_choice == ToolChoice::kRequired || tool_choice == ToolChoice::kFunction; }
};

}  // namespace hearth::api
