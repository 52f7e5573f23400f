// Native rendering of the recognized chat template families; see chat_template.h.
#include "text/chat_template.h"

#include <algorithm>

#include "model/gguf.h"
#include "text/utf8.h"

namespace hearth::text {
namespace {

// The published templates, as they appear in each family's tokenizer_config.json
// (Jinja string literals keep their "\n" escapes).
// ref: meta-llama/Meta-Llama-3-8B-Instruct tokenizer_config.json
constexpr std::string_view kLlama3Jinja =
    R"({% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %})";
// ref: the ChatML template of HF transformers' chat templating documentation
constexpr std::string_view kChatmlJinja =
    R"({% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %})";
// ref: meta-llama/Llama-2-7b-chat-hf tokenizer_config.json
constexpr std::string_view kLlama2Jinja =
    R"({% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\n' + system_message + '\n<</SYS>>\n\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %})";
// ref: mistralai/Mistral-7B-Instruct-v0.2 tokenizer_config.json
constexpr std::string_view kMistralJinja =
    R"({{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token}}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %})";

bool is_python_space(uint32_t cp) {
  return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 || cp == 0xA0 || cp == 0x1680 ||
         (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
         cp == 0x3000;
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

Status check_roles(std::span<const ChatMessage> messages, std::string_view family) {
  if (messages.empty()) return invalid_argument_error("the conversation has no messages");
  for (size_t idx = 0; idx < messages.size(); ++idx) {
    const std::string& role = messages[idx].role;
    if (role != "system" && role != "user" && role != "assistant") {
      return invalid_argument_error("message " + std::to_string(idx) + " has role '" + role.substr(0, 40) +
                                    "', which the " + std::string(family) +
                                    " template does not support (system, user, assistant)");
    }
  }
  return ok_status();
}

// The llama2/mistral rule: after an optional leading system message, user and
// assistant alternate, starting with user.
Status check_alternation(std::span<const ChatMessage> loop_messages, size_t first_idx, std::string_view family) {
  if (loop_messages.empty()) return invalid_argument_error("the conversation has no user message");
  for (size_t idx = 0; idx < loop_messages.size(); ++idx) {
    const bool is_user = loop_messages[idx].role == "user";
    if (loop_messages[idx].role == "system") {
      return invalid_argument_error("message " + std::to_string(first_idx + idx) +
                                    ": the " + std::string(family) + " template allows one system message, first");
    }
    if (is_user != (idx % 2 == 0)) {
      return invalid_argument_error("message " + std::to_string(first_idx + idx) + ": the " + std::string(family) +
                                    " template needs user and assistant roles to alternate, starting with user");
    }
  }
  return ok_status();
}

// Qwen's templates carry a static default system prompt:
//   '<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n'
// It is applied only when it is plain text (no Jinja expression inside).
std::string find_default_system(std::string_view jinja) {
  for (std::string_view opener : {std::string_view("<|im_start|>system\\n"), std::string_view("<|im_start|>system\n")}) {
    const size_t start = jinja.find(opener);
    if (start == std::string_view::npos) continue;
    const size_t text_start = start + opener.size();
    const size_t end = jinja.find("<|im_end|>", text_start);
    if (end == std::string_view::npos) continue;
    const std::string_view text = jinja.substr(text_start, end - text_start);
    if (text.empty() || text.find_first_of("'\"{}+\\") != std::string_view::npos) continue;
    return std::string(text);
  }
  return {};
}

}  // namespace

std::string_view strip_python_whitespace(std::string_view text) {
  size_t begin = 0;
  while (begin < text.size()) {
    const Utf8Char ch = decode_utf8_char(text.substr(begin));
    if (ch.status != Utf8Status::kValid || !is_python_space(ch.code_point)) break;
    begin += ch.n_bytes;
  }
  size_t end = text.size();
  while (end > begin) {
    size_t start = end - 1;
    while (start > begin && (static_cast<uint8_t>(text[start]) & 0xC0) == 0x80 && end - start < 4) --start;
    const Utf8Char ch = decode_utf8_char(text.substr(start, end - start));
    if (ch.status != Utf8Status::kValid || ch.n_bytes != end - start || !is_python_space(ch.code_point)) break;
    end = start;
  }
  return text.substr(begin, end - begin);
}

ChatTemplate::ChatTemplate(Family family, std::string_view bos_text, std::string_view eos_text) : family_(family) {
  const bool is_llama3 = family == Family::kLlama3;
  bos_text_ = !bos_text.empty() ? std::string(bos_text) : is_llama3 ? "<|begin_of_text|>" : "<s>";
  eos_text_ = !eos_text.empty() ? std::string(eos_text) : is_llama3 ? "<|end_of_text|>" : "</s>";
}

Result<ChatTemplate> ChatTemplate::from_name(std::string_view name) {
  if (name == "llama3") return ChatTemplate(Family::kLlama3, {}, {});
  if (name == "chatml") return ChatTemplate(Family::kChatml, {}, {});
  if (name == "llama2") return ChatTemplate(Family::kLlama2, {}, {});
  if (name == "mistral") return ChatTemplate(Family::kMistral, {}, {});
  return invalid_argument_error("unknown chat template '" + std::string(name.substr(0, 60)) +
                                "' (known: llama3, chatml, llama2, mistral)");
}

Result<ChatTemplate> ChatTemplate::from_source(std::string_view jinja, std::string_view bos_text,
                                               std::string_view eos_text) {
  if (contains(jinja, "<|start_header_id|>")) return ChatTemplate(Family::kLlama3, bos_text, eos_text);
  if (contains(jinja, "<|im_start|>")) {
    ChatTemplate chat(Family::kChatml, bos_text, eos_text);
    chat.default_system_ = find_default_system(jinja);
    return chat;
  }
  if (contains(jinja, "[INST]")) {
    return ChatTemplate(contains(jinja, "<<SYS>>") ? Family::kLlama2 : Family::kMistral, bos_text, eos_text);
  }
  // Quote at most 60 bytes, cut back to a character boundary.
  size_t quote_len = std::min<size_t>(jinja.size(), 60);
  while (quote_len > 0 && quote_len < jinja.size() && (static_cast<uint8_t>(jinja[quote_len]) & 0xC0) == 0x80) {
    --quote_len;
  }
  return unimplemented_error("unrecognized chat template '" + sanitize_utf8(jinja.substr(0, quote_len)) +
                             (jinja.size() > quote_len ? "...'" : "'") +
                             " (hearth renders llama3, chatml, llama2 and mistral templates)");
}

Result<ChatTemplate> ChatTemplate::from_jinja(std::string_view jinja, std::string_view bos_text,
                                              std::string_view eos_text, const jinja::Limits& limits) {
  auto parsed = jinja::Template::parse(jinja, limits);
  if (!parsed.ok()) {
    return Status(parsed.status().code(), "the chat template does not parse: " + parsed.status().message());
  }
  ChatTemplate chat(Family::kJinja, {}, {});
  chat.bos_text_ = std::string(bos_text);
  chat.eos_text_ = std::string(eos_text);
  chat.jinja_ = std::make_shared<const jinja::Template>(std::move(parsed).value());
  chat.jinja_source_ = std::string(jinja);
  return chat;
}

Result<ChatTemplate> ChatTemplate::from_gguf(const model::GgufFile& file) {
  std::vector<std::string_view> tokens;
  if (file.find("tokenizer.ggml.tokens") != nullptr) {
    HEARTH_ASSIGN_OR_RETURN(tokens, file.get_string_array("tokenizer.ggml.tokens"));
  }
  auto token_text = [&](const char* key) -> std::string_view {
    const model::GgufValue* value = file.find(key);
    if (value == nullptr) return {};
    Result<uint64_t> id = value->as_uint();
    return id.ok() && *id < tokens.size() ? tokens[*id] : std::string_view();
  };
  const std::string_view bos_text = token_text("tokenizer.ggml.bos_token_id");
  const std::string_view eos_text = token_text("tokenizer.ggml.eos_token_id");

  if (file.find("tokenizer.chat_template") != nullptr) {
    HEARTH_ASSIGN_OR_RETURN(std::string_view jinja, file.get_string("tokenizer.chat_template"));
    Result<ChatTemplate> interpreted = from_jinja(jinja, bos_text, eos_text);
    if (interpreted.ok()) return interpreted;
    Result<ChatTemplate> native = from_source(jinja, bos_text, eos_text);
    if (!native.ok()) {
      return Status(native.status().code(), interpreted.status().message() + "; " + native.status().message());
    }
    native->fallback_reason_ = interpreted.status().message();
    return native;
  }
  auto has_token = [&](std::string_view text) {
    for (std::string_view token : tokens) {
      if (token == text) return true;
    }
    return false;
  };
  if (has_token("<|im_start|>")) return ChatTemplate(Family::kChatml, bos_text, eos_text);
  if (has_token("<|start_header_id|>")) return ChatTemplate(Family::kLlama3, bos_text, eos_text);
  if (has_token("[INST]")) return ChatTemplate(Family::kMistral, bos_text, eos_text);
  return not_found_error(
      "the model has no tokenizer.chat_template and its vocabulary does not identify a chat format; "
      "name one (llama3, chatml, llama2, mistral)");
}

std::string_view ChatTemplate::name() const {
  switch (family_) {
    case Family::kLlama3: return "llama3";
    case Family::kChatml: return "chatml";
    case Family::kLlama2: return "llama2";
    case Family::kMistral: return "mistral";
    case Family::kJinja: return "jinja";
  }
  return "";
}

std::string_view ChatTemplate::jinja_source() const {
  switch (family_) {
    case Family::kLlama3: return kLlama3Jinja;
    case Family::kChatml: return kChatmlJinja;
    case Family::kLlama2: return kLlama2Jinja;
    case Family::kMistral: return kMistralJinja;
    case Family::kJinja: return jinja_source_;
  }
  return "";
}

Result<std::string> ChatTemplate::render(std::span<const ChatMessage> messages, bool add_generation_prompt,
                                         const ChatTemplateOptions& options) const {
  if (family_ == Family::kJinja) return render_jinja(messages, add_generation_prompt, options);
  HEARTH_RETURN_IF_ERROR(check_roles(messages, name()));
  switch (family_) {
    case Family::kLlama3: return render_llama3(messages, add_generation_prompt);
    case Family::kChatml: return render_chatml(messages, add_generation_prompt);
    case Family::kLlama2: return render_llama2(messages);
    case Family::kMistral: return render_mistral(messages);
    case Family::kJinja: break;
  }
  return internal_error("unknown chat template family");
}

bool ChatTemplate::accepts_tools() const {
  return family_ == Family::kJinja && jinja_source_.find("tools") != std::string::npos;
}

Result<std::string> ChatTemplate::render_jinja(std::span<const ChatMessage> messages, bool add_generation_prompt,
                                               const ChatTemplateOptions& options) const {
  if (messages.empty()) return invalid_argument_error("the conversation has no messages");
  jinja::List message_values;
  message_values.reserve(messages.size());
  for (const ChatMessage& message : messages) {
    auto entry = std::make_shared<jinja::Dict>();
    entry->set("role", jinja::Value(message.role));
    entry->set("content", jinja::Value(message.content));
    // Keys only where the message has them: templates test `is defined`.
    if (!message.tool_calls.empty()) {
      jinja::List calls;
      for (const ChatToolCall& call : message.tool_calls) {
        auto function = std::make_shared<jinja::Dict>();
        function->set("name", jinja::Value(call.name));
        function->set("arguments", call.arguments);
        auto value = std::make_shared<jinja::Dict>();
        value->set("id", jinja::Value(call.id));
        value->set("type", jinja::Value("function"));
        value->set("function", jinja::Value(std::move(function)));
        calls.emplace_back(std::move(value));
      }
      entry->set("tool_calls", jinja::Value::list(std::move(calls)));
    }
    if (!message.tool_call_id.empty()) entry->set("tool_call_id", jinja::Value(message.tool_call_id));
    if (!message.name.empty()) entry->set("name", jinja::Value(message.name));
    message_values.emplace_back(std::move(entry));
  }
  jinja::Dict context;
  for (const auto& [name, value] : options.variables) context.set(name, value);
  if (!options.tools.is_undefined()) context.set("tools", options.tools);
  context.set("messages", jinja::Value::list(std::move(message_values)));
  context.set("add_generation_prompt", jinja::Value(add_generation_prompt));
  context.set("bos_token", jinja::Value(bos_text_));
  context.set("eos_token", jinja::Value(eos_text_));
  Result<std::string> rendered = jinja_->render(context);
  if (!rendered.ok()) return invalid_argument_error("chat template: " + rendered.status().message());
  return rendered;
}

Result<std::string> ChatTemplate::render_llama3(std::span<const ChatMessage> messages,
                                                bool add_generation_prompt) const {
  std::string out = bos_text_;
  for (const ChatMessage& message : messages) {
    out += "<|start_header_id|>";
    out += message.role;
    out += "<|end_header_id|>\n\n";
    out += strip_python_whitespace(message.content);
    out += "<|eot_id|>";
  }
  if (add_generation_prompt) out += "<|start_header_id|>assistant<|end_header_id|>\n\n";
  return out;
}

Result<std::string> ChatTemplate::render_chatml(std::span<const ChatMessage> messages,
                                                bool add_generation_prompt) const {
  std::string out;
  if (!default_system_.empty() && messages[0].role != "system") {
    out += "<|im_start|>system\n" + default_system_ + "<|im_end|>\n";
  }
  for (const ChatMessage& message : messages) {
    out += "<|im_start|>";
    out += message.role;
    out += "\n";
    out += message.content;
    out += "<|im_end|>\n";
  }
  if (add_generation_prompt) out += "<|im_start|>assistant\n";
  return out;
}

Result<std::string> ChatTemplate::render_llama2(std::span<const ChatMessage> messages) const {
  const bool has_system = messages[0].role == "system";
  const std::span<const ChatMessage> loop = messages.subspan(has_system ? 1 : 0);
  HEARTH_RETURN_IF_ERROR(check_alternation(loop, has_system ? 1 : 0, name()));
  std::string out;
  for (size_t idx = 0; idx < loop.size(); ++idx) {
    std::string content = loop[idx].content;
    if (idx == 0 && has_system) {
      content = "<<SYS>>\n" + messages[0].content + "\n<</SYS>>\n\n" + content;
    }
    if (loop[idx].role == "user") {
      out += bos_text_ + "[INST] ";
      out += strip_python_whitespace(content);
      out += " [/INST]";
    } else {
      out += " ";
      out += strip_python_whitespace(content);
      out += " " + eos_text_;
    }
  }
  return out;
}

Result<std::string> ChatTemplate::render_mistral(std::span<const ChatMessage> messages) const {
  const bool has_system = messages[0].role == "system";
  const std::span<const ChatMessage> loop = messages.subspan(has_system ? 1 : 0);
  HEARTH_RETURN_IF_ERROR(check_alternation(loop, has_system ? 1 : 0, name()));
  std::string out = bos_text_;
  for (size_t idx = 0; idx < loop.size(); ++idx) {
    if (loop[idx].role == "user") {
      out += "[INST] ";
      if (idx == 0 && has_system) out += messages[0].content + "\n\n";
      out += loop[idx].content;
      out += " [/INST]";
    } else {
      out += loop[idx].content;
      out += eos_text_;
    }
  }
  return out;
}

}  // namespace hearth::text
