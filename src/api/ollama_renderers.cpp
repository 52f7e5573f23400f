#include "api/ollama_renderers.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "api/json_output.h"

namespace hearth::api {
namespace {

using nlohmann::json;

int64_t ms_to_ns(double ms) { return static_cast<int64_t>(ms * 1e6); }

// Ollama's tool call: {id, function: {index, name, arguments: {...}}}.
json render_calls(const std::vector<ParsedToolCall>& calls, const ToolOutput& tools, const std::string& response_id) {
  json out = json::array();
  const size_t n_calls = tools.parallel ? calls.size() : std::min<size_t>(calls.size(), 1);
  for (size_t call_idx = 0; call_idx < n_calls; ++call_idx) {
    // The parser hands back a compact JSON object: parse it into one.
    json arguments = json::parse(calls[call_idx].arguments, nullptr, /*allow_exceptions=*/false);
    if (!arguments.is_object()) arguments = json::object();
    out.push_back({{"id", tool_call_id(tools.format, response_id, call_idx)},
                   {"function", {{"index", call_idx}, {"name", calls[call_idx].name}, {"arguments", arguments}}}});
  }
  return out;
}

}  // namespace

std::string rfc3339_utc(int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[64];
  const int millis = static_cast<int>(((unix_ms % 1000) + 1000) % 1000);
  std::snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, millis);
  return text;
}

std::string render_ollama_error_body(const ApiError& error) { return dump_json(json{{"error", error.message}}); }

OllamaRenderer::OllamaRenderer(ResponseMeta meta, bool chat, std::optional<ToolOutput> tools,
                               std::function<int64_t()> now_ms)
    : meta_(std::move(meta)), chat_(chat), tools_(tools), now_ms_(std::move(now_ms)) {
  if (tools_) tool_stream_.emplace(tools_->format, tools_->forced);
}

std::string OllamaRenderer::line(const std::string& text) const {
  json body = {{"model", meta_.model}, {"created_at", rfc3339_utc(now_ms_())}};
  if (chat_) {
    body["message"] = {{"role", "assistant"}, {"content", text}};
  } else {
    body["response"] = text;
  }
  body["done"] = false;
  return dump_json(body) + "\n";
}

json OllamaRenderer::final_object(const std::string& text, const std::vector<ParsedToolCall>& calls,
                                  const FinishOutput& finish) const {
  json body = {{"model", meta_.model}, {"created_at", rfc3339_utc(now_ms_())}};
  if (chat_) {
    json message = {{"role", "assistant"}, {"content", text}};
    if (!calls.empty()) message["tool_calls"] = render_calls(calls, *tools_, meta_.id);
    body["message"] = std::move(message);
  } else {
    body["response"] = text;
  }
  body["done"] = true;
  body["done_reason"] = finish.reason == infer::FinishReason::kLength ? "length" : "stop";
  const double eval_ms = std::max(0.0, finish.total_ms - finish.ttft_ms);
  body["total_duration"] = ms_to_ns(finish.total_ms);
  body["load_duration"] = 0;  // a load is not part of the engine's time; /hearth/v1/status has load_ms
  body["prompt_eval_count"] = finish.n_prompt_tokens;
  body["prompt_eval_duration"] = ms_to_ns(finish.ttft_ms);
  body["eval_count"] = finish.n_generated_tokens;
  body["eval_duration"] = ms_to_ns(eval_ms);
  return body;
}

std::string OllamaRenderer::stream_tokens(std::span<const TokenOutput> tokens) {
  std::string text;
  for (const TokenOutput& token : tokens) text += tool_stream_ ? tool_stream_->push(token.text) : token.text;
  if (text.empty()) return {};
  return line(text);  // one line per batch the engine handed over
}

std::string OllamaRenderer::stream_finish(const FinishOutput& finish) {
  std::string text = tool_stream_ ? tool_stream_->push(finish.text) : finish.text;
  std::vector<ParsedToolCall> calls;
  if (tool_stream_) {
    ToolCallParse parse = tool_stream_->finish();
    text += parse.content;
    calls = std::move(parse.calls);
  }
  return dump_json(final_object(text, calls, finish)) + "\n";
}

void OllamaRenderer::collect(std::span<const TokenOutput> tokens) {
  for (const TokenOutput& token : tokens) content_ += token.text;
}

std::string OllamaRenderer::response_body(const FinishOutput& finish) {
  content_ += finish.text;
  if (!tools_) return dump_json(final_object(content_, {}, finish));
  ToolCallParse parse = parse_tool_calls(tools_->format, content_, tools_->forced);
  if (parse.calls.empty()) return dump_json(final_object(content_, {}, finish));
  return dump_json(final_object(parse.content, parse.calls, finish));
}

std::string render_ollama_load(const std::string& model, bool chat, bool unload, int64_t unix_ms) {
  json body = {{"model", model}, {"created_at", rfc3339_utc(unix_ms)}};
  if (chat) {
    body["message"] = {{"role", "assistant"}, {"content", ""}};
  } else {
    body["response"] = "";
  }
  body["done"] = true;
  body["done_reason"] = unload ? "unload" : "load";
  return dump_json(body);
}

}  // namespace hearth::api
