#include "api/embeddings.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "api/json_fields.h"
#include "api/request_parsing.h"
#include "base/base64.h"

namespace hearth::api {
namespace {

using json = nlohmann::json;

// One input given as token ids: integers in int32 range (the vocabulary is checked later).
bool read_token_input(const json& value, const std::string& param, std::vector<int32_t>* out, FieldReader& fields) {
  out->reserve(value.size());
  for (const json& id : value) {
    if (!id.is_number_integer() || id.get<int64_t>() < 0 || id.get<int64_t>() > std::numeric_limits<int32_t>::max()) {
      fields.fail(param, quote(param) + " must hold token ids (non-negative integers), got " + json_kind(id));
      return false;
    }
    out->push_back(static_cast<int32_t>(id.get<int64_t>()));
  }
  return true;
}

void read_input(FieldReader& fields, EmbeddingsRequest* request) {
  const json* input = fields.get("input");
  if (fields.failed()) return;
  if (input == nullptr) {
    fields.fail("input", "'input' is required");
    return;
  }
  if (input->is_string()) {
    request->texts.push_back(input->get<std::string>());
    return;
  }
  if (!input->is_array() || input->empty()) {
    fields.fail("input", "'input' must be a string, or a non-empty array of strings or of token ids");
    return;
  }
  if (input->size() > kMaxEmbeddingInputs) {
    fields.fail("input", "'input' holds " + std::to_string(input->size()) + " items; at most " +
                             std::to_string(kMaxEmbeddingInputs) + " are allowed");
    return;
  }
  const json& first = (*input)[0];
  if (first.is_number()) {  // one input as token ids
    std::vector<int32_t> ids;
    if (read_token_input(*input, "input", &ids, fields)) request->token_inputs.push_back(std::move(ids));
    return;
  }
  for (size_t idx = 0; idx < input->size(); ++idx) {
    const json& item = (*input)[idx];
    const std::string param = "input[" + std::to_string(idx) + "]";
    if (first.is_string() && item.is_string()) {
      request->texts.push_back(item.get<std::string>());
    } else if (first.is_array() && item.is_array()) {
      std::vector<int32_t> ids;
      if (!read_token_input(item, param, &ids, fields)) return;
      request->token_inputs.push_back(std::move(ids));
    } else {
      fields.fail(param,
                  "every item of 'input' must be of one kind (strings or arrays of token ids), got " + json_kind(item));
      return;
    }
  }
}

// L2-normalized first `n_dims` values of `vector`.
std::vector<float> truncated(const std::vector<float>& vector, size_t n_dims) {
  std::vector<float> out(vector.begin(), vector.begin() + static_cast<std::ptrdiff_t>(n_dims));
  double norm_sq = 0.0;
  for (float value : out) norm_sq += static_cast<double>(value) * value;
  if (norm_sq > 0.0) {
    const double scale = 1.0 / std::sqrt(norm_sq);
    for (float& value : out) value = static_cast<float>(value * scale);
  }
  return out;
}

std::string float32_base64(const std::vector<float>& values) {
  static_assert(std::numeric_limits<float>::is_iec559 && sizeof(float) == 4);
  std::string bytes(values.size() * sizeof(float), '\0');
  // Little-endian hosts only (x86-64, arm64), as every target hearth builds for.
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return base64_encode(bytes);
}

}  // namespace

ApiResult<EmbeddingsRequest> parse_embeddings_request(std::string_view body) {
  ApiResult<json> parsed = parse_json_body(body);
  if (!parsed.ok()) return parsed.error();
  FieldReader fields(*parsed, "", "The request body");
  EmbeddingsRequest request;
  fields.string("model", &request.model, /*required=*/true);
  read_input(fields, &request);
  std::string encoding_format = "float";
  fields.string("encoding_format", &encoding_format);
  if (!fields.failed() && encoding_format != "float" && encoding_format != "base64") {
    fields.fail("encoding_format", "'encoding_format' must be 'float' or 'base64', got " + quote(encoding_format));
  }
  request.base64 = encoding_format == "base64";
  fields.integer("dimensions", &request.dimensions, 1, 1 << 20);
  fields.boolean("truncate", &request.truncate);
  fields.ignore("user");
  fields.reject_unknown();
  if (fields.failed()) return fields.error();
  return request;
}

ApiResult<infer::EmbedRequest> build_embed_request(const EmbeddingsRequest& request, const text::Tokenizer& tokenizer,
                                                   int64_t n_ctx) {
  infer::EmbedRequest embed;
  embed.inputs = request.token_inputs;
  for (const std::string& text : request.texts) {
    embed.inputs.push_back(tokenizer.encode(text, /*add_special=*/true, /*parse_special=*/false));
  }
  const bool single = embed.inputs.size() == 1;
  for (size_t idx = 0; idx < embed.inputs.size(); ++idx) {
    std::vector<int32_t>& ids = embed.inputs[idx];
    const std::string param = single ? "input" : "input[" + std::to_string(idx) + "]";
    if (ids.empty()) return invalid_field_error(param, quote(param) + " is empty; there is nothing to embed");
    if (static_cast<int64_t>(ids.size()) > n_ctx) {
      if (!request.truncate) {
        return api_error(
            out_of_range_error(quote(param) + " is " + std::to_string(ids.size()) +
                               " tokens long; the model embeds at most " + std::to_string(n_ctx) +
                               " (send 'truncate': true to embed its first " + std::to_string(n_ctx) + ")"),
            param, "context_length_exceeded");
      }
      ids.resize(static_cast<size_t>(n_ctx));
    }
    if (Status valid = tokenizer.validate_ids(ids); !valid.ok()) return api_error(valid, param);
  }
  return embed;
}

ApiResult<std::string> render_embeddings_response(const EmbeddingsRequest& request, const infer::EmbedResult& result) {
  json data = json::array();
  for (size_t idx = 0; idx < result.vectors.size(); ++idx) {
    const std::vector<float>& vector = result.vectors[idx];
    size_t n_dims = vector.size();
    if (request.dimensions) {
      if (*request.dimensions > static_cast<int64_t>(vector.size())) {
        return invalid_field_error("dimensions", "'dimensions' is " + std::to_string(*request.dimensions) +
                                                     "; the model's vectors have " + std::to_string(vector.size()));
      }
      n_dims = static_cast<size_t>(*request.dimensions);
    }
    const std::vector<float> values = n_dims == vector.size() ? vector : truncated(vector, n_dims);
    json embedding = request.base64 ? json(float32_base64(values)) : json(values);
    data.push_back({{"object", "embedding"}, {"index", idx}, {"embedding", std::move(embedding)}});
  }
  json body = {{"object", "list"},
               {"data", std::move(data)},
               {"model", request.model},
               {"usage", {{"prompt_tokens", result.n_prompt_tokens}, {"total_tokens", result.n_prompt_tokens}}}};
  return body.dump();
}

}  // namespace hearth::api
