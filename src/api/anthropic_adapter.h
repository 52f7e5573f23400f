// Speaking to an Anthropic provider for an OpenAI client: an OpenAI chat
// completions request becomes a Messages API request, and the answer (whole
// or streamed) comes back as OpenAI's chat completion or chunks.
// ref: https://docs.anthropic.com/en/api/messages (request, response, streaming events)
//
//   ApiResult<nlohmann::json> request = anthropic_request(openai_body, "claude-sonnet-4");
//   AnthropicStream stream(meta);             // for stream: true
//   client_bytes = stream.feed(upstream_piece);
//
// Thread-safety: plain values; one AnthropicStream per response.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "api/openai_errors.h"

namespace hearth::api {

inline constexpr const char* kAnthropicVersion = "2023-06-01";
inline constexpr int64_t kAnthropicDefaultMaxTokens = 4096;  // the Messages API requires max_tokens

// The Messages API body for an OpenAI chat request, sent as `model`. System
// and developer messages become `system`; text content parts are joined.
// Tools become Anthropic tools (parameters -> input_schema), tool_choice
// auto/none/required/a function -> auto/none/any/tool, parallel_tool_calls
// false -> disable_parallel_tool_use; assistant tool_calls become tool_use
// blocks (arguments parsed into `input`) and tool messages user tool_result
// blocks (consecutive ones in one user message). 400 naming the field for
// what Anthropic cannot take (n > 1, functions, response_format other than
// text, non-text parts).
ApiResult<nlohmann::json> anthropic_request(const nlohmann::json& openai_chat, const std::string& model);

struct AnthropicUsage {
  int64_t input_tokens = 0;
  int64_t output_tokens = 0;
};

// A whole Messages API response as an OpenAI chat.completion body; tool_use
// blocks become message.tool_calls and stop_reason tool_use finish_reason
// "tool_calls". kDataLoss when it is not a message.
Result<std::string> openai_completion_from_anthropic(std::string_view body, const std::string& id, int64_t created_s,
                                                     AnthropicUsage* usage);

// An Anthropic error body ({"type":"error","error":{type,message}}) as an
// OpenAI error body; a body of another shape is quoted in the message.
std::string openai_error_from_anthropic(std::string_view body, unsigned http_status);

// Streamed Messages API events in, OpenAI chat.completion.chunk events out; a
// tool_use block becomes a tool_calls delta with its id and name, and each
// input_json_delta an arguments delta of the same call index.
class AnthropicStream {
 public:
  AnthropicStream(std::string id, int64_t created_s, std::string model, bool include_usage)
      : id_(std::move(id)), created_s_(created_s), model_(std::move(model)), include_usage_(include_usage) {}

  // Consumes upstream bytes (any split); returns the client's SSE bytes so far.
  std::string feed(std::string_view bytes);
  bool finished() const { return finished_; }  // message_stop seen and [DONE] emitted
  const AnthropicUsage& usage() const { return usage_; }

 private:
  std::string on_event(const nlohmann::json& event);
  std::string chunk(nlohmann::json delta, nlohmann::json finish_reason) const;

  std::string id_;
  int64_t created_s_;
  std::string model_;
  bool include_usage_;
  std::string pending_;  // bytes of an unfinished event
  std::string finish_reason_ = "stop";
  std::vector<std::pair<int64_t, int64_t>> tool_blocks_;  // Anthropic block index -> OpenAI tool call index
  AnthropicUsage usage_;
  bool finished_ = false;
};

}  // namespace hearth::api
