// Tool calls in a model's own words: which format a chat template speaks,
// the model's output parsed back into calls (whole, or as a stream that
// holds back what may be a call), and, for templates that take no tools,
// the generic Hermes-style prompt hearth writes itself.
//
// Formats (picked from the model's chat template, tool_format_of()):
//   kHermes     <tool_call>\n{"name": "f", "arguments": {...}}\n</tool_call>, one block per
//               call (Qwen 2.5/3, Hermes; and every template that does not take `tools`:
//               Gemma 3, Llama 3.x files whose template has no tools, DeepSeek V3,
//               the native families; hearth then describes the tools in the system message)
//   kLlama3Json {"name": "f", "parameters": {...}} as the whole answer, optionally after
//               <|python_tag|>, several separated by ";" (Llama 3.1+ templates with tools)
//   kMistral    [TOOL_CALLS][{"name": "f", "arguments": {...}}, ...] (Mistral, Nemo)
//
// A call the model wrote but that does not parse (broken JSON, no name,
// arguments that are not an object) is not a call: the whole output is
// returned as text (finish_reason "stop"), and `malformed` says so.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/chat_request.h"
#include "infer/json_grammar.h"
#include "text/chat_template.h"

namespace hearth::api {

enum class ToolFormat { kHermes, kLlama3Json, kMistral };

// The format `chat_template` speaks; kHermes for templates that take no tools
// (tools_in_prompt() is then true).
ToolFormat tool_format_of(const text::ChatTemplate& chat_template);
// True when hearth must write the tools and the calls into the messages itself.
bool tools_in_prompt(const text::ChatTemplate& chat_template);

struct ParsedToolCall {
  std::string name;
  std::string arguments;  // compact JSON object text
};

struct ToolCallParse {
  std::string content;  // the text that is not a call
  std::vector<ParsedToolCall> calls;
  bool malformed = false;  // the output started a call that did not parse (content is then all of it)
};

// `forced`: the output was constrained to be calls (tool_choice required or
// a named function), written without the format's leading marker.
ToolCallParse parse_tool_calls(ToolFormat format, std::string_view output, bool forced = false);

// Streaming: text that cannot be part of a call goes out as it comes; from
// the first byte that may start a call everything is held back and parsed
// at the end.
class ToolCallStream {
 public:
  ToolCallStream(ToolFormat format, bool forced) : format_(format), forced_(forced) {}
  // The content that may be sent now ("" while held back).
  std::string push(std::string_view text);
  // The held-back text parsed: its content part and calls.
  ToolCallParse finish();

 private:
  ToolFormat format_;
  bool forced_;
  bool holding_ = false;  // a call has (or may have) started
  std::string sent_;      // content released so far (Llama 3 JSON: a call starts only an answer)
  std::string pending_;   // held back
};

// The grammar that makes the output one call of one of `tools` (all, or the
// one named `only`) in `format`, without the leading marker: the parameters'
// nodes must already be in `grammar` (ChatTool::parameters_node).
void set_forced_call_grammar(infer::JsonGrammar* grammar, ToolFormat format, const std::vector<ChatTool>& tools,
                             const std::string& only);

// Templates without tools: the messages rewritten for the generic format:
// the tool list and the call format are added to the system message (one is
// added first if there is none), assistant calls become <tool_call> blocks
// in their content, and tool results become user messages holding
// <tool_response> blocks (consecutive ones merged). With no tools, only the
// calls and results of the history are rewritten.
std::vector<text::ChatMessage> messages_with_tools_in_prompt(const std::vector<text::ChatMessage>& messages,
                                                             const std::vector<ChatTool>& tools);

// How the answer of a request with tools is read back.
struct ToolOutput {
  ToolFormat format = ToolFormat::kHermes;
  bool forced = false;   // tool_choice required or a function: the output is a call
  bool parallel = true;  // parallel_tool_calls false: only the first call is kept
};

// A tool call id: "call_" and 24 letters and digits, or, for kMistral (whose
// template insists), 9 letters and digits. Derived from the response id and
// the call's index, so unique within and across responses.
std::string tool_call_id(ToolFormat format, std::string_view response_id, size_t call_index);
// Anthropic's shape: "toolu_" and 24 letters and digits (kMistral: the 9 its template needs).
std::string tool_use_id(ToolFormat format, std::string_view response_id, size_t call_index);

}  // namespace hearth::api
