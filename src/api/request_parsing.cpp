#include "api/request_parsing.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "api/json_fields.h"
#include "api/json_schema_grammar.h"
#include "api/template_values.h"
#include "base/duration.h"

namespace hearth::api {
namespace {

using nlohmann::json;

constexpr int32_t kMaxStopStrings = 4;   // OpenAI's limit
constexpr int32_t kMaxTopLogprobs = 20;  // OpenAI's limit, and the scheduler's
constexpr double kNoUpperBound = std::numeric_limits<double>::infinity();

ApiError not_supported_error(std::string param, const std::string& what) {
  ApiError error = invalid_field_error(std::move(param), what + " is not supported yet");
  error.code = kUnsupportedFeatureCode;
  return error;
}

// Depth of [ and { nesting outside strings, stopping once past the limit.
bool nesting_within(std::string_view body, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (size_t pos = 0; pos < body.size(); ++pos) {
    const char c = body[pos];
    if (in_string) {
      if (c == '\\') {
        ++pos;  // the escaped character cannot end the string
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

// stop: a string or an array of at most four non-empty strings.
void read_stop(FieldReader& fields, std::vector<std::string>* out) {
  const json* value = fields.get("stop");
  if (value == nullptr) return;
  const std::string param = fields.param("stop");
  if (value->is_string()) {
    if (value->get_ref<const std::string&>().empty()) {
      fields.fail("stop", quote(param) + " must not be an empty string");
      return;
    }
    out->push_back(value->get<std::string>());
    return;
  }
  if (!value->is_array()) {
    fields.fail("stop", quote(param) + " must be a string or an array of strings, got " + json_kind(*value));
    return;
  }
  if (value->size() > static_cast<size_t>(kMaxStopStrings)) {
    fields.fail("stop", quote(param) + " may hold at most " + std::to_string(kMaxStopStrings) + " strings, got " +
                            std::to_string(value->size()));
    return;
  }
  for (size_t stop_idx = 0; stop_idx < value->size(); ++stop_idx) {
    const json& item = (*value)[stop_idx];
    const std::string item_param = param + "[" + std::to_string(stop_idx) + "]";
    if (!item.is_string()) {
      fields.fail(invalid_field_error(param, quote(item_param) + " must be a string, got " + json_kind(item)));
      return;
    }
    if (item.get_ref<const std::string&>().empty()) {
      fields.fail(invalid_field_error(param, quote(item_param) + " must not be an empty string"));
      return;
    }
    out->push_back(item.get<std::string>());
  }
}

// seed: any JSON integer (OpenAI's is int64); its bits seed the sampler.
void read_seed(FieldReader& fields, std::optional<uint64_t>* out) {
  const json* value = fields.get("seed");
  if (value == nullptr) return;
  if (!value->is_number_integer()) {
    fields.fail("seed", quote(fields.param("seed")) + " must be an integer, got " + json_kind(*value));
    return;
  }
  *out = value->is_number_unsigned() ? value->get<uint64_t>() : static_cast<uint64_t>(value->get<int64_t>());
}

// stream_options: {include_usage, include_obfuscation}; only meaningful with stream.
void read_stream_options(FieldReader& fields, bool* include_usage) {
  const json* value = fields.get("stream_options");
  if (value == nullptr) return;
  FieldReader options(*value, fields.param("stream_options") + ".", "'stream_options'");
  options.boolean("include_usage", include_usage);
  bool include_obfuscation = false;  // hearth sends no obfuscation padding either way
  options.boolean("include_obfuscation", &include_obfuscation);
  options.reject_unknown();
  if (options.failed()) fields.fail(options.error());
}

// keep_alive, as Ollama takes it: a number of seconds or a duration string
// ("5m", "-1"); negative means forever.
void read_keep_alive(FieldReader& fields, std::optional<int64_t>* out) {
  const json* value = fields.get("keep_alive");
  if (value == nullptr) return;
  constexpr double kMaxSeconds = 1e12;
  if (value->is_number()) {
    const double seconds = value->get<double>();
    if (!(std::fabs(seconds) <= kMaxSeconds)) {
      fields.fail("keep_alive", "'keep_alive' must be within +-10^12 seconds");
      return;
    }
    *out = static_cast<int64_t>(std::llround(seconds * 1000.0));
    return;
  }
  if (value->is_string()) {
    Result<int64_t> duration_ms = parse_duration_ms(value->get<std::string>());
    if (!duration_ms.ok()) {
      fields.fail("keep_alive", "'keep_alive': " + duration_ms.status().message());
      return;
    }
    *out = *duration_ms;
    return;
  }
  fields.fail("keep_alive",
              "'keep_alive' must be a number of seconds or a duration string like \"5m\", got " + json_kind(*value));
}

// Fields both endpoints define, with OpenAI's ranges (and hearth's extensions).
void read_generation_fields(FieldReader& fields, GenerationFields* out) {
  fields.boolean("stream", &out->stream);
  read_stream_options(fields, &out->include_usage);
  fields.integer("max_tokens", &out->max_tokens, 1, std::numeric_limits<int32_t>::max());
  infer::SamplingParams& sampling = out->sampling;
  fields.number("temperature", &sampling.temperature, 0.0, 2.0);
  fields.number("top_p", &sampling.top_p, 0.0, 1.0, /*min_exclusive=*/true);
  fields.number("presence_penalty", &sampling.presence_penalty, -2.0, 2.0);
  fields.number("frequency_penalty", &sampling.frequency_penalty, -2.0, 2.0);
  // hearth extensions (llama.cpp's names).
  fields.integer("top_k", &sampling.top_k, 0, std::numeric_limits<int32_t>::max());
  fields.number("min_p", &sampling.min_p, 0.0, 1.0);
  fields.number("repeat_penalty", &sampling.repeat_penalty, 0.0, kNoUpperBound, /*min_exclusive=*/true);
  read_stop(fields, &out->stop);
  read_seed(fields, &out->seed);
  read_keep_alive(fields, &out->keep_alive_ms);
  fields.boolean("truncate", &out->truncate);

  int64_t n = 1;
  fields.integer("n", &n, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
  if (!fields.failed() && n != 1) {
    fields.fail(not_supported_error(fields.param("n"), "'n' other than 1 (several choices per request)"));
  }
  if (const json* bias = fields.get("logit_bias")) {
    if (!bias->is_object()) {
      fields.fail("logit_bias", "'logit_bias' must be an object, got " + json_kind(*bias));
    } else if (!bias->empty()) {
      fields.fail(not_supported_error(fields.param("logit_bias"), "'logit_bias'"));
    }
  }
  // Accepted and not used: they change nothing about the output.
  std::string ignored_string;
  fields.string("user", &ignored_string);
  fields.string("service_tier", &ignored_string);
  fields.string("prompt_cache_key", &ignored_string);
  fields.string("safety_identifier", &ignored_string);
  if (const json* metadata = fields.get("metadata"); metadata != nullptr && !metadata->is_object()) {
    fields.fail("metadata", "'metadata' must be an object, got " + json_kind(*metadata));
  }
  bool ignored_bool = false;
  fields.boolean("store", &ignored_bool);
}

// One message's content: a string, or an array of {"type":"text","text":...}
// parts joined with "\n".
void read_message_content(FieldReader& message, const std::string& prefix, std::string* out) {
  const json* content = message.get("content");
  if (message.failed()) return;
  if (content == nullptr) {
    message.fail("content", quote(prefix + "content") + " is required and must be a string or an array of text parts");
    return;
  }
  if (content->is_string()) {
    *out = content->get<std::string>();
    return;
  }
  if (!content->is_array()) {
    message.fail("content",
                 quote(prefix + "content") + " must be a string or an array of text parts, got " + json_kind(*content));
    return;
  }
  for (size_t part_idx = 0; part_idx < content->size(); ++part_idx) {
    const std::string part_prefix = prefix + "content[" + std::to_string(part_idx) + "].";
    FieldReader part((*content)[part_idx], part_prefix, quote(part_prefix.substr(0, part_prefix.size() - 1)));
    std::string type;
    part.string("type", &type, /*required=*/true);
    if (!part.failed() && type != "text") {
      part.fail(not_supported_error(part.param("type"), "content part type " + quote(type)));
    }
    std::string text;
    part.string("text", &text, /*required=*/true);
    part.reject_unknown();
    if (part.failed()) {
      message.fail(part.error());
      return;
    }
    if (part_idx > 0) *out += '\n';
    *out += text;
  }
}

// An assistant message's tool_calls: [{id, type: "function", function: {name, arguments}}].
void read_tool_calls(FieldReader& message, const std::string& prefix, std::vector<text::ChatToolCall>* out) {
  const json* calls = message.get("tool_calls");
  if (calls == nullptr || message.failed()) return;
  if (!calls->is_array()) {
    message.fail("tool_calls", quote(prefix + "tool_calls") + " must be an array, got " + json_kind(*calls));
    return;
  }
  for (size_t call_idx = 0; call_idx < calls->size(); ++call_idx) {
    const std::string call_prefix = prefix + "tool_calls[" + std::to_string(call_idx) + "].";
    FieldReader call((*calls)[call_idx], call_prefix, quote(call_prefix.substr(0, call_prefix.size() - 1)));
    text::ChatToolCall parsed;
    std::string type;
    call.string("id", &parsed.id, /*required=*/true);
    call.string("type", &type, /*required=*/true);
    if (!call.failed() && type != "function") {
      call.fail("type", quote(call_prefix + "type") + " must be \"function\", got " + quote(type));
    }
    const json* function = call.get("function");
    if (!call.failed() && function == nullptr) call.fail("function", quote(call_prefix + "function") + " is required");
    if (!call.failed()) {
      FieldReader fn(*function, call_prefix + "function.", quote(call_prefix + "function"));
      std::string arguments;
      fn.string("name", &parsed.name, /*required=*/true);
      fn.string("arguments", &arguments, /*required=*/true);
      fn.reject_unknown();
      if (fn.failed()) {
        call.fail(fn.error());
      } else {
        // Templates write `arguments | tojson`: an object is handed over as one.
        nlohmann::ordered_json value = nlohmann::ordered_json::parse(arguments, nullptr, /*allow_exceptions=*/false);
        parsed.arguments = value.is_object() ? template_value(value) : text::jinja::Value(arguments);
      }
    }
    call.reject_unknown();
    if (call.failed()) {
      message.fail(call.error());
      return;
    }
    out->push_back(std::move(parsed));
  }
}

void read_messages(FieldReader& fields, std::vector<text::ChatMessage>* out) {
  const json* messages = fields.get("messages");
  if (fields.failed()) return;
  if (messages == nullptr) {
    fields.fail("messages", "'messages' is required");
    return;
  }
  if (!messages->is_array()) {
    fields.fail("messages", "'messages' must be an array of messages, got " + json_kind(*messages));
    return;
  }
  if (messages->empty()) {
    fields.fail("messages", "'messages' must hold at least one message");
    return;
  }
  for (size_t message_idx = 0; message_idx < messages->size(); ++message_idx) {
    const std::string prefix = "messages[" + std::to_string(message_idx) + "].";
    FieldReader message((*messages)[message_idx], prefix, quote(prefix.substr(0, prefix.size() - 1)));
    text::ChatMessage parsed;
    message.string("role", &parsed.role, /*required=*/true);
    if (!message.failed()) {
      if (parsed.role == "developer") {
        parsed.role = "system";  // OpenAI's newer name for system instructions
      } else if (parsed.role == "function") {
        message.fail(not_supported_error(message.param("role"), "role 'function' (use 'tool')"));
      } else if (parsed.role != "system" && parsed.role != "user" && parsed.role != "assistant" &&
                 parsed.role != "tool") {
        message.fail("role", quote(prefix + "role") + " must be one of system, developer, user, assistant, tool; got " +
                                 quote(parsed.role));
      }
    }
    if (message.has("function_call")) {
      message.fail(not_supported_error(message.param("function_call"), "'function_call' (use 'tool_calls')"));
    }
    if (parsed.role == "assistant") {
      read_tool_calls(message, prefix, &parsed.tool_calls);
    } else if (!message.failed() && message.has("tool_calls")) {
      message.fail("tool_calls", quote(prefix + "tool_calls") + " is only allowed in assistant messages");
    }
    if (parsed.role == "tool") message.string("tool_call_id", &parsed.tool_call_id, /*required=*/true);
    // An assistant message that calls tools may leave content out (or null).
    if (!(parsed.role == "assistant" && !parsed.tool_calls.empty() && !message.has("content"))) {
      read_message_content(message, prefix, &parsed.content);
    }
    std::string name;  // a participant's name: the templates hearth renders have no place for it
    message.string("name", &name);
    if (parsed.role == "tool") parsed.name = name;
    if (const json* refusal = message.get("refusal"); refusal != nullptr && !refusal->is_string()) {
      message.fail("refusal", quote(prefix + "refusal") + " must be a string, got " + json_kind(*refusal));
    }
    message.reject_unknown();
    if (message.failed()) {
      fields.fail(message.error());
      return;
    }
    out->push_back(std::move(parsed));
  }
}

constexpr size_t kMaxTools = 128;

bool valid_function_name(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// tools: [{type: "function", function: {name, description?, parameters?, strict?}}].
void read_tools(FieldReader& fields, const nlohmann::ordered_json& ordered, ChatRequest* request) {
  const json* tools = fields.get("tools");
  if (tools == nullptr || fields.failed()) return;
  if (!tools->is_array()) {
    fields.fail("tools", "'tools' must be an array, got " + json_kind(*tools));
    return;
  }
  if (tools->size() > kMaxTools) {
    fields.fail("tools", "'tools' may hold at most " + std::to_string(kMaxTools) + " tools");
    return;
  }
  for (size_t tool_idx = 0; tool_idx < tools->size(); ++tool_idx) {
    const std::string prefix = "tools[" + std::to_string(tool_idx) + "].";
    FieldReader tool((*tools)[tool_idx], prefix, quote(prefix.substr(0, prefix.size() - 1)));
    std::string type;
    tool.string("type", &type, /*required=*/true);
    if (!tool.failed() && type != "function") {
      tool.fail(not_supported_error(tool.param("type"), "tool type " + quote(type)));
    }
    const json* function = tool.get("function");
    if (!tool.failed() && function == nullptr) tool.fail("function", quote(prefix + "function") + " is required");
    ChatTool parsed;
    if (!tool.failed()) {
      FieldReader fn(*function, prefix + "function.", quote(prefix + "function"));
      fn.string("name", &parsed.name, /*required=*/true);
      if (!fn.failed() && !valid_function_name(parsed.name)) {
        fn.fail("name", quote(prefix + "function.name") +
                            " must be 1 to 64 letters, digits, underscores or dashes, got " + quote(parsed.name));
      }
      fn.string("description", &parsed.description);
      const json* parameters = fn.get("parameters");
      if (parameters != nullptr && !parameters->is_object()) {
        fn.fail("parameters", quote(prefix + "function.parameters") + " must be a JSON Schema object, got " +
                                  json_kind(*parameters));
      }
      bool strict = false;
      fn.boolean("strict", &strict);
      fn.reject_unknown();
      if (fn.failed()) tool.fail(fn.error());
      const nlohmann::ordered_json& ordered_fn = ordered["tools"][tool_idx]["function"];
      if (parameters != nullptr) parsed.parameters = ordered_fn["parameters"];
    }
    tool.reject_unknown();
    if (tool.failed()) {
      fields.fail(tool.error());
      return;
    }
    for (const ChatTool& earlier : request->tools) {
      if (earlier.name == parsed.name) {
        fields.fail(invalid_field_error(prefix + "function.name", "two tools are named " + quote(parsed.name)));
        return;
      }
    }
    request->tools.push_back(std::move(parsed));
  }
  if (!request->tools.empty()) request->template_options.tools = template_value(ordered["tools"]);
}

// tool_choice: "none" | "auto" | "required" | {type: "function", function: {name}}.
void read_tool_choice(FieldReader& fields, ChatRequest* request) {
  request->tool_choice = request->tools.empty() ? ToolChoice::kNone : ToolChoice::kAuto;
  const json* choice = fields.get("tool_choice");
  if (choice == nullptr || fields.failed()) return;
  if (choice->is_string()) {
    const std::string value = choice->get<std::string>();
    if (value == "none") {
      request->tool_choice = ToolChoice::kNone;
    } else if (value == "auto") {
      // auto without tools is no tools
    } else if (value == "required") {
      request->tool_choice = ToolChoice::kRequired;
    } else {
      fields.fail("tool_choice", "'tool_choice' must be \"none\", \"auto\", \"required\" or a function, got " +
                                     quote(value));
      return;
    }
  } else {
    FieldReader reader(*choice, "tool_choice.", "'tool_choice'");
    std::string type;
    reader.string("type", &type, /*required=*/true);
    if (!reader.failed() && type != "function") {
      reader.fail(not_supported_error("tool_choice.type", "tool_choice type " + quote(type)));
    }
    const json* function = reader.get("function");
    if (!reader.failed() && function == nullptr) reader.fail("function", "'tool_choice.function' is required");
    if (!reader.failed()) {
      FieldReader fn(*function, "tool_choice.function.", "'tool_choice.function'");
      fn.string("name", &request->tool_choice_name, /*required=*/true);
      fn.reject_unknown();
      if (fn.failed()) reader.fail(fn.error());
    }
    reader.reject_unknown();
    if (reader.failed()) {
      fields.fail(reader.error());
      return;
    }
    request->tool_choice = ToolChoice::kFunction;
  }
  if (request->tool_call_forced() && request->tools.empty()) {
    fields.fail("tool_choice", "'tool_choice' asks for a tool call but the request has no 'tools'");
    return;
  }
  if (request->tool_choice == ToolChoice::kFunction &&
      std::none_of(request->tools.begin(), request->tools.end(),
                   [&](const ChatTool& tool) { return tool.name == request->tool_choice_name; })) {
    fields.fail(invalid_field_error("tool_choice.function.name",
                                    "'tool_choice' names the function " + quote(request->tool_choice_name) +
                                        ", which is not in 'tools'"));
  }
}

// The parameters of the tools a forced call may use, compiled into tool_grammar.
// `param_of` names a tool's schema in errors.
template <typename ParamOf>
void compile_forced_tools(FieldReader& fields, ChatRequest* request, const ParamOf& param_of) {
  if (fields.failed() || !request->tool_call_forced()) return;
  for (size_t tool_idx = 0; tool_idx < request->tools.size(); ++tool_idx) {
    ChatTool& tool = request->tools[tool_idx];
    if (request->tool_choice == ToolChoice::kFunction && tool.name != request->tool_choice_name) continue;
    if (tool.parameters.empty()) {
      tool.parameters_node = request->tool_grammar.add_any_object();
      continue;
    }
    ApiResult<int32_t> node = add_json_schema(&request->tool_grammar, tool.parameters, param_of(tool_idx));
    if (!node.ok()) {
      fields.fail(node.error());
      return;
    }
    tool.parameters_node = *node;
  }
}

// response_format: {type: "text"} | {type: "json_object"} |
// {type: "json_schema", json_schema: {name, description?, schema?, strict?}}.
void read_response_format(FieldReader& fields, const nlohmann::ordered_json& ordered, ChatRequest* request) {
  const json* format = fields.get("response_format");
  if (format == nullptr || fields.failed()) return;
  FieldReader reader(*format, "response_format.", "'response_format'");
  std::string type;
  reader.string("type", &type, /*required=*/true);
  auto grammar = std::make_shared<infer::JsonGrammar>();
  if (!reader.failed()) {
    if (type == "text") {
      grammar.reset();
    } else if (type == "json_object") {
      grammar->set_root(grammar->add_any_object());
    } else if (type == "json_schema") {
      const json* spec = reader.get("json_schema");
      if (spec == nullptr) reader.fail("json_schema", "'response_format.json_schema' is required with type json_schema");
      if (!reader.failed()) {
        FieldReader schema_reader(*spec, "response_format.json_schema.", "'response_format.json_schema'");
        std::string name;
        std::string description;
        bool strict = false;
        schema_reader.string("name", &name, /*required=*/true);
        if (!schema_reader.failed() && !valid_function_name(name)) {
          schema_reader.fail("name", "'response_format.json_schema.name' must be 1 to 64 letters, digits, "
                                     "underscores or dashes, got " + quote(name));
        }
        schema_reader.string("description", &description);
        schema_reader.boolean("strict", &strict);
        const json* schema = schema_reader.get("schema");
        if (schema != nullptr && !schema->is_object() && !schema->is_boolean()) {
          schema_reader.fail("schema", "'response_format.json_schema.schema' must be a JSON Schema object, got " +
                                           json_kind(*schema));
        }
        schema_reader.reject_unknown();
        if (schema_reader.failed()) {
          reader.fail(schema_reader.error());
        } else if (schema == nullptr) {
          grammar->set_root(grammar->add_any_object());
        } else {
          ApiResult<int32_t> root = add_json_schema(grammar.get(), ordered["response_format"]["json_schema"]["schema"],
                                                    "response_format.json_schema.schema");
          if (root.ok()) {
            grammar->set_root(*root);
          } else {
            reader.fail(root.error());
          }
        }
      }
    } else {
      reader.fail("type", "'response_format.type' must be text, json_object or json_schema, got " + quote(type));
    }
  }
  if (!reader.failed() && grammar != nullptr) {
    if (Status valid = grammar->validate(); !valid.ok()) {
      reader.fail(invalid_field_error("response_format", "'response_format': the schema admits no value (" +
                                                             valid.message() + ")"));
    }
  }
  reader.reject_unknown();
  if (reader.failed()) {
    fields.fail(reader.error());
    return;
  }
  request->response_grammar = std::move(grammar);
}

// chat_template_kwargs (vLLM's and llama.cpp's): extra variables for the template, e.g. enable_thinking.
void read_template_kwargs(FieldReader& fields, const nlohmann::ordered_json& ordered, ChatRequest* request) {
  const json* kwargs = fields.get("chat_template_kwargs");
  if (kwargs == nullptr || fields.failed()) return;
  if (!kwargs->is_object()) {
    fields.fail("chat_template_kwargs", "'chat_template_kwargs' must be an object, got " + json_kind(*kwargs));
    return;
  }
  for (const auto& [name, value] : ordered["chat_template_kwargs"].items()) {
    for (const char* reserved : {"messages", "tools", "add_generation_prompt", "bos_token", "eos_token"}) {
      if (name == reserved) {
        fields.fail(invalid_field_error("chat_template_kwargs." + name,
                                        "'chat_template_kwargs' may not set " + quote(name) +
                                            ": the request's own fields decide it"));
        return;
      }
    }
    request->template_options.variables.emplace_back(name, template_value(value));
  }
}

// Chat fields for features hearth does not have; a non-default value is a 400.
void reject_unsupported_chat_features(FieldReader& fields) {
  if (const json* modalities = fields.get("modalities")) {
    if (*modalities != json::array({"text"})) {
      fields.fail(not_supported_error("modalities", "'modalities' other than [\"text\"]"));
    }
  }
  for (const char* key :
       {"functions", "function_call", "audio", "prediction", "web_search_options", "reasoning_effort", "verbosity"}) {
    if (fields.has(key)) fields.fail(not_supported_error(key, quote(key)));
  }
}

// The completions prompt: a string, one string in an array, an array of
// token ids, or one such array in an array.
void read_prompt(FieldReader& fields, CompletionRequest* out) {
  const json* prompt = fields.get("prompt");
  if (fields.failed()) return;
  if (prompt == nullptr) {
    fields.fail("prompt", "'prompt' is required");
    return;
  }
  const std::string kinds = "a string, an array of token ids, or an array holding one of those";
  const json* single = prompt;
  if (prompt->is_array() && prompt->size() == 1 && ((*prompt)[0].is_string() || (*prompt)[0].is_array())) {
    single = &(*prompt)[0];
  } else if (prompt->is_array() && !prompt->empty() && ((*prompt)[0].is_string() || (*prompt)[0].is_array())) {
    fields.fail(not_supported_error("prompt", "more than one prompt per request"));
    return;
  }
  if (single->is_string()) {
    out->prompt_text = single->get<std::string>();
    return;
  }
  if (!single->is_array()) {
    fields.fail("prompt", "'prompt' must be " + kinds + ", got " + json_kind(*single));
    return;
  }
  if (single->empty()) {
    fields.fail("prompt", "'prompt' must not be an empty array");
    return;
  }
  out->prompt_is_tokens = true;
  out->prompt_tokens.reserve(single->size());
  for (size_t token_idx = 0; token_idx < single->size(); ++token_idx) {
    const json& id = (*single)[token_idx];
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
      fields.fail("prompt", "'prompt' token ids must be non-negative integers; item " + std::to_string(token_idx) +
                                " is " + (id.is_number_integer() ? id.dump() : json_kind(id)));
      return;
    }
    out->prompt_tokens.push_back(id.get<int32_t>());
  }
}

}  // namespace

ApiResult<json> parse_json_body(std::string_view body) {
  if (!nesting_within(body, kMaxJsonDepth)) {
    return invalid_field_error("",
                               "The request body nests JSON deeper than " + std::to_string(kMaxJsonDepth) + " levels");
  }
  // The last key read, so that a number too large for a double names its field.
  std::string last_key;
  const json::parser_callback_t track_keys = [&last_key](int /*depth*/, json::parse_event_t event, json& parsed) {
    if (event == json::parse_event_t::key) last_key = parsed.get<std::string>();
    return true;
  };
  try {
    return json::parse(body, track_keys);
  } catch (const json::parse_error& error) {
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..." minus the bracketed id.
    std::string detail = error.what();
    if (const size_t end = detail.find("] "); detail.rfind("[json.exception", 0) == 0 && end != std::string::npos) {
      detail = detail.substr(end + 2);
    }
    return invalid_field_error("", "The request body is not valid JSON: " + detail);
  } catch (const json::out_of_range&) {
    // The only range error parsing raises: a number beyond a double (1e400).
    return invalid_field_error(last_key, (last_key.empty() ? std::string("A value") : quote(last_key)) +
                                             " holds a number too large to represent");
  } catch (const json::exception&) {
    return invalid_field_error("", "The request body is not valid JSON");
  }
}

ApiResult<ChatRequest> parse_chat_request(std::string_view body) {
  ApiResult<json> parsed = parse_json_body(body);
  if (!parsed.ok()) return parsed.error();
  FieldReader fields(*parsed, "", "The request body");
  ChatRequest request;
  fields.string("model", &request.model, /*required=*/true);
  // The sampling and length fields before the messages: a gateway forwards a
  // request whose only fault is a feature hearth lacks (tool messages, say),
  // and everything read before that feature is checked.
  read_generation_fields(fields, &request.generation);
  read_messages(fields, &request.messages);
  // max_completion_tokens is the newer name of max_tokens; it wins when both are sent.
  fields.integer("max_completion_tokens", &request.generation.max_tokens, 1, std::numeric_limits<int32_t>::max());
  fields.boolean("logprobs", &request.logprobs);
  if (fields.has("top_logprobs")) {
    fields.integer("top_logprobs", &request.top_logprobs, 0, kMaxTopLogprobs);
    if (!fields.failed() && !request.logprobs) {
      fields.fail("top_logprobs", "'top_logprobs' requires 'logprobs' to be true");
    }
  }
  // Tools, schemas and template variables keep the client's key order: a
  // second, insertion-ordered parse of the (already valid) body.
  nlohmann::ordered_json ordered;
  if (parsed->contains("tools") || parsed->contains("response_format") || parsed->contains("chat_template_kwargs")) {
    ordered = nlohmann::ordered_json::parse(body, nullptr, /*allow_exceptions=*/false);
  }
  read_tools(fields, ordered, &request);
  read_tool_choice(fields, &request);
  fields.boolean("parallel_tool_calls", &request.parallel_tool_calls);
  compile_forced_tools(fields, &request,
                       [](size_t idx) { return "tools[" + std::to_string(idx) + "].function.parameters"; });
  read_response_format(fields, ordered, &request);
  if (!fields.failed() && request.response_grammar != nullptr && request.tool_call_forced()) {
    fields.fail(invalid_field_error("response_format",
                                    "'response_format' cannot constrain the answer when 'tool_choice' requires a "
                                    "tool call"));
  }
  read_template_kwargs(fields, ordered, &request);
  reject_unsupported_chat_features(fields);
  fields.reject_unknown();
  if (fields.failed()) return fields.error();
  return request;
}

namespace {

// Anthropic content: a string, or an array of {"type":"text","text":...} blocks joined by "\n".
bool read_anthropic_text(const json& content, const std::string& param, std::string* out, FieldReader& fields) {
  if (content.is_string()) {
    *out = content.get<std::string>();
    return true;
  }
  if (!content.is_array()) {
    fields.fail(param, quote(param) + " must be a string or an array of content blocks, got " + json_kind(content));
    return false;
  }
  out->clear();
  for (size_t block_idx = 0; block_idx < content.size(); ++block_idx) {
    const json& block = content[block_idx];
    const std::string block_param = param + "[" + std::to_string(block_idx) + "]";
    if (!block.is_object() || !block.contains("type") || !block["type"].is_string()) {
      fields.fail(block_param, "each content block must be an object with a type");
      return false;
    }
    if (block["type"] != "text") {
      fields.fail(not_supported_error(block_param, "A '" + block["type"].get<std::string>() + "' content block"));
      return false;
    }
    if (!block.contains("text") || !block["text"].is_string()) {
      fields.fail(block_param + ".text", "a text block needs a string 'text'");
      return false;
    }
    if (!out->empty()) *out += "\n";
    *out += block["text"].get<std::string>();
  }
  return true;
}

// One Anthropic message's content: text blocks (joined by "\n"), an
// assistant's tool_use blocks (its tool calls) and a user's tool_result blocks
// (each a "tool" message, ahead of the user's text). `ordered` is the same
// content from an insertion-ordered parse, or null when it has no tool_use.
bool read_anthropic_message(const json& content, const nlohmann::ordered_json* ordered, const std::string& role,
                            const std::string& param, FieldReader& fields, std::vector<text::ChatMessage>* out) {
  text::ChatMessage message{role, ""};
  if (content.is_string()) {
    message.content = content.get<std::string>();
    out->push_back(std::move(message));
    return true;
  }
  if (!content.is_array()) {
    fields.fail(param, quote(param) + " must be a string or an array of content blocks, got " + json_kind(content));
    return false;
  }
  std::vector<text::ChatMessage> results;
  bool has_text = false;
  for (size_t block_idx = 0; block_idx < content.size(); ++block_idx) {
    const json& block = content[block_idx];
    const std::string block_param = param + "[" + std::to_string(block_idx) + "]";
    if (!block.is_object() || !block.contains("type") || !block["type"].is_string()) {
      fields.fail(block_param, "each content block must be an object with a type");
      return false;
    }
    const std::string type = block["type"].get<std::string>();
    if (type == "text") {
      if (!block.contains("text") || !block["text"].is_string()) {
        fields.fail(block_param + ".text", "a text block needs a string 'text'");
        return false;
      }
      if (has_text) message.content += "\n";
      message.content += block["text"].get<std::string>();
      has_text = true;
    } else if (type == "tool_use" && role == "assistant") {
      if (!block.contains("id") || !block["id"].is_string() || !block.contains("name") || !block["name"].is_string() ||
          !block.contains("input") || !block["input"].is_object() || ordered == nullptr) {
        fields.fail(block_param, "a tool_use block needs a string 'id' and 'name' and an object 'input'");
        return false;
      }
      message.tool_calls.push_back({block["id"].get<std::string>(), block["name"].get<std::string>(),
                                    template_value((*ordered)[block_idx]["input"])});
    } else if (type == "tool_result" && role == "user") {
      if (!block.contains("tool_use_id") || !block["tool_use_id"].is_string()) {
        fields.fail(block_param + ".tool_use_id", "a tool_result block needs a string 'tool_use_id'");
        return false;
      }
      text::ChatMessage result{"tool", ""};
      result.tool_call_id = block["tool_use_id"].get<std::string>();
      if (block.contains("content") &&
          !read_anthropic_text(block["content"], block_param + ".content", &result.content, fields)) {
        return false;
      }
      results.push_back(std::move(result));
    } else {
      fields.fail(not_supported_error(block_param, "A '" + type + "' content block in a " + role + " message"));
      return false;
    }
  }
  for (text::ChatMessage& result : results) out->push_back(std::move(result));
  if (has_text || results.empty() || !message.tool_calls.empty()) out->push_back(std::move(message));
  return true;
}

// tools: [{name, description?, input_schema, type?: "custom"}]; tool_choice:
// {type: auto | any | tool | none, name?, disable_parallel_tool_use?}.
void read_anthropic_tools(FieldReader& fields, const nlohmann::ordered_json& ordered, ChatRequest* request) {
  const json* tools = fields.get("tools");
  if (tools != nullptr && !fields.failed()) {
    if (!tools->is_array() || tools->size() > kMaxTools) {
      fields.fail("tools", "'tools' must be an array of at most " + std::to_string(kMaxTools) + " tools");
      return;
    }
    nlohmann::ordered_json as_openai = nlohmann::ordered_json::array();
    for (size_t tool_idx = 0; tool_idx < tools->size(); ++tool_idx) {
      const std::string prefix = "tools[" + std::to_string(tool_idx) + "].";
      FieldReader tool((*tools)[tool_idx], prefix, quote(prefix.substr(0, prefix.size() - 1)));
      std::string type = "custom";
      tool.string("type", &type);
      if (!tool.failed() && type != "custom") {
        tool.fail(not_supported_error(tool.param("type"), "The server tool " + quote(type)));
      }
      ChatTool parsed;
      tool.string("name", &parsed.name, /*required=*/true);
      if (!tool.failed() && !valid_function_name(parsed.name)) {
        tool.fail("name", quote(prefix + "name") + " must be 1 to 64 letters, digits, underscores or dashes");
      }
      tool.string("description", &parsed.description);
      const json* schema = tool.get("input_schema");
      if (!tool.failed() && (schema == nullptr || !schema->is_object())) {
        tool.fail("input_schema", quote(prefix + "input_schema") + " is required and must be a JSON Schema object");
      }
      tool.ignore("cache_control");
      tool.reject_unknown();
      if (tool.failed()) {
        fields.fail(tool.error());
        return;
      }
      for (const ChatTool& earlier : request->tools) {
        if (earlier.name == parsed.name) {
          fields.fail(invalid_field_error(prefix + "name", "two tools are named " + quote(parsed.name)));
          return;
        }
      }
      parsed.parameters = ordered["tools"][tool_idx]["input_schema"];
      nlohmann::ordered_json function = {{"name", parsed.name}};
      if (!parsed.description.empty()) function["description"] = parsed.description;
      function["parameters"] = parsed.parameters;
      as_openai.push_back({{"type", "function"}, {"function", std::move(function)}});
      request->tools.push_back(std::move(parsed));
    }
    if (!request->tools.empty()) request->template_options.tools = template_value(as_openai);
  }
  request->tool_choice = request->tools.empty() ? ToolChoice::kNone : ToolChoice::kAuto;
  const json* choice = fields.get("tool_choice");
  if (choice == nullptr || fields.failed()) return;
  FieldReader reader(*choice, "tool_choice.", "'tool_choice'");
  std::string type;
  reader.string("type", &type, /*required=*/true);
  bool disable_parallel = false;
  reader.boolean("disable_parallel_tool_use", &disable_parallel);
  request->parallel_tool_calls = !disable_parallel;
  if (!reader.failed()) {
    if (type == "auto") {
    } else if (type == "none") {
      request->tool_choice = ToolChoice::kNone;
    } else if (type == "any") {
      request->tool_choice = ToolChoice::kRequired;
    } else if (type == "tool") {
      reader.string("name", &request->tool_choice_name, /*required=*/true);
      request->tool_choice = ToolChoice::kFunction;
    } else {
      reader.fail("type", "'tool_choice.type' must be auto, any, tool or none, got " + quote(type));
    }
  }
  reader.reject_unknown();
  if (reader.failed()) {
    fields.fail(reader.error());
    return;
  }
  if (request->tool_call_forced() && request->tools.empty()) {
    fields.fail("tool_choice", "'tool_choice' asks for a tool call but the request has no 'tools'");
  } else if (request->tool_choice == ToolChoice::kFunction &&
             std::none_of(request->tools.begin(), request->tools.end(),
                          [&](const ChatTool& tool) { return tool.name == request->tool_choice_name; })) {
    fields.fail(invalid_field_error("tool_choice.name", "'tool_choice' names the tool " +
                                                            quote(request->tool_choice_name) +
                                                            ", which is not in 'tools'"));
  }
}

}  // namespace

ApiResult<ChatRequest> parse_messages_request(std::string_view body) {
  ApiResult<json> parsed = parse_json_body(body);
  if (!parsed.ok()) return parsed.error();
  FieldReader fields(*parsed, "", "The request body");
  ChatRequest request;
  fields.string("model", &request.model, /*required=*/true);
  if (!fields.failed() && !fields.has("max_tokens")) fields.fail("max_tokens", "'max_tokens' is required");
  fields.integer("max_tokens", &request.generation.max_tokens, 1, std::numeric_limits<int32_t>::max());
  if (const json* system = fields.get("system"); system != nullptr && !fields.failed()) {
    text::ChatMessage message{"system", ""};
    if (read_anthropic_text(*system, "system", &message.content, fields)) request.messages.push_back(message);
  }
  const json* messages = fields.get("messages");
  if (!fields.failed() && (messages == nullptr || !messages->is_array() || messages->empty())) {
    fields.fail("messages", "'messages' must be a non-empty array");
  }
  // tool_use inputs and tool schemas keep the client's key order.
  nlohmann::ordered_json ordered;
  if (parsed->contains("tools") || body.find("\"tool_use\"") != std::string_view::npos) {
    ordered = nlohmann::ordered_json::parse(body, nullptr, /*allow_exceptions=*/false);
  }
  for (size_t message_idx = 0; !fields.failed() && message_idx < messages->size(); ++message_idx) {
    const json& message = (*messages)[message_idx];
    const std::string param = "messages[" + std::to_string(message_idx) + "]";
    if (!message.is_object() || !message.contains("role") || !message["role"].is_string() ||
        !message.contains("content")) {
      fields.fail(param, "each message must be an object with a role and content");
      break;
    }
    const std::string role = message["role"].get<std::string>();
    if (role != "user" && role != "assistant") {
      fields.fail(param + ".role", "'role' must be 'user' or 'assistant', got " + quote(role));
      break;
    }
    const nlohmann::ordered_json* ordered_content =
        ordered.is_object() ? &ordered["messages"][message_idx]["content"] : nullptr;
    if (!read_anthropic_message(message["content"], ordered_content, role, param + ".content", fields,
                                &request.messages)) {
      break;
    }
  }
  infer::SamplingParams& sampling = request.generation.sampling;
  fields.number("temperature", &sampling.temperature, 0.0, 1.0);
  fields.number("top_p", &sampling.top_p, 0.0, 1.0, /*min_exclusive=*/true);
  fields.integer("top_k", &sampling.top_k, 0, std::numeric_limits<int32_t>::max());
  if (const json* stop = fields.get("stop_sequences"); stop != nullptr && !fields.failed()) {
    if (!stop->is_array() || stop->size() > static_cast<size_t>(kMaxStopStrings)) {
      fields.fail("stop_sequences",
                  "'stop_sequences' must be an array of at most " + std::to_string(kMaxStopStrings) + " strings");
    } else {
      for (const json& entry : *stop) {
        if (!entry.is_string() || entry.get<std::string>().empty()) {
          fields.fail("stop_sequences", "'stop_sequences' must hold non-empty strings");
          break;
        }
        request.generation.stop.push_back(entry.get<std::string>());
      }
    }
  }
  fields.boolean("stream", &request.generation.stream);
  read_keep_alive(fields, &request.generation.keep_alive_ms);
  fields.boolean("truncate", &request.generation.truncate);
  fields.ignore("metadata");
  read_anthropic_tools(fields, ordered, &request);
  compile_forced_tools(fields, &request,
                       [](size_t idx) { return "tools[" + std::to_string(idx) + "].input_schema"; });
  for (const char* unsupported : {"thinking", "service_tier", "container", "mcp_servers"}) {
    if (fields.has(unsupported)) fields.fail(not_supported_error(unsupported, quote(unsupported)));
  }
  fields.reject_unknown();
  if (fields.failed()) return fields.error();
  return request;
}

ApiResult<CompletionRequest> parse_completion_request(std::string_view body) {
  ApiResult<json> parsed = parse_json_body(body);
  if (!parsed.ok()) return parsed.error();
  FieldReader fields(*parsed, "", "The request body");
  CompletionRequest request;
  fields.string("model", &request.model, /*required=*/true);
  read_prompt(fields, &request);
  read_generation_fields(fields, &request.generation);
  if (fields.has("logprobs")) {
    fields.integer("logprobs", &request.logprobs, 0, kMaxTopLogprobs);
  }
  bool echo = false;
  fields.boolean("echo", &echo);
  if (echo) fields.fail(not_supported_error("echo", "'echo'"));
  std::string suffix;
  fields.string("suffix", &suffix);
  if (!suffix.empty()) fields.fail(not_supported_error("suffix", "'suffix' (fill in the middle)"));
  int64_t best_of = 1;
  fields.integer("best_of", &best_of, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max());
  if (!fields.failed() && best_of != 1) fields.fail(not_supported_error("best_of", "'best_of' other than 1"));
  fields.reject_unknown();
  if (fields.failed()) return fields.error();
  return request;
}

}  // namespace hearth::api
