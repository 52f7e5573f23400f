// POST /v1/chat/completions: the prompt (the model's chat template rendered
// with the assistant header, encoded with special tokens parsed, as `hearth
// run --chat` does) and the response, whole ("chat.completion") or streamed
// ("chat.completion.chunk": first a delta {role:"assistant", content:""},
// then content deltas, then an empty delta with finish_reason, then the usage
// chunk with "choices": [] when stream_options.include_usage, then [DONE]).
// ref: openai-openapi.json CreateChatCompletionResponse, CreateChatCompletionStreamResponse
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <nlohmann/json.hpp>
#include <vector>

#include "api/chat_request.h"
#include "api/openai_errors.h"
#include "api/response_renderer.h"
#include "api/sequence_builder.h"
#include "api/tool_calls.h"
#include "infer/scheduler.h"
#include "node/served_model.h"

namespace hearth::api {

// 400 when the model has no chat template (naming why) or the template
// rejects the conversation; see also build_sequence_request(). With
// request.generation.truncate, a conversation beyond the context loses its
// oldest messages (leading system messages and the last message are kept;
// recorded in `truncation`).
ApiResult<infer::SequenceRequest> build_chat_sequence(const ChatRequest& request, const node::ServedModel& served,
                                                      uint64_t random_seed, PromptTruncation* truncation);

// With tools: the model's calls become message.tool_calls (whole) or
// tool_calls deltas (streamed: text that cannot be a call streams as content;
// from where a call may start, the rest is held back, parsed at the end, and
// sent as one delta per call with its id, name and whole arguments), and
// finish_reason is "tool_calls". An output that is not a well-formed call is
// content, with the finish_reason it had. Content held back carries no
// logprobs in a stream.
class ChatRenderer : public ResponseRenderer {
 public:
  // logprobs: choices[].logprobs.content[] per token (else null).
  ChatRenderer(ResponseMeta meta, bool logprobs, std::optional<ToolOutput> tools = std::nullopt)
      : meta_(std::move(meta)), logprobs_(logprobs), tools_(tools) {
    if (tools_) tool_stream_.emplace(tools_->format, tools_->forced);
  }

  std::string stream_start() override;
  std::string stream_tokens(std::span<const TokenOutput> tokens) override;
  std::string stream_finish(const FinishOutput& finish) override;
  void collect(std::span<const TokenOutput> tokens) override;
  std::string response_body(const FinishOutput& finish) override;

 private:
  // One "chat.completion.chunk" as an SSE event.
  std::string chunk(nlohmann::json delta, nlohmann::json logprobs, nlohmann::json finish_reason) const;

  // message.tool_calls / a delta's tool_calls ("index" only in deltas).
  nlohmann::json render_tool_calls(const std::vector<ParsedToolCall>& calls, bool delta) const;

  ResponseMeta meta_;
  bool logprobs_;
  std::optional<ToolOutput> tools_;
  std::optional<ToolCallStream> tool_stream_;  // streamed responses with tools
  std::string content_;                                       // collected text (whole responses)
  nlohmann::json logprob_entries_ = nlohmann::json::array();  // collected logprobs.content
};

// {token, logprob, bytes, top_logprobs: [{token, logprob, bytes}]}
// ref: openai-openapi.json ChatCompletionTokenLogprob
nlohmann::json render_chat_token_logprob(const TokenOutput& token);

}  // namespace hearth::api
