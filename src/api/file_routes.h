// OpenAI's Files API on hearth.db's file store (jobs/file_store.h):
//   POST   /v1/files               multipart/form-data: `file` (the bytes, with a filename) and `purpose`
//   GET    /v1/files[?purpose=&limit=&after=&order=]
//   GET    /v1/files/{id}          GET /v1/files/{id}/content       DELETE /v1/files/{id}
// ref: openai-openapi.json paths /files (CreateFileRequest, OpenAIFile, ListFilesResponse, DeleteFileResponse)
//
// Purposes accepted for upload: batch (what hearth reads) and user_data;
// the others OpenAI names are a 400 saying which are supported. A batch
// file must be UTF-8 JSONL (checked when a batch names it). The body limit
// of an upload is BatchServices::max_upload_bytes (413 beyond).
//
// Thread-safety: I/O thread; the stores are thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "api/batch_services.h"
#include "api/openai_errors.h"
#include "api/routes.h"

namespace hearth::api {

// A response to write: status 200, its body and content type.
struct RouteReply {
  std::string body;
  std::string content_type = "application/json";
};

// `content_type` is the request's Content-Type header. A key sees only its own files.
ApiResult<RouteReply> files_route(BatchServices& services, const RouteMatch& match, std::string_view target,
                                  std::string_view content_type, std::string_view body, const BatchCaller& caller);

}  // namespace hearth::api
