// ResponseRenderer: turns one sequence's output into the response body of an
// OpenAI endpoint, streamed (SSE chunks) or whole (one JSON object). Chat and
// text completions each implement it (api/chat_completions.h,
// api/completions.h); the connection drives it without knowing which.
//
// Streamed:  stream_start(), stream_tokens(...) per batch, stream_finish(finish)
// Whole:     collect(...) per batch, response_body(finish)
// finish.reason is kStop or kLength here: a cancelled or failed sequence is
// the connection's to report as an error.
//
// Thread-safety: none; one renderer per request, used on its connection's thread.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "api/sequence_channel.h"

namespace hearth::api {

// What every response and chunk of one request repeats.
struct ResponseMeta {
  std::string id;  // "chatcmpl-..." or "cmpl-..."
  int64_t created_s = 0;
  std::string model;
  bool include_usage = false;     // stream_options.include_usage: a last chunk with usage
  std::vector<std::string> stop;  // the request's stop strings (Anthropic names the one that ended the text)
};

class ResponseRenderer {
 public:
  virtual ~ResponseRenderer() = default;

  virtual std::string stream_start() = 0;
  virtual std::string stream_tokens(std::span<const TokenOutput> tokens) = 0;
  // The last chunks, the usage chunk when asked, then "data: [DONE]".
  virtual std::string stream_finish(const FinishOutput& finish) = 0;

  virtual void collect(std::span<const TokenOutput> tokens) = 0;
  virtual std::string response_body(const FinishOutput& finish) = 0;
};

// "stop" or "length" (kCancelled, which never reaches a renderer, renders "stop").
const char* openai_finish_reason(infer::FinishReason reason);

// {prompt_tokens, completion_tokens, total_tokens, prompt_tokens_details: {cached_tokens}}
nlohmann::json render_usage(const FinishOutput& finish);

// A log-probability as JSON: OpenAI's -9999.0 for one that is not finite
// (JSON has no -Infinity).
double json_logprob(float logprob);

}  // namespace hearth::api
