// POST /v1/rerank in the shape Cohere, Jina and llama.cpp's server share:
// the request (`model`, `query`, `documents` as strings or {"text": ...}
// objects, `top_n`, `return_documents`), the inputs a cross-encoder scores,
// and the response (results sorted by relevance_score, highest first).
//
//   {"model": "bge-reranker-base", "query": "what is hearth?", "documents": ["a", "b"], "top_n": 1}
//   -> {"object": "list", "model": ..., "results": [{"index": 1, "relevance_score": 3.2}],
//       "usage": {"prompt_tokens": n, "total_tokens": n}}
//
// Each (query, document) pair is encoded as the model's pair input ([CLS]
// query [SEP] document [SEP] with segments 0 and 1 for BERT) and cut to the
// model's context from the end of the longer text (as Cohere truncates long
// documents); relevance_score is the classifier's logit, as llama.cpp
// returns it (apply a sigmoid for a probability).
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

// Documents per request (Cohere's recommended maximum).
inline constexpr size_t kMaxRerankDocuments = 1000;

struct RerankRequest {
  std::string model;
  std::string query;
  std::vector<std::string> documents;
  std::optional<int64_t> top_n;  // absent: every document
  bool return_documents = false;
};

ApiResult<RerankRequest> parse_rerank_request(std::string_view body);

// One input per document; a 400 naming `query` when it is empty and n_ctx
// leaves no room for any of the document.
ApiResult<infer::RerankRequest> build_rerank_inputs(const RerankRequest& request, const text::Tokenizer& tokenizer,
                                                    int64_t n_ctx, int64_t n_token_types);

// The results sorted by score (ties: the earlier document first), the first
// top_n of them, each with its document when return_documents.
std::string render_rerank_response(const RerankRequest& request, const infer::RerankResult& result);

}  // namespace hearth::api
