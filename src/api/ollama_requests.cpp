#include "api/ollama_requests.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "api/json_fields.h"
#include "api/request_parsing.h"
#include "base/duration.h"

namespace hearth::api {
namespace {

using ordered = nlohmann::ordered_json;

// Options that map to a field of OpenAI's request with the same meaning.
constexpr std::array<std::pair<std::string_view, std::string_view>, 9> kMappedOptions = {{
    {"temperature", "temperature"},
    {"top_p", "top_p"},
    {"top_k", "top_k"},
    {"min_p", "min_p"},
    {"seed", "seed"},
    {"stop", "stop"},
    {"repeat_penalty", "repeat_penalty"},
    {"presence_penalty", "presence_penalty"},
    {"frequency_penalty", "frequency_penalty"},
}};

// Hardware and load-time options: the server decides them for every request.
constexpr std::array<std::string_view, 13> kServerOptions = {
    "num_batch", "num_gpu",   "main_gpu",   "num_thread", "use_mmap", "use_mlock",        "low_vram",
    "numa",      "f16_kv",    "vocab_only", "logits_all", "num_keep", "penalize_newline",
};

// The errors' field names, OpenAI's (as the translated body names them) -> Ollama's.
constexpr std::array<std::pair<std::string_view, std::string_view>, 13> kParamNames = {{
    {"max_tokens", "options.num_predict"},
    {"temperature", "options.temperature"},
    {"top_p", "options.top_p"},
    {"top_k", "options.top_k"},
    {"min_p", "options.min_p"},
    {"seed", "options.seed"},
    {"stop", "options.stop"},
    {"repeat_penalty", "options.repeat_penalty"},
    {"presence_penalty", "options.presence_penalty"},
    {"frequency_penalty", "options.frequency_penalty"},
    {"response_format.json_schema.schema", "format"},
    {"response_format", "format"},
    {"chat_template_kwargs", "think"},
}};

// "a string", "an object", ...: an empty value of the same type says it.
std::string kind_of(const ordered& value) { return json_kind(nlohmann::json(value.type())); }

// Reads one JSON object's keys, remembering which were asked for.
class OrderedFields {
 public:
  OrderedFields(const ordered& object, std::string prefix) : object_(object), prefix_(std::move(prefix)) {}

  // The value when present and not null.
  const ordered* get(std::string_view key) {
    known_.emplace_back(key);
    const auto found = object_.find(std::string(key));
    if (found == object_.end() || found->is_null()) return nullptr;
    return &*found;
  }
  std::optional<ApiError> unknown_key() const {
    for (const auto& [key, value] : object_.items()) {
      if (std::find(known_.begin(), known_.end(), key) == known_.end()) {
        return invalid_field_error(prefix_ + key, "Unrecognized request argument supplied: " + prefix_ + key);
      }
    }
    return std::nullopt;
  }
  std::string param(std::string_view key) const { return prefix_ + std::string(key); }

 private:
  const ordered& object_;
  std::string prefix_;
  std::vector<std::string> known_;
};

ApiError not_supported(std::string param, const std::string& what) {
  ApiError error = invalid_field_error(std::move(param), what + " is not supported yet");
  error.code = kUnsupportedFeatureCode;
  return error;
}

ApiError images_error(std::string param) {
  return not_supported(std::move(param), "'images' (hearth serves no vision models yet; send text only)");
}

ApiResult<ordered> parse_object(std::string_view body) {
  // The checks of every OpenAI body first: depth, numbers too large, the parser's position.
  ApiResult<nlohmann::json> checked = parse_json_body(body);
  if (!checked.ok()) return checked.error();
  if (!checked->is_object()) return invalid_field_error("", "The request body must be a JSON object");
  return ordered::parse(body);  // valid: the same text parsed again, keeping the client's key order
}

std::optional<ApiError> read_string(OrderedFields& fields, std::string_view key, std::string* out, bool required) {
  const ordered* value = fields.get(key);
  if (value == nullptr) {
    if (required) return invalid_field_error(fields.param(key), quote(fields.param(key)) + " is required");
    return std::nullopt;
  }
  if (!value->is_string()) {
    return invalid_field_error(fields.param(key),
                               quote(fields.param(key)) + " must be a string, got " + kind_of(*value));
  }
  *out = value->get<std::string>();
  return std::nullopt;
}

std::optional<ApiError> read_bool(OrderedFields& fields, std::string_view key, std::optional<bool>* out) {
  const ordered* value = fields.get(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean()) {
    return invalid_field_error(fields.param(key),
                               quote(fields.param(key)) + " must be a boolean, got " + kind_of(*value));
  }
  *out = value->get<bool>();
  return std::nullopt;
}

// `options` into `out` (OpenAI's fields) and `generation`'s extras.
std::optional<ApiError> read_options(const ordered& body, ordered* out, OllamaGeneration* generation) {
  const auto found = body.find("options");
  if (found == body.end() || found->is_null()) return std::nullopt;
  if (!found->is_object()) return invalid_field_error("options", "'options' must be an object, got " + kind_of(*found));
  for (const auto& [key, value] : found->items()) {
    const std::string param = "options." + key;
    if (value.is_null()) continue;
    bool mapped = false;
    for (const auto& [ollama_name, openai_name] : kMappedOptions) {
      if (key == ollama_name) {
        (*out)[std::string(openai_name)] = value;
        mapped = true;
      }
    }
    if (mapped) continue;
    if (std::find(kServerOptions.begin(), kServerOptions.end(), key) != kServerOptions.end()) continue;
    if (key == "num_predict") {
      if (!value.is_number_integer()) {
        return invalid_field_error(param, quote(param) + " must be an integer, got " + kind_of(value));
      }
      const int64_t n_predict = value.get<int64_t>();
      // -1: no limit, -2: fill the context; both are what hearth does without max_tokens.
      if (n_predict == -1 || n_predict == -2) continue;
      if (n_predict < 1 || n_predict > std::numeric_limits<int32_t>::max()) {
        return invalid_field_error(param, quote(param) + " must be -1, -2 or a positive number of tokens, got " +
                                              std::to_string(n_predict));
      }
      (*out)["max_tokens"] = n_predict;
    } else if (key == "num_ctx") {
      if (!value.is_number_integer() || value.get<int64_t>() < 1) {
        return invalid_field_error(param, quote(param) + " must be a positive integer");
      }
      if (generation != nullptr) generation->num_ctx = value.get<int64_t>();
    } else if (key == "repeat_last_n") {
      if (!value.is_number_integer() || value.get<int64_t>() < -1 || value.get<int64_t>() > (1 << 20)) {
        return invalid_field_error(param, quote(param) + " must be an integer from -1 to 1048576");
      }
      if (generation != nullptr) generation->repeat_last_n = value.get<int32_t>();
    } else if (key == "mirostat") {
      if (!value.is_number() || value.get<double>() != 0.0) return not_supported(param, "Mirostat sampling");
    } else if (key == "mirostat_tau" || key == "mirostat_eta") {
      if (!value.is_number()) return invalid_field_error(param, quote(param) + " must be a number");
    } else if (key == "typical_p" || key == "tfs_z") {
      if (!value.is_number() || value.get<double>() != 1.0) {
        return not_supported(param, quote(param) + " other than 1.0");
      }
    } else {
      return invalid_field_error(param, "Unrecognized option: " + quote(param));
    }
  }
  return std::nullopt;
}

// `format`: "json" or a JSON Schema object, as response_format.
std::optional<ApiError> read_format(OrderedFields& fields, ordered* out) {
  const ordered* format = fields.get("format");
  if (format == nullptr) return std::nullopt;
  if (format->is_string()) {
    const std::string text = format->get<std::string>();
    if (text.empty()) return std::nullopt;
    if (text != "json") {
      return invalid_field_error("format", "'format' must be \"json\" or a JSON Schema object, got " + quote(text));
    }
    (*out)["response_format"] = {{"type", "json_object"}};
    return std::nullopt;
  }
  if (!format->is_object()) {
    return invalid_field_error("format", "'format' must be \"json\" or a JSON Schema object, got " + kind_of(*format));
  }
  (*out)["response_format"] = {{"type", "json_schema"}, {"json_schema", {{"name", "format"}, {"schema", *format}}}};
  return std::nullopt;
}

// The fields chat and generate share: stream (Ollama's default: true), keep_alive, think, truncate.
std::optional<ApiError> read_common(OrderedFields& fields, ordered* out) {
  std::optional<bool> stream;
  if (auto error = read_bool(fields, "stream", &stream)) return error;
  (*out)["stream"] = stream.value_or(true);
  if (const ordered* keep_alive = fields.get("keep_alive")) (*out)["keep_alive"] = *keep_alive;
  std::optional<bool> think;
  if (auto error = read_bool(fields, "think", &think)) return error;
  if (think) (*out)["chat_template_kwargs"] = {{"enable_thinking", *think}};
  std::optional<bool> truncate;
  if (auto error = read_bool(fields, "truncate", &truncate)) return error;
  if (truncate) (*out)["truncate"] = *truncate;
  std::optional<bool> shift;  // Ollama's context shift: hearth never shifts; false asks for what it does
  if (auto error = read_bool(fields, "shift", &shift)) return error;
  if (shift.value_or(false)) return not_supported("shift", "'shift' (sliding the context window)");
  return std::nullopt;
}

// A call id the chat templates accept (Mistral's needs 9 letters and digits).
std::string synthesized_call_id(size_t counter) {
  std::string digits = std::to_string(counter % 100000);
  return "call" + std::string(5 - digits.size(), '0') + digits;
}

struct PendingCall {
  std::string id;
  std::string name;
};

// One assistant message's tool_calls: [{id?, type?, function: {index?, name, arguments}}].
std::optional<ApiError> read_message_calls(const ordered& calls, const std::string& prefix, size_t* counter,
                                           ordered* out, std::vector<PendingCall>* pending) {
  if (!calls.is_array()) return invalid_field_error(prefix, quote(prefix) + " must be an array, got " + kind_of(calls));
  *out = ordered::array();
  pending->clear();
  for (size_t call_idx = 0; call_idx < calls.size(); ++call_idx) {
    const std::string call_prefix = prefix + "[" + std::to_string(call_idx) + "].";
    if (!calls[call_idx].is_object()) return invalid_field_error(call_prefix, "each tool call must be an object");
    OrderedFields call(calls[call_idx], call_prefix);
    std::string id;
    if (auto error = read_string(call, "id", &id, false)) return error;
    std::string type = "function";
    if (auto error = read_string(call, "type", &type, false)) return error;
    if (type != "function") return invalid_field_error(call.param("type"), "a tool call's type must be \"function\"");
    const ordered* function = call.get("function");
    if (function == nullptr || !function->is_object()) {
      return invalid_field_error(call.param("function"), quote(call.param("function")) + " must be an object");
    }
    if (auto error = call.unknown_key()) return error;
    OrderedFields fn(*function, call_prefix + "function.");
    std::string name;
    if (auto error = read_string(fn, "name", &name, true)) return error;
    if (const ordered* index = fn.get("index"); index != nullptr && !index->is_number_integer()) {
      return invalid_field_error(fn.param("index"), quote(fn.param("index")) + " must be an integer");
    }
    const ordered* arguments = fn.get("arguments");
    std::string arguments_text = "{}";
    if (arguments != nullptr) {
      if (arguments->is_object()) {
        arguments_text = arguments->dump(-1, ' ', false, ordered::error_handler_t::replace);
      } else if (arguments->is_string()) {
        arguments_text = arguments->get<std::string>();
      } else {
        return invalid_field_error(fn.param("arguments"), quote(fn.param("arguments")) + " must be an object");
      }
    }
    if (auto error = fn.unknown_key()) return error;
    if (id.empty()) id = synthesized_call_id((*counter)++);
    out->push_back({{"id", id}, {"type", "function"}, {"function", {{"name", name}, {"arguments", arguments_text}}}});
    pending->push_back({id, name});
  }
  return std::nullopt;
}

std::optional<ApiError> read_messages(const ordered& messages, ordered* out) {
  if (!messages.is_array()) return invalid_field_error("messages", "'messages' must be an array, got " + kind_of(messages));
  *out = ordered::array();
  size_t counter = 0;
  std::vector<PendingCall> pending;  // the last assistant message's calls not answered yet
  for (size_t message_idx = 0; message_idx < messages.size(); ++message_idx) {
    const std::string prefix = "messages[" + std::to_string(message_idx) + "].";
    if (!messages[message_idx].is_object()) {
      return invalid_field_error(prefix.substr(0, prefix.size() - 1), "each message must be an object");
    }
    OrderedFields message(messages[message_idx], prefix);
    std::string role;
    if (auto error = read_string(message, "role", &role, true)) return error;
    ordered translated = {{"role", role}};
    const ordered* content = message.get("content");
    if (content != nullptr && !content->is_string()) {
      return invalid_field_error(message.param("content"),
                                 quote(message.param("content")) + " must be a string, got " + kind_of(*content));
    }
    translated["content"] = content != nullptr ? *content : ordered("");
    if (const ordered* images = message.get("images"); images != nullptr && !(images->is_array() && images->empty())) {
      return images_error(message.param("images"));
    }
    std::string thinking;  // an earlier answer's reasoning: the templates hearth renders drop it too
    if (auto error = read_string(message, "thinking", &thinking, false)) return error;
    if (const ordered* calls = message.get("tool_calls")) {
      if (role != "assistant") {
        return invalid_field_error(message.param("tool_calls"), "only assistant messages may carry 'tool_calls'");
      }
      ordered translated_calls;
      if (auto error = read_message_calls(*calls, message.param("tool_calls"), &counter, &translated_calls, &pending)) {
        return error;
      }
      if (!translated_calls.empty()) translated["tool_calls"] = std::move(translated_calls);
    }
    if (role == "tool") {
      std::string tool_name;
      std::string call_id;
      if (auto error = read_string(message, "tool_name", &tool_name, false)) return error;
      if (auto error = read_string(message, "tool_call_id", &call_id, false)) return error;
      if (call_id.empty()) {
        // The call it answers: the first unanswered one of that name (or the first at all).
        auto match = std::find_if(pending.begin(), pending.end(), [&](const PendingCall& call) {
          return tool_name.empty() || call.name == tool_name;
        });
        if (match != pending.end()) {
          call_id = match->id;
          if (tool_name.empty()) tool_name = match->name;
          pending.erase(match);
        } else {
          call_id = synthesized_call_id(counter++);
        }
      }
      translated["tool_call_id"] = call_id;
      if (!tool_name.empty()) translated["name"] = tool_name;
    }
    if (auto error = message.unknown_key()) return error;
    out->push_back(std::move(translated));
  }
  return std::nullopt;
}

// Fills the OpenAI body's model and the parts chat and generate share.
std::optional<ApiError> read_model(OrderedFields& fields, OllamaGeneration* out) {
  if (auto error = read_string(fields, "model", &out->model, true)) return error;
  if (out->model.empty()) return invalid_field_error("model", "'model' must not be empty");
  return std::nullopt;
}

std::string dump_ordered(const ordered& value) { return value.dump(-1, ' ', false, ordered::error_handler_t::replace); }

}  // namespace

namespace {

// Every occurrence of `from` in `text` that is a whole name (not part of a longer word) becomes `to`.
void replace_name(std::string* text, std::string_view from, std::string_view to) {
  const auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  for (size_t at = text->find(from); at != std::string::npos; at = text->find(from, at)) {
    const size_t end = at + from.size();
    const bool whole = (at == 0 || !word_char((*text)[at - 1])) && (end == text->size() || !word_char((*text)[end]));
    if (!whole) {
      at = end;
      continue;
    }
    text->replace(at, from.size(), to);
    at += to.size();
  }
}

}  // namespace

ApiError ollama_field_error(ApiError error) {
  for (const auto& [openai_name, ollama_name] : kParamNames) {
    const std::string from(openai_name);
    const bool prefixed = error.param.rfind(from, 0) == 0 &&
                          (error.param.size() == from.size() || error.param[from.size()] == '.' ||
                           error.param[from.size()] == '[');
    if (!prefixed) continue;
    error.param = std::string(ollama_name) + error.param.substr(from.size());
    // The message names the same field.
    if (from.rfind("response_format", 0) == 0) {
      replace_name(&error.message, "response_format.json_schema.schema", "format");
      replace_name(&error.message, "response_format", "format");
    } else {
      replace_name(&error.message, from, ollama_name);
    }
    break;
  }
  return error;
}

ApiResult<OllamaGeneration> translate_ollama_chat(std::string_view body) {
  ApiResult<ordered> parsed = parse_object(body);
  if (!parsed.ok()) return parsed.error();
  OrderedFields fields(*parsed, "");
  OllamaGeneration out;
  if (auto error = read_model(fields, &out)) return *error;
  ordered openai = {{"model", out.model}};
  const ordered* messages = fields.get("messages");
  ordered translated_messages = ordered::array();
  if (messages != nullptr) {
    if (auto error = read_messages(*messages, &translated_messages)) return *error;
  }
  out.load_only = translated_messages.empty();
  if (out.load_only) translated_messages.push_back({{"role", "user"}, {"content", ""}});
  openai["messages"] = std::move(translated_messages);
  if (const ordered* tools = fields.get("tools")) openai["tools"] = *tools;
  if (auto error = read_format(fields, &openai)) return *error;
  fields.get("options");
  if (auto error = read_options(*parsed, &openai, &out)) return *error;
  if (auto error = read_common(fields, &openai)) return *error;
  if (auto error = fields.unknown_key()) return *error;
  out.openai_body = dump_ordered(openai);
  return out;
}

ApiResult<OllamaGeneration> translate_ollama_generate(std::string_view body) {
  ApiResult<ordered> parsed = parse_object(body);
  if (!parsed.ok()) return parsed.error();
  OrderedFields fields(*parsed, "");
  OllamaGeneration out;
  if (auto error = read_model(fields, &out)) return *error;
  std::string prompt;
  std::string system;
  std::string suffix;
  std::string template_text;
  if (auto error = read_string(fields, "prompt", &prompt, false)) return *error;
  if (auto error = read_string(fields, "system", &system, false)) return *error;
  if (auto error = read_string(fields, "suffix", &suffix, false)) return *error;
  if (auto error = read_string(fields, "template", &template_text, false)) return *error;
  if (!suffix.empty()) return not_supported("suffix", "'suffix' (fill in the middle)");
  if (!template_text.empty()) return not_supported("template", "'template' (the model's own chat template is used)");
  if (const ordered* images = fields.get("images"); images != nullptr && !(images->is_array() && images->empty())) {
    return images_error("images");
  }
  if (const ordered* context = fields.get("context"); context != nullptr && !(context->is_array() && context->empty())) {
    return not_supported("context", "'context' (send the conversation to /api/chat instead)");
  }
  std::optional<bool> raw;
  if (auto error = read_bool(fields, "raw", &raw)) return *error;
  out.raw = raw.value_or(false);
  out.load_only = prompt.empty();
  ordered openai = {{"model", out.model}};
  if (out.raw && !out.load_only) {
    if (!system.empty()) return invalid_field_error("system", "'system' has no place in a 'raw' prompt");
    openai["prompt"] = prompt;
  } else {
    out.raw = false;
    ordered messages = ordered::array();
    if (!system.empty()) messages.push_back({{"role", "system"}, {"content", system}});
    messages.push_back({{"role", "user"}, {"content", prompt}});
    openai["messages"] = std::move(messages);
  }
  const size_t n_before = openai.size();
  if (auto error = read_format(fields, &openai)) return *error;
  if (out.raw && openai.size() != n_before) {
    return not_supported("format", "'format' with a 'raw' prompt");
  }
  fields.get("options");
  if (auto error = read_options(*parsed, &openai, &out)) return *error;
  if (auto error = read_common(fields, &openai)) return *error;
  if (out.raw) openai.erase("chat_template_kwargs");  // no template renders a raw prompt
  if (auto error = fields.unknown_key()) return *error;
  out.openai_body = dump_ordered(openai);
  return out;
}

ApiResult<OllamaEmbed> translate_ollama_embed(std::string_view body, bool legacy) {
  ApiResult<ordered> parsed = parse_object(body);
  if (!parsed.ok()) return parsed.error();
  OrderedFields fields(*parsed, "");
  OllamaGeneration model;
  if (auto error = read_model(fields, &model)) return *error;
  ordered openai = {{"model", model.model}};
  const char* input_key = legacy ? "prompt" : "input";
  const ordered* input = fields.get(input_key);
  if (input == nullptr) return invalid_field_error(input_key, quote(input_key) + std::string(" is required"));
  if (legacy ? !input->is_string() : !(input->is_string() || input->is_array())) {
    return invalid_field_error(input_key, quote(input_key) + (legacy ? " must be a string" : " must be a string or "
                                                                                              "an array of strings"));
  }
  openai["input"] = *input;
  std::optional<bool> truncate;
  if (!legacy) {
    if (auto error = read_bool(fields, "truncate", &truncate)) return *error;
    if (const ordered* dimensions = fields.get("dimensions")) openai["dimensions"] = *dimensions;
  }
  openai["truncate"] = truncate.value_or(true);  // Ollama's default
  // Sampling options mean nothing to an embedding; they are checked, not used.
  fields.get("options");
  ordered ignored;
  if (auto error = read_options(*parsed, &ignored, nullptr)) return *error;
  OllamaEmbed out;
  if (const ordered* keep_alive = fields.get("keep_alive")) {
    if (keep_alive->is_number()) {
      const double seconds = keep_alive->get<double>();
      if (!(std::fabs(seconds) <= 1e12)) return invalid_field_error("keep_alive", "'keep_alive' is out of range");
      out.keep_alive_ms = static_cast<int64_t>(std::llround(seconds * 1000.0));
    } else if (keep_alive->is_string()) {
      Result<int64_t> duration = parse_duration_ms(keep_alive->get<std::string>());
      if (!duration.ok()) return invalid_field_error("keep_alive", "'keep_alive': " + duration.status().message());
      out.keep_alive_ms = *duration;
    } else {
      return invalid_field_error("keep_alive", "'keep_alive' must be a number of seconds or a duration like \"5m\"");
    }
  }
  if (auto error = fields.unknown_key()) return *error;
  out.openai_body = dump_ordered(openai);
  return out;
}

}  // namespace hearth::api
