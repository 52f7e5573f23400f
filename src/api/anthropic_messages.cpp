#include "api/anthropic_messages.h"

#include "api/json_output.h"

namespace hearth::api {
namespace {

using nlohmann::json;

std::string event(std::string_view type, json data) {
  data["type"] = type;
  return "event: " + std::string(type) + "\ndata: " + dump_json(data) + "\n\n";
}

json text_delta(const std::string& text) { return {{"index", 0}, {"delta", {{"type", "text_delta"}, {"text", text}}}}; }

json stop_sequence(const FinishOutput& finish, const std::vector<std::string>& stops) {
  if (finish.stop_index < 0 || static_cast<size_t>(finish.stop_index) >= stops.size()) return nullptr;
  return stops[static_cast<size_t>(finish.stop_index)];
}

}  // namespace

const char* anthropic_stop_reason(const FinishOutput& finish) {
  if (finish.reason == infer::FinishReason::kLength) return "max_tokens";
  return finish.stop_index >= 0 ? "stop_sequence" : "end_turn";
}

std::string AnthropicMessageRenderer::stream_start() {
  const json message = {
      {"id", meta_.id},           {"type", "message"},
      {"role", "assistant"},      {"model", meta_.model},
      {"content", json::array()}, {"stop_reason", nullptr},
      {"stop_sequence", nullptr}, {"usage", {{"input_tokens", n_prompt_tokens_}, {"output_tokens", 0}}}};
  return event("message_start", {{"message", message}}) +
         event("content_block_start", {{"index", 0}, {"content_block", {{"type", "text"}, {"text", ""}}}});
}

std::vector<ParsedToolCall> AnthropicMessageRenderer::kept_calls(std::vector<ParsedToolCall> calls) const {
  if (!tools_->parallel && calls.size() > 1) calls.resize(1);
  return calls;
}

std::string AnthropicMessageRenderer::stream_tokens(std::span<const TokenOutput> tokens) {
  std::string out;
  for (const TokenOutput& token : tokens) {
    const std::string text = tool_stream_ ? tool_stream_->push(token.text) : std::string(token.text);
    if (!text.empty()) out += event("content_block_delta", text_delta(text));
  }
  return out;
}

std::string AnthropicMessageRenderer::stream_finish(const FinishOutput& finish) {
  std::string out;
  std::string text = tool_stream_ ? tool_stream_->push(finish.text) : std::string(finish.text);
  std::vector<ParsedToolCall> calls;
  if (tool_stream_) {
    ToolCallParse parse = tool_stream_->finish();
    text += parse.content;
    calls = kept_calls(std::move(parse.calls));
  }
  if (!text.empty()) out += event("content_block_delta", text_delta(text));
  out += event("content_block_stop", {{"index", 0}});
  for (size_t call_idx = 0; call_idx < calls.size(); ++call_idx) {
    const json index = call_idx + 1;
    out += event("content_block_start", {{"index", index},
                                         {"content_block",
                                          {{"type", "tool_use"},
                                           {"id", tool_use_id(tools_->format, meta_.id, call_idx)},
                                           {"name", calls[call_idx].name},
                                           {"input", json::object()}}}});
    out += event("content_block_delta",
                 {{"index", index}, {"delta", {{"type", "input_json_delta"}, {"partial_json", calls[call_idx].arguments}}}});
    out += event("content_block_stop", {{"index", index}});
  }
  const json stop_reason = calls.empty() ? json(anthropic_stop_reason(finish)) : json("tool_use");
  out += event("message_delta",
               {{"delta", {{"stop_reason", stop_reason}, {"stop_sequence", stop_sequence(finish, meta_.stop)}}},
                {"usage", {{"output_tokens", finish.n_generated_tokens}}}});
  out += event("message_stop", json::object());
  return out;
}

void AnthropicMessageRenderer::collect(std::span<const TokenOutput> tokens) {
  for (const TokenOutput& token : tokens) content_ += token.text;
}

std::string AnthropicMessageRenderer::response_body(const FinishOutput& finish) {
  content_ += finish.text;
  json content = json::array();
  json stop_reason = anthropic_stop_reason(finish);
  if (tools_) {
    ToolCallParse parse = parse_tool_calls(tools_->format, content_, tools_->forced);
    const std::vector<ParsedToolCall> calls = kept_calls(std::move(parse.calls));
    if (!calls.empty()) {
      if (!parse.content.empty()) content.push_back({{"type", "text"}, {"text", parse.content}});
      for (size_t call_idx = 0; call_idx < calls.size(); ++call_idx) {
        content.push_back({{"type", "tool_use"},
                           {"id", tool_use_id(tools_->format, meta_.id, call_idx)},
                           {"name", calls[call_idx].name},
                           {"input", json::parse(calls[call_idx].arguments, nullptr, /*allow_exceptions=*/false)}});
      }
      stop_reason = "tool_use";
    }
  }
  if (content.empty()) content.push_back({{"type", "text"}, {"text", content_}});
  const json message = {
      {"id", meta_.id},
      {"type", "message"},
      {"role", "assistant"},
      {"model", meta_.model},
      {"content", std::move(content)},
      {"stop_reason", std::move(stop_reason)},
      {"stop_sequence", stop_sequence(finish, meta_.stop)},
      {"usage", {{"input_tokens", finish.n_prompt_tokens}, {"output_tokens", finish.n_generated_tokens}}}};
  return dump_json(message);
}

}  // namespace hearth::api
