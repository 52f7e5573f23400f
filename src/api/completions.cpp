#include "api/completions.h"

#include "api/json_fields.h"
#include "api/json_output.h"
#include "api/sequence_builder.h"
#include "api/sse.h"

namespace hearth::api {

ApiResult<infer::SequenceRequest> build_completion_sequence(const CompletionRequest& request,
                                                            const node::ServedModel& served, uint64_t random_seed,
                                                            PromptTruncation* truncation) {
  ApiResult<int64_t> n_ctx = request_context(request.generation, served.n_ctx());
  if (!n_ctx.ok()) return n_ctx.error();
  std::vector<int32_t> prompt;
  if (request.prompt_is_tokens) {
    if (Status valid = served.tokenizer->validate_ids(request.prompt_tokens); !valid.ok()) {
      return invalid_field_error("prompt",
                                 "'prompt' holds a token id outside the model's vocabulary: " + valid.message());
    }
    prompt = request.prompt_tokens;
  } else {
    prompt = served.tokenizer->encode(request.prompt_text, /*add_special=*/true, /*parse_special=*/false);
  }
  if (request.generation.truncate) {
    truncate_prompt_tokens(&prompt, prompt_token_limit(request.generation, *n_ctx),
                           served.tokenizer->add_bos() ? served.tokenizer->bos_id() : -1, truncation);
  }
  return build_sequence_request(std::move(prompt), request.generation, request.logprobs, *n_ctx, random_seed,
                                "prompt");
}

nlohmann::json CompletionRenderer::render_logprobs(std::span<const TokenOutput> tokens) {
  nlohmann::json texts = nlohmann::json::array();
  nlohmann::json logprobs = nlohmann::json::array();
  nlohmann::json tops = nlohmann::json::array();
  nlohmann::json offsets = nlohmann::json::array();
  for (const TokenOutput& token : tokens) {
    texts.push_back(token.token.bytes);
    logprobs.push_back(json_logprob(token.token.logprob));
    nlohmann::json top = nlohmann::json::object();
    for (const infer::TokenLogprob& alternative : token.top_logprobs) {
      // Two alternatives with the same text keep the likelier (listed first).
      if (!top.contains(alternative.bytes)) top[alternative.bytes] = json_logprob(alternative.logprob);
    }
    tops.push_back(std::move(top));
    offsets.push_back(text_offset_);
    text_offset_ += static_cast<int64_t>(token.token.bytes.size());
  }
  return {{"tokens", std::move(texts)},
          {"token_logprobs", std::move(logprobs)},
          {"top_logprobs", std::move(tops)},
          {"text_offset", std::move(offsets)}};
}

nlohmann::json CompletionRenderer::body(const std::string& text, nlohmann::json logprobs,
                                        nlohmann::json finish_reason) const {
  return {{"id", meta_.id},
          {"object", "text_completion"},
          {"created", meta_.created_s},
          {"model", meta_.model},
          {"choices", nlohmann::json::array({{{"text", text},
                                              {"index", 0},
                                              {"logprobs", std::move(logprobs)},
                                              {"finish_reason", std::move(finish_reason)}}})}};
}

std::string CompletionRenderer::stream_start() { return {}; }

std::string CompletionRenderer::stream_tokens(std::span<const TokenOutput> tokens) {
  std::string out;
  for (const TokenOutput& token : tokens) {
    if (token.text.empty() && !logprobs_) continue;  // held back: nothing to send yet
    nlohmann::json logprobs = logprobs_ ? render_logprobs({&token, 1}) : nlohmann::json(nullptr);
    out += sse_data(dump_json(body(token.text, std::move(logprobs), nullptr)));
  }
  return out;
}

std::string CompletionRenderer::stream_finish(const FinishOutput& finish) {
  std::string out;
  nlohmann::json logprobs = logprobs_ ? render_logprobs({}) : nlohmann::json(nullptr);
  out += sse_data(dump_json(body(finish.text, std::move(logprobs), openai_finish_reason(finish.reason))));
  if (meta_.include_usage) {
    nlohmann::json usage = body("", nullptr, nullptr);
    usage["choices"] = nlohmann::json::array();
    usage["usage"] = render_usage(finish);
    out += sse_data(dump_json(usage));
  }
  out += sse_done();
  return out;
}

void CompletionRenderer::collect(std::span<const TokenOutput> tokens) {
  for (const TokenOutput& token : tokens) {
    text_ += token.text;
    if (logprobs_) collected_.push_back(token);
  }
}

std::string CompletionRenderer::response_body(const FinishOutput& finish) {
  text_ += finish.text;
  nlohmann::json logprobs = logprobs_ ? render_logprobs(collected_) : nlohmann::json(nullptr);
  nlohmann::json out = body(text_, std::move(logprobs), openai_finish_reason(finish.reason));
  out["usage"] = render_usage(finish);
  return dump_json(out);
}

}  // namespace hearth::api
