// POST /v1/embeddings as OpenAI defines it: the request (input as a string,
// an array of strings, an array of token ids or an array of those;
// encoding_format float or base64; dimensions), the token ids each input
// becomes, and the response body.
// ref: openai-openapi.json CreateEmbeddingRequest / CreateEmbeddingResponse
//
// Text is encoded with the model's tokenizer as a document (bos/eos where the
// model adds them, special tokens not parsed). An input longer than the
// model's context is a 400 naming it, unless the request sets hearth's
// `truncate: true` (its first n_ctx tokens are embedded). `dimensions` keeps
// the first N values and normalizes them again (Matryoshka models are trained
// so that prefix is meaningful); base64 carries the float32 values
// little-endian, as OpenAI's clients decode them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/openai_errors.h"
#include "infer/engine.h"
#include "text/tokenizer.h"

namespace hearth::api {

// OpenAI's limit on inputs per request.
inline constexpr size_t kMaxEmbeddingInputs = 2048;

struct EmbeddingsRequest {
  std::string model;
  // Exactly one of the two holds the inputs.
  std::vector<std::string> texts;
  std::vector<std::vector<int32_t>> token_inputs;
  bool base64 = false;
  std::optional<int64_t> dimensions;
  bool truncate = false;  // hearth's: cut inputs longer than the context instead of a 400
};

ApiResult<EmbeddingsRequest> parse_embeddings_request(std::string_view body);

// The token ids of every input; a 400 naming input[i] for one that is empty,
// longer than n_ctx (without truncate) or holds an id outside the vocabulary.
ApiResult<infer::EmbedRequest> build_embed_request(const EmbeddingsRequest& request, const text::Tokenizer& tokenizer,
                                                   int64_t n_ctx);

// {"object":"list","data":[{"object":"embedding","index":i,"embedding":[...] or "base64"}],
//  "model":...,"usage":{"prompt_tokens":n,"total_tokens":n}}
// `dimensions` beyond the model's is a 400 naming it.
ApiResult<std::string> render_embeddings_response(const EmbeddingsRequest& request, const infer::EmbedResult& result);

}  // namespace hearth::api
