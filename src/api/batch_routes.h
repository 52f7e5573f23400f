// OpenAI's Batches API on hearth.db's batch queue (jobs/batch_store.h):
//   POST /v1/batches                {input_file_id, endpoint, completion_window: "24h", metadata}
//   GET  /v1/batches[?after=&limit=]   GET /v1/batches/{id}   POST /v1/batches/{id}/cancel
// ref: openai-openapi.json paths /batches (CreateBatchRequest, Batch, ListBatchesResponse)
//
// Endpoints: /v1/chat/completions, /v1/completions, /v1/embeddings (the
// others OpenAI names are a 400 saying so). The input file (purpose batch) is
// read when the batch is created (api/batch_input.h): a malformed file makes
// a batch that is `failed` at once with its errors, as OpenAI's validation
// does. `metadata` is OpenAI's (at most 16 string pairs); its key
// `hearth_window` ("22:00-06:00") is the job's own window (jobs/batch_window.h).
// A batch records the caller's key and data class; its lines run on this
// node only (api/batch_line_executor.h). A key sees, lists and cancels only
// its own batches (another key's is a 404).
//
// Thread-safety: I/O thread; the stores are thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "api/batch_services.h"
#include "api/file_routes.h"
#include "api/routes.h"

namespace hearth::api {

ApiResult<RouteReply> batches_route(BatchServices& services, const RouteMatch& match, std::string_view target,
                                    std::string_view body, const BatchCaller& caller);

}  // namespace hearth::api
