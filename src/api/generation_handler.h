// POST /v1/chat/completions and /v1/completions on a connection: prepare the
// job (api/generation_job.h), submit it to the model's engine with a
// SequenceChannel, then wait on the I/O thread for its events and write them:
// SSE chunks as they come (stream) or one JSON body at the end.
//
// A client that goes away is noticed by a failed write or by a read on the
// idle socket that ends (EOF or reset) while the request waits, and the
// sequence is cancelled at once so the engine frees its KV blocks. (A client
// that half-closes its socket after sending the request looks the same and
// is cancelled too; HTTP/1.1 clients do not do that.)
#pragma once

#include "api/generation_job.h"
#include "api/http_connection.h"

namespace hearth::api {

asio::awaitable<void> handle_generation(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                        GenerationKind kind, RequestState& state);

}  // namespace hearth::api
