#include "api/anthropic_adapter.h"

#include <cstdint>

#include "api/json_fields.h"
#include "api/json_output.h"
#include "api/sse.h"

namespace hearth::api {
namespace {

using nlohmann::json;

ApiError unsupported(const std::string& param, const std::string& what) {
  return ApiError{400, "invalid_request_error", what + " cannot be sent to an Anthropic provider", param,
                  "unsupported_by_provider"};
}

// A message's content as one string: a string, or text parts joined.
ApiResult<std::string> text_of(const json& content, const std::string& param) {
  if (content.is_string()) return content.get<std::string>();
  if (content.is_null()) return std::string();
  if (!content.is_array()) return invalid_field_error(param, "content must be a string or an array of parts");
  std::string text;
  for (const json& part : content) {
    if (!part.is_object() || part.value("type", "") != "text" || !part.contains("text") || !part["text"].is_string()) {
      return unsupported(param, "A content part other than text");
    }
    if (!text.empty()) text += "\n";
    text += part["text"].get<std::string>();
  }
  return text;
}

// A usage count of an upstream answer: `fallback` unless it is a non-negative
// integer (json::value would convert 1e30 to int64_t, which is undefined).
int64_t token_count(const json& counts, const char* key, int64_t fallback) {
  const auto value = counts.find(key);
  if (value == counts.end() || !value->is_number_integer()) return fallback;
  if (value->is_number_unsigned()) {
    const uint64_t count = value->get<uint64_t>();
    return count > static_cast<uint64_t>(INT64_MAX) ? fallback : static_cast<int64_t>(count);
  }
  const int64_t count = value->get<int64_t>();
  return count < 0 ? fallback : count;
}

std::string openai_finish_reason(std::string_view stop_reason) {
  if (stop_reason == "max_tokens") return "length";
  if (stop_reason == "tool_use") return "tool_calls";
  return "stop";  // end_turn, stop_sequence, and anything newer
}

}  // namespace

namespace {

ApiResult<json> anthropic_request_or_throw(const json& openai_chat, const std::string& model);

}  // namespace

ApiResult<json> anthropic_request(const json& openai_chat, const std::string& model) {
  try {
    return anthropic_request_or_throw(openai_chat, model);
  } catch (const json::exception&) {
    return invalid_field_error("", "The request has a field of the wrong type for an Anthropic provider");
  }
}

namespace {

ApiResult<json> anthropic_request_or_throw(const json& openai_chat, const std::string& model) {
  if (!openai_chat.is_object()) return invalid_field_error("", "The request body must be a JSON object");
  for (const char* key : {"functions", "function_call", "logit_bias", "audio"}) {
    if (openai_chat.contains(key) && !openai_chat[key].is_null()) return unsupported(key, std::string("'") + key + "'");
  }
  // Compared as JSON (1.0 is 1): value<int>() would convert 1e30, which is undefined.
  if (const auto n = openai_chat.find("n"); n != openai_chat.end() && !n->is_null() && *n != json(1)) {
    return unsupported("n", "'n' other than 1");
  }
  if (const auto format = openai_chat.find("response_format");
      format != openai_chat.end() && format->is_object() && format->value("type", "text") != "text") {
    return unsupported("response_format", "A response_format other than text");
  }
  json out = {{"model", model}};
  std::string system;
  json messages = json::array();
  const auto input = openai_chat.find("messages");
  if (input == openai_chat.end() || !input->is_array() || input->empty()) {
    return invalid_field_error("messages", "'messages' must be a non-empty array");
  }
  for (size_t message_idx = 0; message_idx < input->size(); ++message_idx) {
    const json& message = (*input)[message_idx];
    const std::string param = "messages[" + std::to_string(message_idx) + "]";
    if (!message.is_object()) return invalid_field_error(param, "each message must be an object");
    const std::string role = message.value("role", "");
    ApiResult<std::string> text =
        text_of(message.contains("content") ? message["content"] : json(), param + ".content");
    if (!text.ok()) return text.error();
    if (role == "system" || role == "developer") {
      if (!system.empty()) system += "\n\n";
      system += *text;
    } else if (role == "assistant" && message.contains("tool_calls") && message["tool_calls"].is_array() &&
               !message["tool_calls"].empty()) {
      json blocks = json::array();
      if (!text->empty()) blocks.push_back({{"type", "text"}, {"text", *text}});
      for (const json& call : message["tool_calls"]) {
        if (!call.is_object() || !call.contains("function") || !call["function"].is_object()) {
          return invalid_field_error(param + ".tool_calls", "each tool call needs a function");
        }
        const json& function = call["function"];
        json input = json::parse(function.value("arguments", "{}"), nullptr, /*allow_exceptions=*/false);
        if (!input.is_object()) {
          return invalid_field_error(param + ".tool_calls", "a tool call's arguments must be a JSON object");
        }
        blocks.push_back(
            {{"type", "tool_use"}, {"id", call.value("id", "")}, {"name", function.value("name", "")}, {"input", input}});
      }
      messages.push_back({{"role", "assistant"}, {"content", std::move(blocks)}});
    } else if (role == "tool") {
      const json result = {{"type", "tool_result"}, {"tool_use_id", message.value("tool_call_id", "")}, {"content", *text}};
      // Consecutive results answer one assistant turn: one user message.
      if (!messages.empty() && messages.back()["role"] == "user" && messages.back()["content"].is_array() &&
          !messages.back()["content"].empty() && messages.back()["content"].back().value("type", "") == "tool_result") {
        messages.back()["content"].push_back(result);
      } else {
        messages.push_back({{"role", "user"}, {"content", json::array({result})}});
      }
    } else if (role == "user" || role == "assistant") {
      messages.push_back({{"role", role}, {"content", *text}});
    } else {
      return unsupported(param + ".role", "A '" + role + "' message");
    }
  }
  if (messages.empty()) return invalid_field_error("messages", "an Anthropic provider needs a user message");
  out["messages"] = std::move(messages);
  if (!system.empty()) out["system"] = system;
  int64_t max_tokens = kAnthropicDefaultMaxTokens;
  for (const char* key : {"max_tokens", "max_completion_tokens"}) {
    if (const auto value = openai_chat.find(key); value != openai_chat.end() && value->is_number_integer()) {
      max_tokens = value->get<int64_t>();
    }
  }
  out["max_tokens"] = max_tokens;
  if (const auto value = openai_chat.find("temperature"); value != openai_chat.end() && value->is_number()) {
    out["temperature"] = std::min(value->get<double>(), 1.0);  // Anthropic's range is [0, 1]
  }
  if (const auto value = openai_chat.find("top_p"); value != openai_chat.end() && value->is_number()) {
    out["top_p"] = value->get<double>();
  }
  if (const auto value = openai_chat.find("stop"); value != openai_chat.end() && !value->is_null()) {
    out["stop_sequences"] = value->is_string() ? json::array({*value}) : *value;
  }
  if (openai_chat.value("stream", false)) out["stream"] = true;
  if (const auto tools = openai_chat.find("tools"); tools != openai_chat.end() && !tools->is_null()) {
    if (!tools->is_array()) return invalid_field_error("tools", "'tools' must be an array");
    json converted = json::array();
    for (size_t tool_idx = 0; tool_idx < tools->size(); ++tool_idx) {
      const json& tool = (*tools)[tool_idx];
      const std::string param = "tools[" + std::to_string(tool_idx) + "]";
      if (!tool.is_object() || tool.value("type", "") != "function" || !tool.contains("function") ||
          !tool["function"].is_object() || !tool["function"].contains("name")) {
        return invalid_field_error(param, "each tool must be {\"type\": \"function\", \"function\": {\"name\", ...}}");
      }
      const json& function = tool["function"];
      json entry = {{"name", function["name"]}};
      if (function.contains("description")) entry["description"] = function["description"];
      entry["input_schema"] = function.contains("parameters") && function["parameters"].is_object()
                                  ? function["parameters"]
                                  : json{{"type", "object"}};
      converted.push_back(std::move(entry));
    }
    if (!converted.empty()) out["tools"] = std::move(converted);
  }
  json tool_choice;
  if (const auto choice = openai_chat.find("tool_choice"); choice != openai_chat.end() && !choice->is_null()) {
    if (*choice == "none") {
      tool_choice = {{"type", "none"}};
    } else if (*choice == "auto") {
      tool_choice = {{"type", "auto"}};
    } else if (*choice == "required") {
      tool_choice = {{"type", "any"}};
    } else if (choice->is_object() && choice->contains("function") && (*choice)["function"].is_object()) {
      tool_choice = {{"type", "tool"}, {"name", (*choice)["function"].value("name", "")}};
    } else {
      return invalid_field_error("tool_choice", "'tool_choice' must be none, auto, required or a function");
    }
  }
  if (openai_chat.contains("parallel_tool_calls") && openai_chat["parallel_tool_calls"] == false && out.contains("tools")) {
    if (tool_choice.is_null()) tool_choice = {{"type", "auto"}};
    if (tool_choice["type"] != "none") tool_choice["disable_parallel_tool_use"] = true;
  }
  if (!tool_choice.is_null() && out.contains("tools")) out["tool_choice"] = std::move(tool_choice);
  return out;
}

}  // namespace

namespace {

Result<std::string> openai_completion_or_throw(std::string_view body, const std::string& id, int64_t created_s,
                                               AnthropicUsage* usage) {
  const json message = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!message.is_object() || message.value("type", "") != "message" || !message.contains("content") ||
      !message["content"].is_array()) {
    return data_loss_error("the Anthropic provider's answer is not a message");
  }
  std::string text;
  json tool_calls = json::array();
  for (const json& block : message["content"]) {
    if (block.is_object() && block.value("type", "") == "text" && block.contains("text") && block["text"].is_string()) {
      text += block["text"].get<std::string>();
    } else if (block.is_object() && block.value("type", "") == "tool_use") {
      const json input = block.contains("input") ? block["input"] : json::object();
      tool_calls.push_back({{"id", block.value("id", "")},
                            {"type", "function"},
                            {"function", {{"name", block.value("name", "")}, {"arguments", dump_json(input)}}}});
    }
  }
  if (const auto counts = message.find("usage"); counts != message.end() && counts->is_object()) {
    usage->input_tokens = token_count(*counts, "input_tokens", 0);
    usage->output_tokens = token_count(*counts, "output_tokens", 0);
  }
  const std::string stop_reason = message.contains("stop_reason") && message["stop_reason"].is_string()
                                      ? message["stop_reason"].get<std::string>()
                                      : "end_turn";
  json reply = {{"role", "assistant"}, {"content", text}, {"refusal", nullptr}};
  if (!tool_calls.empty()) {
    if (text.empty()) reply["content"] = nullptr;
    reply["tool_calls"] = std::move(tool_calls);
  }
  const json out = {
      {"id", id},
      {"object", "chat.completion"},
      {"created", created_s},
      {"model", message.value("model", "")},
      {"choices", json::array({{{"index", 0},
                                {"message", std::move(reply)},
                                {"logprobs", nullptr},
                                {"finish_reason", openai_finish_reason(stop_reason)}}})},
      {"usage",
       {{"prompt_tokens", usage->input_tokens},
        {"completion_tokens", usage->output_tokens},
        {"total_tokens", usage->input_tokens + usage->output_tokens}}}};
  return dump_json(out);
}

}  // namespace

Result<std::string> openai_completion_from_anthropic(std::string_view body, const std::string& id, int64_t created_s,
                                                     AnthropicUsage* usage) {
  try {
    return openai_completion_or_throw(body, id, created_s, usage);
  } catch (const json::exception&) {
    return data_loss_error("the Anthropic provider's answer has a field of an unexpected type");
  }
}

std::string openai_error_from_anthropic(std::string_view body, unsigned http_status) {
  const json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
  std::string type = http_status >= 500 ? "server_error" : "invalid_request_error";
  std::string message = "The Anthropic provider answered HTTP " + std::to_string(http_status);
  if (parsed.is_object() && parsed.contains("error") && parsed["error"].is_object()) {
    const json& error = parsed["error"];
    if (error.contains("message") && error["message"].is_string()) message = error["message"].get<std::string>();
    if (error.contains("type") && error["type"].is_string()) type = error["type"].get<std::string>();
  } else if (!body.empty()) {
    message += ": " + std::string(body.substr(0, 512));
  }
  return dump_json({{"error", {{"message", message}, {"type", type}, {"param", nullptr}, {"code", nullptr}}}});
}

std::string AnthropicStream::chunk(json delta, json finish_reason) const {
  const json body = {{"id", id_},
                     {"object", "chat.completion.chunk"},
                     {"created", created_s_},
                     {"model", model_},
                     {"choices", json::array({{{"index", 0},
                                               {"delta", std::move(delta)},
                                               {"logprobs", nullptr},
                                               {"finish_reason", std::move(finish_reason)}}})}};
  return sse_data(dump_json(body));
}

std::string AnthropicStream::on_event(const json& event) {
  const std::string type = event.value("type", "");
  if (type == "message_start") {
    if (const auto message = event.find("message"); message != event.end() && message->is_object()) {
      if (const auto counts = message->find("usage"); counts != message->end() && counts->is_object()) {
        usage_.input_tokens = token_count(*counts, "input_tokens", 0);
      }
      if (message->contains("model") && (*message)["model"].is_string())
        model_ = (*message)["model"].get<std::string>();
    }
    return chunk({{"role", "assistant"}, {"content", ""}}, nullptr);
  }
  if (type == "content_block_start") {
    const auto block = event.find("content_block");
    if (block == event.end() || !block->is_object() || block->value("type", "") != "tool_use") return {};
    const auto call_index = static_cast<int64_t>(tool_blocks_.size());
    tool_blocks_.emplace_back(event.value("index", int64_t{-1}), call_index);
    return chunk({{"tool_calls", json::array({{{"index", call_index},
                                               {"id", block->value("id", "")},
                                               {"type", "function"},
                                               {"function", {{"name", block->value("name", "")}, {"arguments", ""}}}}})}},
                 nullptr);
  }
  if (type == "content_block_delta") {
    const auto delta = event.find("delta");
    if (delta == event.end() || !delta->is_object()) return {};
    if (delta->value("type", "") == "input_json_delta") {
      const int64_t block_index = event.value("index", int64_t{-1});
      for (const auto& [block, call_index] : tool_blocks_) {
        if (block != block_index) continue;
        return chunk({{"tool_calls", json::array({{{"index", call_index},
                                                   {"function", {{"arguments", delta->value("partial_json", "")}}}}})}},
                     nullptr);
      }
      return {};
    }
    if (delta->value("type", "") != "text_delta") return {};
    return chunk({{"content", delta->value("text", "")}}, nullptr);
  }
  if (type == "message_delta") {
    if (const auto delta = event.find("delta"); delta != event.end() && delta->is_object()) {
      if (delta->contains("stop_reason") && (*delta)["stop_reason"].is_string()) {
        finish_reason_ = openai_finish_reason((*delta)["stop_reason"].get<std::string>());
      }
    }
    if (const auto counts = event.find("usage"); counts != event.end() && counts->is_object()) {
      usage_.output_tokens = token_count(*counts, "output_tokens", usage_.output_tokens);
    }
    return {};
  }
  if (type == "message_stop") {
    std::string out = chunk(json::object(), finish_reason_);
    if (include_usage_) {
      const json body = {{"id", id_},
                         {"object", "chat.completion.chunk"},
                         {"created", created_s_},
                         {"model", model_},
                         {"choices", json::array()},
                         {"usage",
                          {{"prompt_tokens", usage_.input_tokens},
                           {"completion_tokens", usage_.output_tokens},
                           {"total_tokens", usage_.input_tokens + usage_.output_tokens}}}};
      out += sse_data(dump_json(body));
    }
    finished_ = true;
    out += sse_done();
    return out;
  }
  if (type == "error") {
    const json error = event.contains("error") ? event["error"] : json::object();
    finished_ = true;
    return sse_data(dump_json({{"error",
                                {{"message", error.value("message", "the Anthropic provider failed mid-stream")},
                                 {"type", error.value("type", "server_error")},
                                 {"param", nullptr},
                                 {"code", "upstream_failed"}}}}));
  }
  return {};  // ping, content_block_start/stop, and event types added later
}

std::string AnthropicStream::feed(std::string_view bytes) {
  pending_.append(bytes);
  std::string out;
  size_t event_end = 0;
  while (!finished_ && (event_end = pending_.find("\n\n")) != std::string::npos) {
    const std::string event_text = pending_.substr(0, event_end);
    pending_.erase(0, event_end + 2);
    std::string data;
    size_t line_start = 0;
    while (line_start <= event_text.size()) {
      size_t line_end = event_text.find('\n', line_start);
      if (line_end == std::string::npos) line_end = event_text.size();
      std::string_view line(event_text.data() + line_start, line_end - line_start);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (line.substr(0, 5) == "data:") {
        line.remove_prefix(5);
        if (!line.empty() && line.front() == ' ') line.remove_prefix(1);
        if (!data.empty()) data += "\n";
        data += line;
      }
      line_start = line_end + 1;
    }
    if (data.empty()) continue;
    const json event = json::parse(data, nullptr, /*allow_exceptions=*/false);
    if (!event.is_object()) continue;
    try {
      out += on_event(event);
    } catch (const json::exception&) {
      // A field of an unexpected type: end the stream with an error rather than guess.
      finished_ = true;
      out += sse_data(dump_json({{"error",
                                  {{"message", "the Anthropic provider sent an event hearth cannot read"},
                                   {"type", "server_error"},
                                   {"param", nullptr},
                                   {"code", "upstream_failed"}}}}));
    }
  }
  return out;
}

}  // namespace hearth::api
