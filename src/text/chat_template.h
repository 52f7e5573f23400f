// ChatTemplate: renders a conversation into the prompt text a model family
// was trained on. A model's own tokenizer.chat_template (Jinja) runs in
// hearth's sandboxed interpreter (text/jinja/); the four native families
// below are the fallback for files without a template, or whose template
// does not parse (fallback_reason() says why):
//
//   llama3   Meta Llama 3 Instruct: <|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\n{content|trim}<|eot_id|>...
//   chatml   <|im_start|>user\n{content}<|im_end|>\n... (Qwen2/2.5, Hermes, SmolLM); a static
//            default system prompt in the template (Qwen's) is recognized and applied
//   llama2   Llama 2 Chat: <s>[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST] {assistant} </s>
//   mistral  Mistral Instruct v0.2: <s>[INST] {user} [/INST]{assistant}</s>
//
// Contract with the tokenizer: render() includes the bos text wherever the
// family's template does (llama3, llama2, mistral), so the caller encodes the
// prompt with add_special=false and parse_special=true.
//
// Roles: "system", "user", "assistant". llama2 and mistral require user and
// assistant to alternate starting with user, with at most one system message,
// first. The published Mistral template rejects system messages; hearth
// prepends the system text to the first user message, separated by "\n\n"
// (what Mistral's later templates do), rather than refuse.
//
// Immutable once built; render() is const and safe from any number of threads.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "text/jinja/template.h"

namespace hearth::model {
class GgufFile;
}

namespace hearth::text {

// A call an assistant message made (OpenAI's tool_calls[i]).
struct ChatToolCall {
  std::string id;
  std::string name;
  // The arguments as templates read them: a dict when the caller's JSON text
  // was an object (templates write `arguments | tojson`), else that text as
  // a string.
  jinja::Value arguments;
};

struct ChatMessage {
  ChatMessage() = default;
  ChatMessage(std::string role_in, std::string content_in) : role(std::move(role_in)), content(std::move(content_in)) {}

  std::string role;
  std::string content;
  std::vector<ChatToolCall> tool_calls;  // assistant messages; empty: none
  std::string tool_call_id;              // role "tool": the call it answers ("" when not given)
  std::string name;                      // role "tool": the function's name ("" when not given)
};

// What a Jinja template gets beside the messages. Native families ignore
// both (the caller writes tools into the messages for them).
struct ChatTemplateOptions {
  // `tools`: a list of {"type": "function", "function": {name, description,
  // parameters}}; undefined when the request has none.
  jinja::Value tools;
  // Extra variables (chat_template_kwargs: enable_thinking, ...). Names the
  // renderer sets itself (messages, tools, add_generation_prompt, bos_token,
  // eos_token) are the caller's to refuse.
  std::vector<std::pair<std::string, jinja::Value>> variables;
};

class ChatTemplate {
 public:
  // From tokenizer.chat_template, run by from_jinja(); a template that does
  // not parse is recognized with from_source() instead (fallback_reason()
  // keeps the parse error). bos and eos texts come from the vocabulary.
  // Without a template, the vocabulary decides: <|im_start|> -> chatml,
  // <|start_header_id|> -> llama3, [INST] -> mistral; otherwise kNotFound.
  static Result<ChatTemplate> from_gguf(const model::GgufFile& file);
  // Runs `jinja` in the interpreter with bos_token and eos_token set; the
  // parse error (with its position) when it does not parse.
  static Result<ChatTemplate> from_jinja(std::string_view jinja, std::string_view bos_text, std::string_view eos_text,
                                         const jinja::Limits& limits = {});
  // "llama3", "chatml", "llama2" or "mistral", with the family's usual bos/eos
  // texts; kInvalidArgument naming anything else.
  static Result<ChatTemplate> from_name(std::string_view name);
  // Recognizes a Jinja template by its markers: "<|start_header_id|>" llama3,
  // "<|im_start|>" chatml, "[INST]" with "<<SYS>>" llama2, "[INST]" alone
  // mistral. kUnimplemented quoting the template's first 60 characters otherwise.
  // Empty bos/eos texts mean the family's defaults.
  static Result<ChatTemplate> from_source(std::string_view jinja, std::string_view bos_text = {},
                                          std::string_view eos_text = {});

  // "jinja" for a template run by the interpreter, else the native family.
  std::string_view name() const;
  // Why a model's own template is not used ("" when it is, or when there was none).
  const std::string& fallback_reason() const { return fallback_reason_; }
  const std::string& bos_text() const { return bos_text_; }
  const std::string& eos_text() const { return eos_text_; }
  // chatml only: the system prompt used when the conversation has none ("" if none).
  const std::string& default_system() const { return default_system_; }
  // The template's Jinja source: the model's own, or the native family's
  // published one (what `hearth synth` writes to tokenizer.chat_template, and
  // what from_source() recognizes as this family).
  std::string_view jinja_source() const;

  // kInvalidArgument naming the problem for an empty conversation, an unknown
  // role, or an order the family's template rejects. add_generation_prompt
  // appends the assistant header (llama3, chatml); llama2 and mistral prompts
  // already end where the assistant speaks. A Jinja template gets `messages`
  // (role, content), add_generation_prompt, bos_token and eos_token; its
  // errors (raise_exception, type errors, a limit) come back as
  // kInvalidArgument starting "chat template: " with the line and column.
  // Tool calls and tool messages need a Jinja template that takes them
  // (accepts_tools()); a native family refuses a "tool" role.
  Result<std::string> render(std::span<const ChatMessage> messages, bool add_generation_prompt,
                             const ChatTemplateOptions& options = {}) const;

  // A Jinja template that reads `tools` (so it writes the tool list and
  // renders tool calls and results itself).
  bool accepts_tools() const;

 private:
  enum class Family { kLlama3, kChatml, kLlama2, kMistral, kJinja };
  ChatTemplate(Family family, std::string_view bos_text, std::string_view eos_text);

  Result<std::string> render_llama3(std::span<const ChatMessage> messages, bool add_generation_prompt) const;
  Result<std::string> render_chatml(std::span<const ChatMessage> messages, bool add_generation_prompt) const;
  Result<std::string> render_llama2(std::span<const ChatMessage> messages) const;
  Result<std::string> render_mistral(std::span<const ChatMessage> messages) const;

  Result<std::string> render_jinja(std::span<const ChatMessage> messages, bool add_generation_prompt,
                                   const ChatTemplateOptions& options) const;

  Family family_;
  // kJinja only: shared because templates are immutable and ChatTemplate is copied.
  std::shared_ptr<const jinja::Template> jinja_;
  std::string jinja_source_;
  std::string fallback_reason_;
  std::string bos_text_;
  std::string eos_text_;
  std::string default_system_;
};

// Python's str.strip() (Jinja's trim filter): removes leading and trailing
// characters for which str.isspace() is true, Unicode ones included.
std::string_view strip_python_whitespace(std::string_view text);

}  // namespace hearth::text
