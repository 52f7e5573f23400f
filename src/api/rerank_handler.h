// POST /v1/rerank on a connection, as embeddings_handler.h does for
// /v1/embeddings: parse (api/rerank.h), lease the model, encode each
// (query, document) pair, score them on the model's engine and write the
// ranked results. The model must serve the rerank capability (a 400
// model_not_supported otherwise, before anything loads).
#pragma once

#include "api/http_connection.h"

namespace hearth::api {

asio::awaitable<void> handle_rerank(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                    RequestState& state);

}  // namespace hearth::api
