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

std::string AnthropicMessageRenderer::stream_tokens(std::span<const TokenOutput> tokens) {
  std::string out;
  for (const TokenOutput& token : tokens) {
    if (!token.text.empty()) out += event("content_block_delta", text_delta(token.text));
  }
  return out;
}

std::string AnthropicMessageRenderer::stream_finish(const FinishOutput& finish) {
  std::string out;
  if (!finish.text.empty()) out += event("content_block_delta", text_delta(finish.text));
  out += event("content_block_stop", {{"index", 0}});
  out +=
      event("message_delta",
            {{"delta",
              {{"stop_reason", anthropic_stop_reason(finish)}, {"stop_sequence", stop_sequence(finish, meta_.stop)}}},
             {"usage", {{"output_tokens", finish.n_generated_tokens}}}});
  out += event("message_stop", json::object());
  return out;
}

void AnthropicMessageRenderer::collect(std::span<const TokenOutput> tokens) {
  for (const TokenOutput& token : tokens) content_ += token.text;
}

std::string AnthropicMessageRenderer::response_body(const FinishOutput& finish) {
  content_ += finish.text;
  const json message = {
      {"id", meta_.id},
      {"type", "message"},
      {"role", "assistant"},
      {"model", meta_.model},
      {"content", json::array({{{"type", "text"}, {"text", content_}}})},
      {"stop_reason", anthropic_stop_reason(finish)},
      {"stop_sequence", stop_sequence(finish, meta_.stop)},
      {"usage", {{"input_tokens", finish.n_prompt_tokens}, {"output_tokens", finish.n_generated_tokens}}}};
  return dump_json(message);
}

}  // namespace hearth::api
