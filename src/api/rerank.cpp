#include "api/rerank.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <numeric>

#include "api/json_fields.h"
#include "api/request_parsing.h"

namespace hearth::api {
namespace {

using json = nlohmann::json;

void read_documents(FieldReader& fields, RerankRequest* request) {
  const json* documents = fields.get("documents");
  if (fields.failed()) return;
  if (documents == nullptr) {
    fields.fail("documents", "'documents' is required");
    return;
  }
  if (!documents->is_array() || documents->empty()) {
    fields.fail("documents", "'documents' must be a non-empty array of strings or of {\"text\": string} objects");
    return;
  }
  if (documents->size() > kMaxRerankDocuments) {
    fields.fail("documents", "'documents' holds " + std::to_string(documents->size()) + " items; at most " +
                                 std::to_string(kMaxRerankDocuments) + " are allowed");
    return;
  }
  for (size_t idx = 0; idx < documents->size(); ++idx) {
    const json& item = (*documents)[idx];
    const std::string param = "documents[" + std::to_string(idx) + "]";
    if (item.is_string()) {
      request->documents.push_back(item.get<std::string>());
      continue;
    }
    if (item.is_object()) {
      FieldReader document(item, param + ".", param);
      std::string text;
      document.string("text", &text, /*required=*/true);
      document.reject_unknown();
      if (document.failed()) {
        fields.fail(document.error());
        return;
      }
      request->documents.push_back(std::move(text));
      continue;
    }
    fields.fail(param, quote(param) + " must be a string or a {\"text\": string} object, got " + json_kind(item));
    return;
  }
}

}  // namespace

ApiResult<RerankRequest> parse_rerank_request(std::string_view body) {
  ApiResult<json> parsed = parse_json_body(body);
  if (!parsed.ok()) return parsed.error();
  FieldReader fields(*parsed, "", "The request body");
  RerankRequest request;
  fields.string("model", &request.model, /*required=*/true);
  fields.string("query", &request.query, /*required=*/true);
  read_documents(fields, &request);
  fields.integer("top_n", &request.top_n, 1, static_cast<int64_t>(kMaxRerankDocuments));
  fields.boolean("return_documents", &request.return_documents);
  fields.ignore("user");
  fields.reject_unknown();
  if (fields.failed()) return fields.error();
  return request;
}

ApiResult<infer::RerankRequest> build_rerank_inputs(const RerankRequest& request, const text::Tokenizer& tokenizer,
                                                    int64_t n_ctx, int64_t n_token_types) {
  infer::RerankRequest inputs;
  for (size_t idx = 0; idx < request.documents.size(); ++idx) {
    text::Tokenizer::Pair pair = tokenizer.encode_pair(request.query, request.documents[idx], n_ctx);
    if (static_cast<int64_t>(pair.ids.size()) > n_ctx) {
      return invalid_field_error("query", "the model's context of " + std::to_string(n_ctx) +
                                              " tokens leaves no room for a query and a document");
    }
    // A model with one token type (XLM-R) reads segment 0 everywhere.
    if (n_token_types < 2) std::fill(pair.segments.begin(), pair.segments.end(), 0);
    inputs.inputs.push_back(std::move(pair.ids));
    inputs.segments.push_back(std::move(pair.segments));
  }
  return inputs;
}

std::string render_rerank_response(const RerankRequest& request, const infer::RerankResult& result) {
  std::vector<size_t> order(result.scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return result.scores[a] > result.scores[b]; });
  const size_t n_results = request.top_n ? std::min(order.size(), static_cast<size_t>(*request.top_n)) : order.size();
  json results = json::array();
  for (size_t rank = 0; rank < n_results; ++rank) {
    const size_t idx = order[rank];
    json item = {{"index", idx}, {"relevance_score", result.scores[idx]}};
    if (request.return_documents && idx < request.documents.size()) {
      item["document"] = {{"text", request.documents[idx]}};
    }
    results.push_back(std::move(item));
  }
  json body = {{"object", "list"},
               {"model", request.model},
               {"results", std::move(results)},
               {"usage", {{"prompt_tokens", result.n_prompt_tokens}, {"total_tokens", result.n_prompt_tokens}}}};
  return body.dump();
}

}  // namespace hearth::api
