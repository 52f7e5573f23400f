// The generation fields chat and text completion requests share, as parsed
// from the request (api/request_parsing.h) before the model is known: the
// prompt length, hence the default max_tokens, is decided later.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "infer/sampler.h"

namespace hearth::api {

struct GenerationFields {
  bool stream = false;
  bool include_usage = false;         // stream_options.include_usage
  std::optional<int64_t> max_tokens;  // absent: the rest of the context
  std::vector<std::string> stop;      // at most 4, each non-empty
  // temperature, top_p, penalties and hearth's top_k, min_p, repeat_penalty;
  // fields the request leaves out keep SamplingParams' defaults (llama.cpp's).
  infer::SamplingParams sampling;
  std::optional<uint64_t> seed;  // absent: a fresh random seed per request
  // hearth extensions. keep_alive (Ollama's): how long the model stays loaded
  // after this request; negative: forever; absent: the model's setting.
  std::optional<int64_t> keep_alive_ms;
  // truncate: a prompt beyond the context is cut (the oldest chat messages,
  // or a text prompt's oldest tokens) instead of refused.
  bool truncate = false;
  // Ollama's options.num_ctx: the request's prompt and answer must fit this
  // many tokens; more than the model is served with is a 400.
  std::optional<int64_t> n_ctx_limit;
};

}  // namespace hearth::api
