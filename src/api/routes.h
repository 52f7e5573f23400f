// The server's routes: request method and target -> which handler, with the
// model id of /v1/models/{id} percent-decoded. A known path with another
// method is a 405 (the match says which methods the path takes); an unknown
// path is a 404.
//
//   GET  /  and  GET /dashboard/{asset}: the dashboard (api/dashboard_route.h)
//   GET  /hearth/v1/egress (the most recent egress rows, api/egress_route.h)
//   POST /v1/chat/completions   POST /v1/completions   POST /v1/messages (Anthropic's API)
//   POST /v1/embeddings         POST /v1/ocr (Mistral's OCR API)   POST /v1/audio/speech
//   GET  /v1/models             GET  /v1/models/{id}     GET /health
//   GET  /hearth/v1/status    GET /hearth/v1/costs     GET /metrics (Prometheus text)
//   Ollama's API: POST /api/chat, /api/generate, /api/embed, /api/embeddings,
//   /api/show, /api/pull; GET /api/tags, /api/ps, /api/version; DELETE /api/delete
//   POST/GET /v1/files   GET/DELETE /v1/files/{id}   GET /v1/files/{id}/content
//   POST/GET /v1/batches GET /v1/batches/{id}        POST /v1/batches/{id}/cancel
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace hearth::api {

enum class Route {
  kDashboard,
  kEgress,
  kChatCompletions,
  kCompletions,
  kMessages,
  kEmbeddings,
  kOcr,
  kSpeech,
  kRerank,
  kListModels,
  kGetModel,
  kHealth,
  kStatus,
  kCosts,
  kMetrics,
  kOllamaChat,
  kOllamaGenerate,
  kOllamaEmbed,
  kOllamaEmbeddings,
  kOllamaShow,
  kOllamaPull,
  kOllamaTags,
  kOllamaPs,
  kOllamaVersion,
  kOllamaDelete,
  kUploadFile,
  kListFiles,
  kGetFile,
  kDeleteFile,
  kFileContent,
  kCreateBatch,
  kListBatches,
  kGetBatch,
  kCancelBatch,
};

// The routes of Ollama's API (errors in its shape).
bool is_ollama_route(Route route);

struct RouteMatch {
  Route route = Route::kHealth;
  std::string pattern;     // "/v1/models/{id}": what access logs show
  std::string model_id;    // kGetModel only
  std::string asset;       // kDashboard only: the asset's name as sent ("index.html" for "/"), not decoded
  std::string object_id;   // the {id} of the file and batch routes, percent-decoded
  std::string_view allow;  // methods the path takes ("GET", "POST")
  bool method_allowed = false;
};

// nullopt when no route has this path. The query string is ignored.
std::optional<RouteMatch> match_route(std::string_view method, std::string_view target);

// %XX sequences decoded; nullopt for a malformed one or a decoded NUL.
std::optional<std::string> percent_decode(std::string_view text);

// The target without its query string.
std::string_view target_path(std::string_view target);

}  // namespace hearth::api
