#include "api/batch_routes.h"

#include "api/batch_json.h"
#include "api/json_fields.h"
#include "api/json_output.h"
#include "api/query_params.h"
#include "api/request_parsing.h"
#include "jobs/batch_window.h"

namespace hearth::api {
namespace {

using json = nlohmann::json;

constexpr size_t kMaxMetadataPairs = 16;
constexpr size_t kMaxMetadataKeyBytes = 64;
constexpr size_t kMaxMetadataValueBytes = 512;
constexpr std::string_view kWindowKey = "hearth_window";

ApiError store_error(const Status& status, std::string param = {}) {
  if (status.code() == ErrorCode::kNotFound) return ApiError{404, "invalid_request_error", status.message(), param, ""};
  return api_error(status, std::move(param));
}

ApiResult<RouteReply> create(BatchServices& services, std::string_view body, const BatchCaller& caller) {
  ApiResult<json> parsed = parse_json_body(body);
  if (!parsed.ok()) return parsed.error();
  FieldReader fields(*parsed, "", "The request body");
  std::string input_file_id;
  std::string endpoint;
  std::string completion_window;
  fields.string("input_file_id", &input_file_id, true);
  fields.string("endpoint", &endpoint, true);
  fields.string("completion_window", &completion_window, true);
  const json* metadata = fields.get("metadata");
  if (fields.has("output_expires_after")) {
    fields.fail("output_expires_after", "output_expires_after is not supported yet: output files are kept until deleted");
  }
  fields.reject_unknown();
  if (fields.failed()) return fields.error();
  if (!is_batch_endpoint(endpoint)) {
    return invalid_field_error("endpoint", "endpoint " + quote(endpoint.substr(0, 64)) +
                                               " is not supported here (supported: /v1/chat/completions, "
                                               "/v1/completions, /v1/embeddings)");
  }
  if (completion_window != "24h") return invalid_field_error("completion_window", "completion_window must be \"24h\"");
  jobs::NewBatch batch;
  batch.endpoint = endpoint;
  batch.input_file_id = input_file_id;
  batch.key_name = caller.key_name;
  batch.data_class = caller.data_class;
  if (metadata != nullptr) {
    if (!metadata->is_object() || metadata->size() > kMaxMetadataPairs) {
      return invalid_field_error("metadata", "metadata must be an object of at most 16 string values");
    }
    for (const auto& [key, value] : metadata->items()) {
      if (key.size() > kMaxMetadataKeyBytes || !value.is_string() ||
          value.get_ref<const std::string&>().size() > kMaxMetadataValueBytes) {
        return invalid_field_error("metadata." + key.substr(0, 64),
                                   "metadata keys must be at most 64 bytes and values strings of at most 512 bytes");
      }
    }
    if (metadata->contains(kWindowKey)) {
      const std::string& window = (*metadata)[std::string(kWindowKey)].get_ref<const std::string&>();
      Result<jobs::TimeWindow> parsed_window = jobs::parse_time_window(window);
      if (!parsed_window.ok()) {
        return invalid_field_error("metadata.hearth_window", parsed_window.status().message());
      }
      batch.job_window = window;
    }
    batch.metadata_json = dump_json(*metadata);
  }
  if (!jobs::is_safe_object_id(input_file_id, "file-")) {
    return ApiError{404, "invalid_request_error", "No such File object: " + input_file_id.substr(0, 100),
                    "input_file_id", ""};
  }
  Result<jobs::StoredFile> file = services.files->get(input_file_id, caller.key_name);
  if (!file.ok()) return store_error(file.status(), "input_file_id");
  if (file->purpose != "batch") {
    return invalid_field_error("input_file_id", "The file " + file->id + " has purpose " + quote(file->purpose) +
                                                    ", not 'batch'");
  }
  Result<std::string> content = services.files->read(file->id, caller.key_name, services.max_read_bytes);
  if (!content.ok()) return store_error(content.status(), "input_file_id");
  BatchInput input = read_batch_input(*content, endpoint, services.input);
  batch.model = input.model;
  batch.errors_json = input.errors.empty() ? "[]" : render_batch_errors(input.errors);
  batch.lines = std::move(input.lines);
  Result<jobs::BatchRecord> created = services.batches->create(std::move(batch));
  if (!created.ok()) return store_error(created.status());
  if (services.runner != nullptr) services.runner->notify();
  return RouteReply{dump_json(batch_object(*created))};
}

}  // namespace

ApiResult<RouteReply> batches_route(BatchServices& services, const RouteMatch& match, std::string_view target,
                                    std::string_view body, const BatchCaller& caller) {
  if (match.route == Route::kCreateBatch) return create(services, body, caller);
  if (match.route == Route::kListBatches) {
    ApiResult<QueryParams> query = read_query(target, {"after", "limit"});
    if (!query.ok()) return query.error();
    ApiResult<int64_t> limit = query_integer(*query, "limit", 20, 1, 100);
    if (!limit.ok()) return limit.error();
    const std::string* after = query->find("after");
    bool has_more = false;
    Result<std::vector<jobs::BatchRecord>> batches =
        services.batches->list(caller.key_name, after == nullptr ? std::string_view() : std::string_view(*after),
                               *limit, &has_more);
    if (!batches.ok()) return store_error(batches.status());
    return RouteReply{render_batch_list(*batches, has_more)};
  }
  if (!jobs::is_safe_object_id(match.object_id, "batch_")) {
    return ApiError{404, "invalid_request_error", "No such Batch object: " + match.object_id.substr(0, 100), "id", ""};
  }
  Result<jobs::BatchRecord> batch = services.batches->get(match.object_id);
  if (batch.ok() && batch->key_name != caller.key_name) {
    batch = not_found_error("No such Batch object: " + match.object_id);  // another key's
  }
  if (!batch.ok()) return store_error(batch.status(), "id");
  if (match.route == Route::kCancelBatch) {
    Result<jobs::BatchRecord> cancelled = services.batches->request_cancel(match.object_id);
    if (!cancelled.ok()) return store_error(cancelled.status(), "id");
    if (services.runner != nullptr) services.runner->notify();
    return RouteReply{dump_json(batch_object(*cancelled))};
  }
  return RouteReply{dump_json(batch_object(*batch))};  // Route::kGetBatch
}

}  // namespace hearth::api
