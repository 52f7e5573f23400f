// POST /v1/completions (OpenAI's legacy text completions): the prompt (text
// encoded with the model's bos, special tokens not parsed, as `hearth run`
// does; or token ids as sent) and the response, whole or streamed, both
// "text_completion" objects. Streamed chunks carry finish_reason null until
// the last one, as OpenAI sends them.
//
// logprobs N: choices[].logprobs = {tokens, token_logprobs, top_logprobs (N
// alternatives per token, {text: logprob}), text_offset}; text_offset counts
// bytes from the start of the completion text (hearth has no echo).
// ref: openai-openapi.json CreateCompletionResponse
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <vector>

#include "api/completion_request.h"
#include "api/openai_errors.h"
#include "api/response_renderer.h"
#include "api/sequence_builder.h"
#include "infer/scheduler.h"
#include "node/served_model.h"

namespace hearth::api {

// 400 naming "prompt" for token ids outside the vocabulary; see also
// build_sequence_request(). With request.generation.truncate, a prompt beyond
// the context loses its oldest tokens (recorded in `truncation`).
ApiResult<infer::SequenceRequest> build_completion_sequence(const CompletionRequest& request,
                                                            const node::ServedModel& served, uint64_t random_seed,
                                                            PromptTruncation* truncation);

class CompletionRenderer : public ResponseRenderer {
 public:
  CompletionRenderer(ResponseMeta meta, bool logprobs) : meta_(std::move(meta)), logprobs_(logprobs) {}

  std::string stream_start() override;
  std::string stream_tokens(std::span<const TokenOutput> tokens) override;
  std::string stream_finish(const FinishOutput& finish) override;
  void collect(std::span<const TokenOutput> tokens) override;
  std::string response_body(const FinishOutput& finish) override;

 private:
  // {tokens, token_logprobs, top_logprobs, text_offset} for `tokens`, advancing the offset.
  nlohmann::json render_logprobs(std::span<const TokenOutput> tokens);
  nlohmann::json body(const std::string& text, nlohmann::json logprobs, nlohmann::json finish_reason) const;

  ResponseMeta meta_;
  bool logprobs_;
  int64_t text_offset_ = 0;             // bytes of token text so far
  std::string text_;                    // collected text (whole responses)
  std::vector<TokenOutput> collected_;  // collected tokens, for logprobs
};

}  // namespace hearth::api
