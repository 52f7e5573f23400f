#include "api/file_routes.h"

#include "api/batch_json.h"
#include "api/json_fields.h"
#include "api/json_output.h"
#include "api/query_params.h"

namespace hearth::api {
namespace {

ApiError store_error(const Status& status, std::string param = {}) {
  if (status.code() == ErrorCode::kNotFound) return ApiError{404, "invalid_request_error", status.message(), param, ""};
  return api_error(status, std::move(param));
}

ApiResult<RouteReply> upload(BatchServices& services, std::string_view content_type, std::string_view body,
                             const std::string& owner) {
  Result<std::string> boundary = net::multipart_boundary(content_type);
  if (!boundary.ok()) return invalid_field_error("", boundary.status().message());
  Result<std::vector<net::MultipartPart>> parts = net::parse_multipart(body, *boundary, services.multipart);
  if (!parts.ok()) return invalid_field_error("", parts.status().message());
  const net::MultipartPart* file = nullptr;
  const net::MultipartPart* purpose = nullptr;
  for (const net::MultipartPart& part : *parts) {
    const net::MultipartPart** slot = part.name == "file" ? &file : part.name == "purpose" ? &purpose : nullptr;
    if (slot == nullptr) {
      return invalid_field_error(part.name, "Unrecognized form field " + quote(part.name.substr(0, 64)) +
                                                " (known: file, purpose)");
    }
    if (*slot != nullptr) return invalid_field_error(part.name, "The form field " + quote(part.name) + " is sent twice");
    *slot = &part;
  }
  if (file == nullptr) return invalid_field_error("file", "The form has no 'file' field");
  if (purpose == nullptr) return invalid_field_error("purpose", "The form has no 'purpose' field");
  const std::string_view purpose_name = purpose->data;
  if (purpose_name != "batch" && purpose_name != "user_data") {
    return invalid_field_error("purpose", "purpose " + quote(purpose_name.substr(0, 64)) +
                                              " is not supported here (supported: batch, user_data)");
  }
  if (!file->filename || file->filename->empty()) {
    return invalid_field_error("file", "The 'file' field must carry a filename");
  }
  Result<jobs::StoredFile> stored = services.files->create(owner, purpose_name, *file->filename, file->data);
  if (!stored.ok()) {
    return store_error(stored.status(), stored.status().code() == ErrorCode::kInvalidArgument ? "file" : "");
  }
  return RouteReply{dump_json(file_object(*stored))};
}

ApiResult<RouteReply> list(BatchServices& services, std::string_view target, const std::string& owner) {
  ApiResult<QueryParams> query = read_query(target, {"purpose", "limit", "after", "order"});
  if (!query.ok()) return query.error();
  jobs::FileListQuery list_query;
  list_query.owner = owner;
  if (const std::string* purpose = query->find("purpose")) list_query.purpose = *purpose;
  ApiResult<int64_t> limit = query_integer(*query, "limit", 10000, 1, 10000);
  if (!limit.ok()) return limit.error();
  list_query.limit = *limit;
  if (const std::string* after = query->find("after")) list_query.after = *after;
  if (const std::string* order = query->find("order")) {
    if (*order != "asc" && *order != "desc") return invalid_field_error("order", "order must be 'asc' or 'desc'");
    list_query.ascending = *order == "asc";
  }
  bool has_more = false;
  Result<std::vector<jobs::StoredFile>> files = services.files->list(list_query, &has_more);
  if (!files.ok()) return store_error(files.status());
  return RouteReply{render_file_list(*files, has_more)};
}

}  // namespace

ApiResult<RouteReply> files_route(BatchServices& services, const RouteMatch& match, std::string_view target,
                                  std::string_view content_type, std::string_view body, const BatchCaller& caller) {
  switch (match.route) {
    case Route::kUploadFile:
      return upload(services, content_type, body, caller.key_name);
    case Route::kListFiles:
      return list(services, target, caller.key_name);
    default:
      break;
  }
  if (!jobs::is_safe_object_id(match.object_id, "file-")) {
    return ApiError{404, "invalid_request_error", "No such File object: " + match.object_id.substr(0, 100), "id", ""};
  }
  if (match.route == Route::kDeleteFile) {
    Status removed = services.files->remove(match.object_id, caller.key_name);
    if (!removed.ok()) return store_error(removed, "id");
    return RouteReply{render_file_deleted(match.object_id)};
  }
  if (match.route == Route::kFileContent) {
    Result<std::string> content = services.files->read(match.object_id, caller.key_name, services.max_read_bytes);
    if (!content.ok()) return store_error(content.status(), "id");
    return RouteReply{std::move(content).value(), "application/octet-stream"};
  }
  Result<jobs::StoredFile> file = services.files->get(match.object_id, caller.key_name);  // Route::kGetFile
  if (!file.ok()) return store_error(file.status(), "id");
  return RouteReply{dump_json(file_object(*file))};
}

}  // namespace hearth::api
