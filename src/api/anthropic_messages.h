// POST /v1/messages: hearth's own engine answering Anthropic's Messages API,
// so clients built on the Anthropic SDK talk to a hearth node directly. The
// request is parsed into a ChatRequest (api/request_parsing.h,
// parse_messages_request); this renderer writes the message or its event stream.
// ref: https://docs.anthropic.com/en/api/messages, https://docs.anthropic.com/en/api/messages-streaming
#pragma once

#include <cstdint>
#include <string>

#include "api/response_renderer.h"

namespace hearth::api {

class AnthropicMessageRenderer : public ResponseRenderer {
 public:
  // meta.id is the message id ("msg_..."); n_prompt_tokens is what message_start reports.
  AnthropicMessageRenderer(ResponseMeta meta, int64_t n_prompt_tokens)
      : meta_(std::move(meta)), n_prompt_tokens_(n_prompt_tokens) {}

  // message_start, content_block_start
  std::string stream_start() override;
  // content_block_delta (text_delta) per token that released text
  std::string stream_tokens(std::span<const TokenOutput> tokens) override;
  // the last text, content_block_stop, message_delta (stop_reason, usage), message_stop
  std::string stream_finish(const FinishOutput& finish) override;
  void collect(std::span<const TokenOutput> tokens) override;
  std::string response_body(const FinishOutput& finish) override;

 private:
  ResponseMeta meta_;
  int64_t n_prompt_tokens_;
  std::string content_;  // collected text (whole responses)
};

// "end_turn", "max_tokens" or "stop_sequence".
const char* anthropic_stop_reason(const FinishOutput& finish);

}  // namespace hearth::api
