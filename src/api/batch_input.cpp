#include "api/batch_input.h"

#include <nlohmann/json.hpp>
#include <set>

#include "api/json_output.h"

namespace hearth::api {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxCustomIdBytes = 512;

}  // namespace

bool is_batch_endpoint(std::string_view endpoint) {
  return endpoint == "/v1/chat/completions" || endpoint == "/v1/completions" || endpoint == "/v1/embeddings";
}

BatchInput read_batch_input(std::string_view jsonl, std::string_view endpoint, const BatchInputLimits& limits) {
  BatchInput input;
  std::set<std::string, std::less<>> custom_ids;
  int64_t line_no = 0;
  const auto fail = [&](std::string code, std::string message, std::string param) {
    input.errors.push_back(BatchInputError{std::move(code), std::move(message), std::move(param), line_no});
  };
  size_t pos = 0;
  while (pos < jsonl.size() && input.errors.size() < limits.max_errors) {
    size_t eol = jsonl.find('\n', pos);
    if (eol == std::string_view::npos) eol = jsonl.size();
    std::string_view text = jsonl.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    if (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (text.find_first_not_of(" \t") == std::string_view::npos) continue;
    if (static_cast<int64_t>(input.lines.size()) >= limits.max_lines) {
      fail("too_many_requests", "The input file has more than " + std::to_string(limits.max_lines) + " requests",
           "");
      break;
    }
    json line = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (line.is_discarded() || !line.is_object()) {
      fail("invalid_json_line", "This line is not a JSON object", "");
      continue;
    }
    bool line_ok = true;
    const auto field_error = [&](std::string code, std::string message, std::string param) {
      fail(std::move(code), std::move(message), std::move(param));
      line_ok = false;
    };
    for (const auto& [key, value] : line.items()) {
      if (key != "custom_id" && key != "method" && key != "url" && key != "body") {
        field_error("invalid_request", "Unrecognized key '" + key.substr(0, 64) + "' in the request line", key);
        break;
      }
    }
    if (!line_ok) continue;
    const json* custom_id = line.contains("custom_id") ? &line["custom_id"] : nullptr;
    if (custom_id == nullptr || !custom_id->is_string() || custom_id->get_ref<const std::string&>().empty() ||
        custom_id->get_ref<const std::string&>().size() > kMaxCustomIdBytes) {
      field_error("missing_custom_id", "custom_id must be a string of 1 to 512 bytes", "custom_id");
      continue;
    }
    const std::string& id = custom_id->get_ref<const std::string&>();
    if (custom_ids.contains(id)) {
      field_error("duplicate_custom_id", "The custom_id '" + id.substr(0, 64) + "' is used by an earlier line",
                  "custom_id");
      continue;
    }
    if (!line.contains("method") || line["method"] != "POST") {
      field_error("invalid_method", "method must be \"POST\"", "method");
      continue;
    }
    if (!line.contains("url") || !line["url"].is_string() || line["url"].get_ref<const std::string&>() != endpoint) {
      field_error("mismatched_endpoint", "url must be the batch's endpoint \"" + std::string(endpoint) + "\"", "url");
      continue;
    }
    if (!line.contains("body") || !line["body"].is_object()) {
      field_error("invalid_body", "body must be a JSON object", "body");
      continue;
    }
    const json& body = line["body"];
    if (!body.contains("model") || !body["model"].is_string() || body["model"].get_ref<const std::string&>().empty()) {
      field_error("missing_model", "body.model must be a model id", "body.model");
      continue;
    }
    const std::string& model = body["model"].get_ref<const std::string&>();
    if (input.model.empty()) input.model = model;
    if (model != input.model) {
      field_error("mismatched_model",
                  "Every line of a batch must use one model: this one names '" + model.substr(0, 64) +
                      "', an earlier one '" + input.model.substr(0, 64) + "'",
                  "body.model");
      continue;
    }
    custom_ids.insert(id);
    input.lines.push_back(jobs::BatchLineInput{id, dump_json(body)});
  }
  if (input.errors.empty() && input.lines.empty()) {
    line_no = 0;
    input.errors.push_back(BatchInputError{"empty_file", "The input file has no requests", "", std::nullopt});
  }
  return input;
}

std::string render_batch_errors(const std::vector<BatchInputError>& errors) {
  json data = json::array();
  for (const BatchInputError& error : errors) {
    json item = {{"code", error.code}, {"message", error.message}};
    item["param"] = error.param.empty() ? json(nullptr) : json(error.param);
    item["line"] = error.line ? json(*error.line) : json(nullptr);
    data.push_back(std::move(item));
  }
  return dump_json(data);
}

}  // namespace hearth::api
