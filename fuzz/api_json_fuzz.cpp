// libFuzzer target: every reader that turns a JSON body into hearth's structs,
// or translates one API's JSON into another's. The first input byte picks the
// reader (modulo kReaderCount), the rest is the body:
//   0  parse_chat_request          POST /v1/chat/completions
//   1  parse_completion_request    POST /v1/completions
//   2  parse_messages_request      POST /v1/messages (Anthropic's API)
//   3  anthropic_request           an OpenAI chat body sent on to an Anthropic provider
//   4  openai_completion_from_anthropic and openai_error_from_anthropic: an upstream answer
//   5  AnthropicStream::feed       an upstream event stream, fed in two pieces
//   6  parse_tool_calls            a model's output read back as tool calls, whole and streamed
//   7  translate_ollama_*          Ollama's /api/chat, /api/generate, /api/embed bodies restated as
//                                  OpenAI's, then parsed as those are (errors renamed back)
// A chat request with a response_format schema or a forced tool call also runs
// its compiled grammar over the body's own bytes (infer/grammar_matcher.h).
// Any crash, sanitizer report, leak or escaped exception is a bug; a 400 is the
// expected outcome for most inputs.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "api/anthropic_adapter.h"
#include "api/ollama_requests.h"
#include "api/request_parsing.h"
#include "api/tool_calls.h"
#include "infer/grammar_matcher.h"

namespace {

namespace api = hearth::api;

constexpr uint8_t kReaderCount = 8;

// Feeds `text` to the matcher of `grammar` byte by byte, as far as it goes.
size_t run_grammar(const hearth::infer::JsonGrammar& grammar, std::string_view text) {
  if (!grammar.validate().ok()) return 0;
  hearth::infer::GrammarMatcher matcher(grammar);
  size_t n_accepted = 0;
  for (const char byte : text) {
    if (!matcher.accept(static_cast<uint8_t>(byte))) break;
    ++n_accepted;
  }
  return n_accepted + matcher.can_finish() + matcher.finished();
}

size_t touch_chat(const api::ChatRequest& request, std::string_view body) {
  size_t checksum = request.model.size() + request.messages.size();
  for (const auto& message : request.messages) checksum += message.role.size() + message.content.size();
  if (request.response_grammar != nullptr) checksum += run_grammar(*request.response_grammar, body);
  if (request.tool_call_forced()) {
    hearth::infer::JsonGrammar grammar = request.tool_grammar;
    api::set_forced_call_grammar(&grammar, api::ToolFormat::kHermes, request.tools,
                                 request.tool_choice == api::ToolChoice::kFunction ? request.tool_choice_name : "");
    checksum += run_grammar(grammar, body);
  }
  return checksum;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t reader = data[0] % kReaderCount;
  const std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  volatile size_t sink = 0;
  switch (reader) {
    case 0: {
      auto request = api::parse_chat_request(body);
      sink = sink + (request.ok() ? touch_chat(*request, body) : request.error().message.size());
      break;
    }
    case 1: {
      auto request = api::parse_completion_request(body);
      sink = sink + (request.ok() ? request->model.size() : request.error().message.size());
      break;
    }
    case 2: {
      auto request = api::parse_messages_request(body);
      sink = sink + (request.ok() ? touch_chat(*request, body) : request.error().message.size());
      break;
    }
    case 3: {
      // As the gateway does: the client's body is parsed, then translated.
      auto json = api::parse_json_body(body);
      if (!json.ok()) break;
      auto translated = api::anthropic_request(*json, "claude-test");
      sink = sink + (translated.ok() ? translated->dump().size() : translated.error().message.size());
      break;
    }
    case 4: {
      api::AnthropicUsage usage;
      auto completion = api::openai_completion_from_anthropic(body, "chatcmpl-1", 1700000000, &usage);
      sink = sink + (completion.ok() ? completion->size() : completion.status().message().size());
      sink = sink + api::openai_error_from_anthropic(body, 400).size();
      break;
    }
    case 5: {
      api::AnthropicStream stream("chatcmpl-1", 1700000000, "claude-test", true);
      const size_t split = body.size() / 2;
      sink = sink + stream.feed(body.substr(0, split)).size();
      sink = sink + stream.feed(body.substr(split)).size() + stream.finished() + stream.usage().output_tokens;
      break;
    }
    case 6: {
      for (const api::ToolFormat format : {api::ToolFormat::kHermes, api::ToolFormat::kLlama3Json, api::ToolFormat::kMistral}) {
        const api::ToolCallParse parse = api::parse_tool_calls(format, body);
        sink = sink + parse.content.size() + parse.calls.size();
        api::ToolCallStream stream(format, /*forced=*/false);
        const size_t split = body.size() / 3;
        sink = sink + stream.push(body.substr(0, split)).size() + stream.push(body.substr(split)).size();
        sink = sink + stream.finish().calls.size();
      }
      break;
    }
    case 7: {
      for (auto translate : {api::translate_ollama_chat, api::translate_ollama_generate}) {
        auto translated = translate(body);
        if (!translated.ok()) {
          sink = sink + translated.error().message.size();
          continue;
        }
        if (translated->raw) {
          auto request = api::parse_completion_request(translated->openai_body);
          sink = sink + (request.ok() ? request->model.size() : api::ollama_field_error(request.error()).param.size());
        } else {
          auto request = api::parse_chat_request(translated->openai_body);
          sink = sink + (request.ok() ? touch_chat(*request, body) : api::ollama_field_error(request.error()).param.size());
        }
      }
      for (const bool legacy : {false, true}) {
        auto embed = api::translate_ollama_embed(body, legacy);
        sink = sink + (embed.ok() ? embed->openai_body.size() : embed.error().message.size());
      }
      break;
    }
  }
  (void)sink;
  return 0;
}
