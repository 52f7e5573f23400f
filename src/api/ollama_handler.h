// Ollama's API on `hearth serve` (nodes and gateways), one entry for its
// routes (api/routes.h):
//
//   POST /api/chat, /api/generate   the one generation path (api/generation_handler.h), NDJSON or whole;
//                                   on a gateway routed like /v1 (to hearth nodes: Ollama's API is not
//                                   sent to cloud providers)
//   POST /api/embed, /api/embeddings the embeddings handler, Ollama's shapes
//   GET  /api/tags, /api/ps         the models served, and those resident (api/ollama_models.h)
//   POST /api/show                  one model's facts
//   POST /api/pull                  into the models directory's store (store/model_pull.h), progress as
//                                   NDJSON; the pull runs on a thread of its own
//   DELETE /api/delete              a model's name (and its blob when no other name links it)
//   GET  /api/version
//
// Model names are resolved by api/ollama_model_names.h's rule against the
// models this server can serve (a gateway's aliases and nodes' models too),
// then the body goes on with hearth's id. Errors are {"error": "..."} with
// the status the OpenAI routes would give.
#pragma once

#include "api/http_connection.h"
#include "api/routes.h"

namespace hearth::api {

// Precondition: is_ollama_route(route), its method checked.
asio::awaitable<void> handle_ollama(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                    Route route, RequestState& state);

}  // namespace hearth::api
