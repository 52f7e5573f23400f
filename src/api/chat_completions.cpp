#include "api/chat_completions.h"

#include <algorithm>
#include <optional>

#include "api/json_fields.h"
#include "api/json_output.h"
#include "api/sequence_builder.h"
#include "api/sse.h"
#include "api/tool_calls.h"

namespace hearth::api {
namespace {

nlohmann::json byte_values(const std::string& bytes) {
  nlohmann::json out = nlohmann::json::array();
  for (const char byte : bytes) out.push_back(static_cast<int>(static_cast<unsigned char>(byte)));
  return out;
}

nlohmann::json render_alternative(const infer::TokenLogprob& token) {
  return {{"token", token.bytes}, {"logprob", json_logprob(token.logprob)}, {"bytes", byte_values(token.bytes)}};
}

}  // namespace

nlohmann::json render_chat_token_logprob(const TokenOutput& token) {
  nlohmann::json entry = render_alternative(token.token);
  nlohmann::json top = nlohmann::json::array();
  for (const infer::TokenLogprob& alternative : token.top_logprobs) top.push_back(render_alternative(alternative));
  entry["top_logprobs"] = std::move(top);
  return entry;
}

ApiResult<infer::SequenceRequest> build_chat_sequence(const ChatRequest& request, const node::ServedModel& served,
                                                      uint64_t random_seed, PromptTruncation* truncation) {
  if (!served.chat_template) {
    return ApiError{400, "invalid_request_error",
                    "The model '" + served.id + "' has no chat template hearth can render (" +
                        served.chat_template_error + "); use /v1/completions with it",
                    "model", "chat_template_unavailable"};
  }
  const text::ChatTemplate& chat_template = *served.chat_template;
  ApiResult<int64_t> n_ctx = request_context(request.generation, served.n_ctx());
  if (!n_ctx.ok()) return n_ctx.error();
  // Tools reach a template that takes them as `tools`; for one that does not,
  // hearth writes them (and the history's calls and results) into the messages.
  text::ChatTemplateOptions options = request.template_options;
  if (!request.tools_active()) options.tools = text::jinja::Value();
  const bool has_tool_history = std::any_of(request.messages.begin(), request.messages.end(), [](const auto& message) {
    return message.role == "tool" || !message.tool_calls.empty();
  });
  const bool rewrite = tools_in_prompt(chat_template) && (request.tools_active() || has_tool_history);
  if (rewrite) options.tools = text::jinja::Value();
  const auto prepare = [&](const std::vector<text::ChatMessage>& messages) {
    return rewrite ? messages_with_tools_in_prompt(messages, request.tools_active() ? request.tools
                                                                                    : std::vector<ChatTool>{})
                   : messages;
  };
  // The template writes the bos text itself; the special tokens in it are parsed.
  auto encode = [&](const std::vector<text::ChatMessage>& messages) -> ApiResult<std::vector<int32_t>> {
    auto rendered = chat_template.render(prepare(messages), /*add_generation_prompt=*/true, options);
    if (!rendered.ok()) return api_error(rendered.status(), "messages");
    return served.tokenizer->encode(*rendered, /*add_special=*/false, /*parse_special=*/true);
  };
  ApiResult<std::vector<int32_t>> encoded = encode(request.messages);
  if (!encoded.ok()) return encoded.error();
  std::vector<int32_t> prompt = std::move(encoded).value();
  const int64_t limit = prompt_token_limit(request.generation, *n_ctx);
  if (request.generation.truncate && static_cast<int64_t>(prompt.size()) > limit) {
    // Drop the oldest messages after the leading system ones, never the last.
    size_t first_droppable = 0;
    while (first_droppable < request.messages.size() && request.messages[first_droppable].role == "system") {
      ++first_droppable;
    }
    const int64_t n_before = static_cast<int64_t>(prompt.size());
    std::vector<text::ChatMessage> kept = request.messages;
    // A template that insists on alternating roles may refuse a cut
    // conversation; cutting one more message usually restores the order.
    std::optional<ApiError> refused;
    while ((refused || static_cast<int64_t>(prompt.size()) > limit) && first_droppable + 1 < kept.size()) {
      kept.erase(kept.begin() + static_cast<std::ptrdiff_t>(first_droppable));
      ++truncation->n_messages_removed;
      ApiResult<std::vector<int32_t>> shorter = encode(kept);
      refused.reset();
      if (shorter.ok()) {
        prompt = std::move(shorter).value();
      } else {
        refused = shorter.error();
      }
    }
    if (refused) return *refused;
    truncation->n_tokens_removed = n_before - static_cast<int64_t>(prompt.size());
  }
  ApiResult<infer::SequenceRequest> sequence =
      build_sequence_request(std::move(prompt), request.generation, request.logprobs ? request.top_logprobs : -1,
                             *n_ctx, random_seed, "messages");
  if (!sequence.ok()) return sequence;
  if (request.tool_call_forced()) {
    auto grammar = std::make_shared<infer::JsonGrammar>(request.tool_grammar);
    set_forced_call_grammar(grammar.get(), tool_format_of(chat_template), request.tools,
                            request.tool_choice == ToolChoice::kFunction ? request.tool_choice_name : "");
    if (Status valid = grammar->validate(); !valid.ok()) return api_error(valid, "tools");
    sequence->grammar = std::move(grammar);
  } else {
    sequence->grammar = request.response_grammar;
  }
  return sequence;
}

std::string ChatRenderer::chunk(nlohmann::json delta, nlohmann::json logprobs, nlohmann::json finish_reason) const {
  nlohmann::json body = {{"id", meta_.id},
                         {"object", "chat.completion.chunk"},
                         {"created", meta_.created_s},
                         {"model", meta_.model},
                         {"choices", nlohmann::json::array({{{"index", 0},
                                                             {"delta", std::move(delta)},
                                                             {"logprobs", std::move(logprobs)},
                                                             {"finish_reason", std::move(finish_reason)}}})}};
  return sse_data(dump_json(body));
}

std::string ChatRenderer::stream_start() { return chunk({{"role", "assistant"}, {"content", ""}}, nullptr, nullptr); }

nlohmann::json ChatRenderer::render_tool_calls(const std::vector<ParsedToolCall>& calls, bool delta) const {
  nlohmann::json out = nlohmann::json::array();
  const size_t n_calls = tools_->parallel ? calls.size() : std::min<size_t>(calls.size(), 1);
  for (size_t call_idx = 0; call_idx < n_calls; ++call_idx) {
    nlohmann::json call = {{"id", tool_call_id(tools_->format, meta_.id, call_idx)},
                           {"type", "function"},
                           {"function", {{"name", calls[call_idx].name}, {"arguments", calls[call_idx].arguments}}}};
    if (delta) call["index"] = call_idx;
    out.push_back(std::move(call));
  }
  return out;
}

std::string ChatRenderer::stream_tokens(std::span<const TokenOutput> tokens) {
  std::string out;
  if (tool_stream_) {
    for (const TokenOutput& token : tokens) {
      const std::string text = tool_stream_->push(token.text);
      if (!text.empty()) out += chunk({{"content", text}}, nullptr, nullptr);
    }
    return out;
  }
  for (const TokenOutput& token : tokens) {
    if (token.text.empty() && !logprobs_) continue;  // held back: nothing to send yet
    nlohmann::json logprobs = nullptr;
    if (logprobs_) {
      logprobs = {{"content", nlohmann::json::array({render_chat_token_logprob(token)})}, {"refusal", nullptr}};
    }
    out += chunk({{"content", token.text}}, std::move(logprobs), nullptr);
  }
  return out;
}

std::string ChatRenderer::stream_finish(const FinishOutput& finish) {
  std::string out;
  nlohmann::json finish_reason = openai_finish_reason(finish.reason);
  if (tool_stream_) {
    std::string text = tool_stream_->push(finish.text);
    ToolCallParse parse = tool_stream_->finish();
    text += parse.content;
    if (!text.empty()) out += chunk({{"content", text}}, nullptr, nullptr);
    if (!parse.calls.empty()) {
      out += chunk({{"tool_calls", render_tool_calls(parse.calls, /*delta=*/true)}}, nullptr, nullptr);
      finish_reason = "tool_calls";
    }
  } else if (!finish.text.empty()) {
    out += chunk({{"content", finish.text}}, nullptr, nullptr);
  }
  out += chunk(nlohmann::json::object(), nullptr, finish_reason);
  if (meta_.include_usage) {
    nlohmann::json body = {
        {"id", meta_.id},       {"object", "chat.completion.chunk"},  {"created", meta_.created_s},
        {"model", meta_.model}, {"choices", nlohmann::json::array()}, {"usage", render_usage(finish)}};
    out += sse_data(dump_json(body));
  }
  out += sse_done();
  return out;
}

void ChatRenderer::collect(std::span<const TokenOutput> tokens) {
  for (const TokenOutput& token : tokens) {
    content_ += token.text;
    if (logprobs_) logprob_entries_.push_back(render_chat_token_logprob(token));
  }
}

std::string ChatRenderer::response_body(const FinishOutput& finish) {
  content_ += finish.text;
  nlohmann::json logprobs = nullptr;
  if (logprobs_) logprobs = {{"content", std::move(logprob_entries_)}, {"refusal", nullptr}};
  nlohmann::json message = {{"role", "assistant"}, {"content", content_}, {"refusal", nullptr}};
  nlohmann::json finish_reason = openai_finish_reason(finish.reason);
  if (tools_) {
    ToolCallParse parse = parse_tool_calls(tools_->format, content_, tools_->forced);
    if (!parse.calls.empty()) {
      message["content"] = parse.content.empty() ? nlohmann::json(nullptr) : nlohmann::json(parse.content);
      message["tool_calls"] = render_tool_calls(parse.calls, /*delta=*/false);
      finish_reason = "tool_calls";
    }
  }
  nlohmann::json body = {
      {"id", meta_.id},
      {"object", "chat.completion"},
      {"created", meta_.created_s},
      {"model", meta_.model},
      {"choices",
       nlohmann::json::array({{{"index", 0},
                               {"message", std::move(message)},
                               {"logprobs", std::move(logprobs)},
                               {"finish_reason", std::move(finish_reason)}}})},
      {"usage", render_usage(finish)}};
  return dump_json(body);
}

}  // namespace hearth::api
