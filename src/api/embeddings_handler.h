// POST /v1/embeddings on a connection: parse (api/embeddings.h), lease the
// model (loading it within the budget), tokenize, submit the inputs to the
// model's engine and wait on the I/O thread for the vectors, then write the
// whole response. The model must serve the embed capability (a 400
// model_not_supported otherwise, before anything loads). A client that goes
// away meanwhile does not stop the request: its inputs are computed and
// dropped (embedding requests are short; there is no cancel in the engine).
#pragma once

#include "api/http_connection.h"

namespace hearth::api {

// Which API's request and response: OpenAI's /v1/embeddings, Ollama's
// /api/embed ({embeddings: [[...]]}) or its older /api/embeddings ({embedding:
// [...]}); Ollama's bodies are restated as OpenAI's (api/ollama_requests.h)
// and take keep_alive.
enum class EmbeddingsDialect { kOpenAI, kOllamaEmbed, kOllamaLegacy };

asio::awaitable<void> handle_embeddings(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                        RequestState& state, EmbeddingsDialect dialect = EmbeddingsDialect::kOpenAI);

}  // namespace hearth::api
