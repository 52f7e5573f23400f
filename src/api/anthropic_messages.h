// POST /v1/messages: hearth's own engine answering Anthropic's Messages API,
// so clients built on the Anthropic SDK talk to a hearth node directly. The
// request is parsed into a ChatRequest (api/request_parsing.h,
// parse_messages_request); this renderer writes the message or its event stream.
// ref: https://docs.anthropic.com/en/api/messages, https://docs.anthropic.com/en/api/messages-streaming
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "api/response_renderer.h"
#include "api/tool_calls.h"

namespace hearth::api {

// With tools, the model's calls become tool_use blocks ({id, name, input})
// after the text block, and stop_reason is "tool_use"; streamed, text that
// cannot start a call streams as text_delta, the rest is held back and sent
// at the end as one tool_use block per call (content_block_start, one
// input_json_delta with the whole input, content_block_stop).
class AnthropicMessageRenderer : public ResponseRenderer {
 public:
  // meta.id is the message id ("msg_..."); n_prompt_tokens is what message_start reports.
  AnthropicMessageRenderer(ResponseMeta meta, int64_t n_prompt_tokens, std::optional<ToolOutput> tools = std::nullopt)
      : meta_(std::move(meta)), n_prompt_tokens_(n_prompt_tokens), tools_(tools) {
    if (tools_) tool_stream_.emplace(tools_->format, tools_->forced);
  }

  // message_start, content_block_start
  std::string stream_start() override;
  // content_block_delta (text_delta) per token that released text
  std::string stream_tokens(std::span<const TokenOutput> tokens) override;
  // the last text, content_block_stop, message_delta (stop_reason, usage), message_stop
  std::string stream_finish(const FinishOutput& finish) override;
  void collect(std::span<const TokenOutput> tokens) override;
  std::string response_body(const FinishOutput& finish) override;

 private:
  // The calls a response keeps (the first only without parallel tool use).
  std::vector<ParsedToolCall> kept_calls(std::vector<ParsedToolCall> calls) const;

  ResponseMeta meta_;
  int64_t n_prompt_tokens_;
  std::optional<ToolOutput> tools_;
  std::optional<ToolCallStream> tool_stream_;
  std::string content_;  // collected text (whole responses)
};

// "end_turn", "max_tokens" or "stop_sequence".
const char* anthropic_stop_reason(const FinishOutput& finish);

}  // namespace hearth::api
