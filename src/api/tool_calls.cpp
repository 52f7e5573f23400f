#include "api/tool_calls.h"

#include <nlohmann/json.hpp>

namespace hearth::api {
namespace {

using nlohmann::ordered_json;

constexpr std::string_view kHermesOpen = "<tool_call>";
constexpr std::string_view kHermesClose = "</tool_call>";
constexpr std::string_view kMistralMarker = "[TOOL_CALLS]";
constexpr std::string_view kPythonTag = "<|python_tag|>";

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

std::string_view trim_left(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  return text;
}

std::optional<ordered_json> parse_json(std::string_view text) {
  ordered_json value = ordered_json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return std::nullopt;
  return value;
}

// {"name": "f", "<arguments_key>": {...}}; arguments given as JSON text are accepted too.
std::optional<ParsedToolCall> read_call(const ordered_json& value, std::string_view arguments_key) {
  if (!value.is_object() || !value.contains("name") || !value["name"].is_string()) return std::nullopt;
  ParsedToolCall call;
  call.name = value["name"].get<std::string>();
  if (call.name.empty()) return std::nullopt;
  const std::string key(arguments_key);
  const ordered_json* arguments = nullptr;
  if (value.contains(key)) {
    arguments = &value[key];
  } else if (value.contains("arguments")) {
    arguments = &value["arguments"];
  } else if (value.contains("parameters")) {
    arguments = &value["parameters"];
  }
  if (arguments == nullptr) {
    call.arguments = "{}";
    return call;
  }
  if (arguments->is_string()) {
    std::optional<ordered_json> parsed = parse_json(arguments->get<std::string>());
    if (!parsed || !parsed->is_object()) return std::nullopt;
    call.arguments = parsed->dump(-1, ' ', false, ordered_json::error_handler_t::replace);
    return call;
  }
  if (!arguments->is_object()) return std::nullopt;
  call.arguments = arguments->dump(-1, ' ', false, ordered_json::error_handler_t::replace);
  return call;
}

ToolCallParse as_text(std::string_view output, bool malformed) {
  ToolCallParse parse;
  parse.content = std::string(output);
  parse.malformed = malformed;
  return parse;
}

ToolCallParse parse_hermes(std::string_view output, bool forced) {
  size_t open = output.find(kHermesOpen);
  if (open == std::string_view::npos) return as_text(output, forced);
  ToolCallParse parse;
  parse.content = std::string(trim(output.substr(0, open)));
  while (open != std::string_view::npos) {
    const size_t body_begin = open + kHermesOpen.size();
    const size_t close = output.find(kHermesClose, body_begin);
    const std::string_view body =
        output.substr(body_begin, close == std::string_view::npos ? std::string_view::npos : close - body_begin);
    std::optional<ordered_json> value = parse_json(trim(body));
    std::optional<ParsedToolCall> call = value ? read_call(*value, "arguments") : std::nullopt;
    if (!call) return as_text(output, true);
    parse.calls.push_back(std::move(*call));
    if (close == std::string_view::npos) break;
    const size_t after = close + kHermesClose.size();
    open = output.find(kHermesOpen, after);
    const std::string_view between = trim(output.substr(after, open == std::string_view::npos ? std::string_view::npos
                                                                                             : open - after));
    if (!between.empty()) {
      if (!parse.content.empty()) parse.content += "\n";
      parse.content += between;
    }
  }
  return parse;
}

ToolCallParse parse_llama3(std::string_view output, bool forced) {
  std::string_view body = trim(output);
  const bool tagged = body.rfind(kPythonTag, 0) == 0;
  if (tagged) body = trim(body.substr(kPythonTag.size()));
  if (body.empty() || body.front() != '{') return as_text(output, forced || tagged);
  ToolCallParse parse;
  std::optional<ordered_json> whole = parse_json(body);
  std::vector<std::string_view> pieces;
  if (whole) {
    pieces.push_back(body);
  } else {
    // Several calls separated by ';'.
    size_t begin = 0;
    while (begin <= body.size()) {
      const size_t end = body.find(';', begin);
      pieces.push_back(trim(body.substr(begin, end == std::string_view::npos ? std::string_view::npos : end - begin)));
      if (end == std::string_view::npos) break;
      begin = end + 1;
    }
  }
  for (const std::string_view piece : pieces) {
    if (piece.empty()) continue;
    std::optional<ordered_json> value = parse_json(piece);
    std::optional<ParsedToolCall> call = value ? read_call(*value, "parameters") : std::nullopt;
    // An answer that merely starts with '{' is text unless something marked it a call.
    if (!call) return as_text(output, forced || tagged);
    parse.calls.push_back(std::move(*call));
  }
  if (parse.calls.empty()) return as_text(output, forced || tagged);
  return parse;
}

ToolCallParse parse_mistral(std::string_view output, bool forced) {
  // [TOOL_CALLS] is a control token: rendered text has it only when it was written out as text.
  const size_t marker = output.find(kMistralMarker);
  std::string_view body = marker == std::string_view::npos ? trim(output) : trim(output.substr(marker + kMistralMarker.size()));
  const bool marked = marker != std::string_view::npos || forced;
  if (body.empty() || body.front() != '[') return as_text(output, marked);
  std::optional<ordered_json> value = parse_json(body);
  if (!value || !value->is_array() || value->empty()) return as_text(output, marked);
  ToolCallParse parse;
  if (marker != std::string_view::npos) parse.content = std::string(trim(output.substr(0, marker)));
  for (const ordered_json& item : *value) {
    std::optional<ParsedToolCall> call = read_call(item, "arguments");
    if (!call) return as_text(output, marked);
    parse.calls.push_back(std::move(*call));
  }
  return parse;
}

// How much of the end of `text` may be the start of `marker`.
size_t partial_marker_suffix(std::string_view text, std::string_view marker) {
  for (size_t n = std::min(text.size(), marker.size() - 1); n > 0; --n) {
    if (text.substr(text.size() - n) == marker.substr(0, n)) return n;
  }
  return 0;
}

uint64_t fnv1a(std::string_view text, uint64_t hash = 1469598103934665603ull) {
  for (const char c : text) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 1099511628211ull;
  }
  return hash;
}

}  // namespace

ToolFormat tool_format_of(const text::ChatTemplate& chat_template) {
  if (!chat_template.accepts_tools()) return ToolFormat::kHermes;
  const std::string_view source = chat_template.jinja_source();
  if (source.find(kMistralMarker) != std::string_view::npos) return ToolFormat::kMistral;
  if (source.find(kHermesOpen) != std::string_view::npos) return ToolFormat::kHermes;
  if (source.find("<|start_header_id|>") != std::string_view::npos) return ToolFormat::kLlama3Json;
  return ToolFormat::kHermes;
}

bool tools_in_prompt(const text::ChatTemplate& chat_template) { return !chat_template.accepts_tools(); }

ToolCallParse parse_tool_calls(ToolFormat format, std::string_view output, bool forced) {
  switch (format) {
    case ToolFormat::kHermes:
      return parse_hermes(output, forced);
    case ToolFormat::kLlama3Json:
      return parse_llama3(output, forced);
    case ToolFormat::kMistral:
      return parse_mistral(output, forced);
  }
  return as_text(output, false);
}

std::string ToolCallStream::push(std::string_view text) {
  pending_ += text;
  if (holding_) return {};
  if (forced_) {
    holding_ = true;
    return {};
  }
  const bool at_start = trim_left(sent_).empty();
  const std::string_view head = trim_left(pending_);
  if (format_ == ToolFormat::kLlama3Json || format_ == ToolFormat::kMistral) {
    // A call is the whole answer: decided by its first non-blank byte.
    if (at_start) {
      if (head.empty()) return {};
      const char first = head.front();
      const bool may_call = format_ == ToolFormat::kMistral ? first == '[' : first == '{' || first == '<';
      if (may_call) {
        holding_ = true;
        return {};
      }
    }
  }
  std::string_view marker = format_ == ToolFormat::kHermes    ? kHermesOpen
                            : format_ == ToolFormat::kMistral ? kMistralMarker
                                                              : kPythonTag;
  const size_t found = pending_.find(marker);
  if (found != std::string::npos) {
    std::string out = pending_.substr(0, found);
    pending_.erase(0, found);
    holding_ = true;
    sent_ += out;
    return out;
  }
  const size_t keep = partial_marker_suffix(pending_, marker);
  std::string out = pending_.substr(0, pending_.size() - keep);
  pending_.erase(0, pending_.size() - keep);
  sent_ += out;
  return out;
}

ToolCallParse ToolCallStream::finish() {
  if (!holding_) {
    ToolCallParse parse;
    parse.content = std::move(pending_);
    pending_.clear();
    return parse;
  }
  ToolCallParse parse = parse_tool_calls(format_, pending_, forced_);
  pending_.clear();
  return parse;
}

void set_forced_call_grammar(infer::JsonGrammar* grammar, ToolFormat format, const std::vector<ChatTool>& tools,
                             const std::string& only) {
  std::vector<int32_t> calls;
  for (const ChatTool& tool : tools) {
    if (!only.empty() && tool.name != only) continue;
    const int32_t name = grammar->add(infer::GrammarNode::literal_node(ordered_json(tool.name).dump()));
    infer::GrammarNode call = infer::GrammarNode::object_node();
    call.properties.push_back({"\"name\"", name, true});
    call.properties.push_back(
        {format == ToolFormat::kLlama3Json ? "\"parameters\"" : "\"arguments\"", tool.parameters_node, true});
    calls.push_back(grammar->add(std::move(call)));
  }
  const int32_t call = calls.size() == 1 ? calls[0] : grammar->add(infer::GrammarNode::any_of(std::move(calls)));
  switch (format) {
    case ToolFormat::kHermes: {
      std::string open_text(kHermesOpen);
      open_text += '\n';
      std::string close_text = "\n";
      close_text += kHermesClose;
      const int32_t open = grammar->add(infer::GrammarNode::literal_node(std::move(open_text)));
      const int32_t close = grammar->add(infer::GrammarNode::literal_node(std::move(close_text)));
      grammar->set_root(grammar->add(infer::GrammarNode::sequence({open, call, close})));
      break;
    }
    case ToolFormat::kLlama3Json:
      grammar->set_root(call);
      break;
    case ToolFormat::kMistral: {
      infer::GrammarNode array = infer::GrammarNode::array_node(call);
      array.min_items = 1;
      array.max_items = 1;
      grammar->set_root(grammar->add(std::move(array)));
      break;
    }
  }
}

std::vector<text::ChatMessage> messages_with_tools_in_prompt(const std::vector<text::ChatMessage>& messages,
                                                             const std::vector<ChatTool>& tools) {
  std::string tool_text =
      "# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with "
      "function signatures within <tools></tools> XML tags:\n<tools>";
  for (const ChatTool& tool : tools) {
    ordered_json function = {{"name", tool.name}};
    if (!tool.description.empty()) function["description"] = tool.description;
    function["parameters"] = tool.parameters;
    tool_text += '\n';
    tool_text += ordered_json({{"type", "function"}, {"function", function}})
                     .dump(-1, ' ', false, ordered_json::error_handler_t::replace);
  }
  tool_text +=
      "\n</tools>\n\nFor each function call, return a json object with function name and arguments within "
      "<tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": "
      "<args-json-object>}\n</tool_call>";
  std::vector<text::ChatMessage> out;
  if (tools.empty()) tool_text.clear();  // only the history's calls and results to write
  if (!tool_text.empty() && (messages.empty() || messages[0].role != "system")) {
    out.push_back(text::ChatMessage{"system", tool_text});
  }
  for (const text::ChatMessage& message : messages) {
    if (out.empty() && message.role == "system" && !tool_text.empty()) {
      std::string system = message.content;
      system += "\n\n";
      system += tool_text;
      out.push_back(text::ChatMessage{"system", std::move(system)});
      continue;
    }
    if (message.role == "tool") {
      std::string block = "<tool_response>\n";
      block += message.content;
      block += "\n</tool_response>";
      if (!out.empty() && out.back().role == "user" && out.back().content.rfind("<tool_response>", 0) == 0) {
        out.back().content += '\n';
        out.back().content += block;
      } else {
        out.push_back(text::ChatMessage{"user", block});
      }
      continue;
    }
    text::ChatMessage copy{message.role, message.content};
    for (const text::ChatToolCall& call : message.tool_calls) {
      std::string arguments;
      if (call.arguments.is_string()) {
        arguments = call.arguments.as_string();
      } else {
        Result<std::string> dumped = text::jinja::to_output_string(call.arguments, 64);
        arguments = dumped.ok() ? *dumped : "{}";
      }
      if (!copy.content.empty()) copy.content += "\n";
      copy.content += "<tool_call>\n{\"name\": ";
      copy.content += ordered_json(call.name).dump();
      copy.content += ", \"arguments\": ";
      copy.content += arguments;
      copy.content += "}\n</tool_call>";
    }
    out.push_back(std::move(copy));
  }
  return out;
}

std::string tool_call_id(ToolFormat format, std::string_view response_id, size_t call_index) {
  constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  uint64_t state = fnv1a(std::to_string(call_index), fnv1a(response_id));
  const size_t n_chars = format == ToolFormat::kMistral ? 9 : 24;
  std::string id = format == ToolFormat::kMistral ? "" : "call_";
  for (size_t idx = 0; idx < n_chars; ++idx) {
    // splitmix64 steps
    state += 0x9e3779b97f4a7c15ull;
    uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    id += kAlphabet[z % kAlphabet.size()];
  }
  return id;
}

std::string tool_use_id(ToolFormat format, std::string_view response_id, size_t call_index) {
  const std::string id = tool_call_id(format, response_id, call_index);
  return format == ToolFormat::kMistral ? id : "toolu_" + id.substr(5);
}

}  // namespace hearth::api
