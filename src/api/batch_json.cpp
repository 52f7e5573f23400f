#include "api/batch_json.h"

#include "api/json_output.h"

namespace hearth::api {
namespace {

using json = nlohmann::json;

void put_time(json& object, const char* key, const std::optional<int64_t>& value) {
  if (value) object[key] = *value;
}

// Text the store keeps as JSON (metadata, errors); null when it does not parse.
json stored_json(const std::string& text) {
  json parsed = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return parsed.is_discarded() ? json(nullptr) : parsed;
}

}  // namespace

json file_object(const jobs::StoredFile& file) {
  return {{"id", file.id},         {"object", "file"},          {"bytes", file.bytes},
          {"created_at", file.created_at_s}, {"filename", file.filename}, {"purpose", file.purpose},
          {"status", "processed"}};
}

std::string render_file_list(const std::vector<jobs::StoredFile>& files, bool has_more) {
  json data = json::array();
  for (const jobs::StoredFile& file : files) data.push_back(file_object(file));
  json body = {{"object", "list"}, {"data", std::move(data)}, {"has_more", has_more}};
  // Required strings in OpenAI's schema, even for an empty page.
  body["first_id"] = files.empty() ? std::string() : files.front().id;
  body["last_id"] = files.empty() ? std::string() : files.back().id;
  return dump_json(body);
}

std::string render_file_deleted(const std::string& id) {
  return dump_json(json{{"id", id}, {"object", "file"}, {"deleted", true}});
}

json batch_object(const jobs::BatchRecord& batch) {
  json object = {{"id", batch.id},
                 {"object", "batch"},
                 {"endpoint", batch.endpoint},
                 {"model", batch.model},
                 {"input_file_id", batch.input_file_id},
                 {"completion_window", batch.completion_window},
                 {"status", std::string(jobs::batch_status_name(batch.status))},
                 {"created_at", batch.created_at_s}};
  const json errors = stored_json(batch.errors_json);
  if (errors.is_array() && !errors.empty()) object["errors"] = {{"object", "list"}, {"data", errors}};
  if (batch.output_file_id) object["output_file_id"] = *batch.output_file_id;
  if (batch.error_file_id) object["error_file_id"] = *batch.error_file_id;
  put_time(object, "in_progress_at", batch.in_progress_at_s);
  put_time(object, "expires_at", batch.expires_at_s);
  put_time(object, "finalizing_at", batch.finalizing_at_s);
  put_time(object, "completed_at", batch.completed_at_s);
  put_time(object, "failed_at", batch.failed_at_s);
  put_time(object, "expired_at", batch.expired_at_s);
  put_time(object, "cancelling_at", batch.cancelling_at_s);
  put_time(object, "cancelled_at", batch.cancelled_at_s);
  object["request_counts"] = {
      {"total", batch.n_total}, {"completed", batch.n_completed}, {"failed", batch.n_failed}};
  object["usage"] = {{"input_tokens", batch.tokens.input_tokens},
                     {"input_tokens_details", {{"cached_tokens", batch.tokens.cached_tokens}}},
                     {"output_tokens", batch.tokens.output_tokens},
                     {"output_tokens_details", {{"reasoning_tokens", 0}}},
                     {"total_tokens", batch.tokens.input_tokens + batch.tokens.output_tokens}};
  object["metadata"] = stored_json(batch.metadata_json);
  return object;
}

std::string render_batch_list(const std::vector<jobs::BatchRecord>& batches, bool has_more) {
  json data = json::array();
  for (const jobs::BatchRecord& batch : batches) data.push_back(batch_object(batch));
  json body = {{"object", "list"}, {"data", std::move(data)}, {"has_more", has_more}};
  if (!batches.empty()) {
    body["first_id"] = batches.front().id;
    body["last_id"] = batches.back().id;
  }
  return dump_json(body);
}

}  // namespace hearth::api
