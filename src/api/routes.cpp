#include "api/routes.h"

namespace hearth::api {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

RouteMatch make_match(Route route, std::string_view pattern, std::string_view allow, std::string_view method) {
  RouteMatch match;
  match.route = route;
  match.pattern = std::string(pattern);
  match.allow = allow;
  match.method_allowed = method == allow;
  return match;
}

// A path that takes two methods, each its own route.
RouteMatch make_match2(std::string_view pattern, std::string_view allow, std::string_view method,
                       std::string_view method_a, Route route_a, std::string_view method_b, Route route_b) {
  RouteMatch match;
  match.pattern = std::string(pattern);
  match.allow = allow;
  match.route = method == method_b ? route_b : route_a;
  match.method_allowed = method == method_a || method == method_b;
  return match;
}

// "/v1/files/{id}" and "/v1/files/{id}/content" style paths under `prefix`:
// the id (percent-decoded, without '/') and what follows it.
struct ObjectPath {
  std::string id;
  std::string_view rest;
};

std::optional<ObjectPath> object_path(std::string_view path, std::string_view prefix) {
  if (path.size() <= prefix.size() || path.substr(0, prefix.size()) != prefix) return std::nullopt;
  std::string_view tail = path.substr(prefix.size());
  const size_t slash = tail.find('/');
  std::optional<std::string> id = percent_decode(tail.substr(0, slash));
  if (!id || id->empty() || id->find('/') != std::string::npos) return std::nullopt;
  return ObjectPath{std::move(*id), slash == std::string_view::npos ? std::string_view() : tail.substr(slash)};
}

}  // namespace

bool is_ollama_route(Route route) { return route >= Route::kOllamaChat && route <= Route::kOllamaDelete; }

std::string_view target_path(std::string_view target) {
  const size_t query = target.find('?');
  return query == std::string_view::npos ? target : target.substr(0, query);
}

std::optional<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size(); ++pos) {
    if (text[pos] != '%') {
      out += text[pos];
      continue;
    }
    if (pos + 2 >= text.size()) return std::nullopt;
    const int high = hex_value(text[pos + 1]);
    const int low = hex_value(text[pos + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    const char decoded = static_cast<char>(high * 16 + low);
    if (decoded == '\0') return std::nullopt;
    out += decoded;
    pos += 2;
  }
  return out;
}

std::optional<RouteMatch> match_route(std::string_view method, std::string_view target) {
  const std::string_view path = target_path(target);
  if (path == "/") {
    RouteMatch match = make_match(Route::kDashboard, path, "GET", method);
    match.asset = "index.html";
    return match;
  }
  constexpr std::string_view kDashboardPrefix = "/dashboard/";
  if (path.starts_with(kDashboardPrefix)) {
    // Any name: an unknown one is the dashboard's own 404, after the key check.
    RouteMatch match = make_match(Route::kDashboard, "/dashboard/{asset}", "GET", method);
    match.asset = std::string(path.substr(kDashboardPrefix.size()));
    return match;
  }
  if (path == "/hearth/v1/egress") return make_match(Route::kEgress, path, "GET", method);
  if (path == "/v1/chat/completions") return make_match(Route::kChatCompletions, path, "POST", method);
  if (path == "/v1/completions") return make_match(Route::kCompletions, path, "POST", method);
  if (path == "/v1/messages") return make_match(Route::kMessages, path, "POST", method);
  if (path == "/v1/embeddings") return make_match(Route::kEmbeddings, path, "POST", method);
  if (path == "/v1/ocr") return make_match(Route::kOcr, path, "POST", method);
  if (path == "/v1/audio/speech") return make_match(Route::kSpeech, path, "POST", method);
  if (path == "/v1/rerank") return make_match(Route::kRerank, path, "POST", method);
  if (path == "/v1/models") return make_match(Route::kListModels, path, "GET", method);
  if (path == "/health") return make_match(Route::kHealth, path, "GET", method);
  if (path == "/hearth/v1/status") return make_match(Route::kStatus, path, "GET", method);
  if (path == "/hearth/v1/costs") return make_match(Route::kCosts, path, "GET", method);
  if (path == "/metrics") return make_match(Route::kMetrics, path, "GET", method);
  if (path == "/api/chat") return make_match(Route::kOllamaChat, path, "POST", method);
  if (path == "/api/generate") return make_match(Route::kOllamaGenerate, path, "POST", method);
  if (path == "/api/embed") return make_match(Route::kOllamaEmbed, path, "POST", method);
  if (path == "/api/embeddings") return make_match(Route::kOllamaEmbeddings, path, "POST", method);
  if (path == "/api/show") return make_match(Route::kOllamaShow, path, "POST", method);
  if (path == "/api/pull") return make_match(Route::kOllamaPull, path, "POST", method);
  if (path == "/api/tags") return make_match(Route::kOllamaTags, path, "GET", method);
  if (path == "/api/ps") return make_match(Route::kOllamaPs, path, "GET", method);
  if (path == "/api/version") return make_match(Route::kOllamaVersion, path, "GET", method);
  if (path == "/api/delete") return make_match(Route::kOllamaDelete, path, "DELETE", method);
  if (path == "/v1/files") {
    return make_match2(path, "GET, POST", method, "GET", Route::kListFiles, "POST", Route::kUploadFile);
  }
  if (path == "/v1/batches") {
    return make_match2(path, "GET, POST", method, "GET", Route::kListBatches, "POST", Route::kCreateBatch);
  }
  if (std::optional<ObjectPath> file = object_path(path, "/v1/files/")) {
    std::optional<RouteMatch> match;
    if (file->rest.empty()) {
      match = make_match2("/v1/files/{id}", "GET, DELETE", method, "GET", Route::kGetFile, "DELETE",
                          Route::kDeleteFile);
    } else if (file->rest == "/content") {
      match = make_match(Route::kFileContent, "/v1/files/{id}/content", "GET", method);
    } else {
      return std::nullopt;
    }
    match->object_id = std::move(file->id);
    return match;
  }
  if (std::optional<ObjectPath> batch = object_path(path, "/v1/batches/")) {
    std::optional<RouteMatch> match;
    if (batch->rest.empty()) {
      match = make_match(Route::kGetBatch, "/v1/batches/{id}", "GET", method);
    } else if (batch->rest == "/cancel") {
      match = make_match(Route::kCancelBatch, "/v1/batches/{id}/cancel", "POST", method);
    } else {
      return std::nullopt;
    }
    match->object_id = std::move(batch->id);
    return match;
  }
  constexpr std::string_view kModelPrefix = "/v1/models/";
  if (path.size() > kModelPrefix.size() && path.substr(0, kModelPrefix.size()) == kModelPrefix) {
    std::optional<std::string> id = percent_decode(path.substr(kModelPrefix.size()));
    if (!id) return std::nullopt;
    RouteMatch match = make_match(Route::kGetModel, "/v1/models/{id}", "GET", method);
    match.model_id = std::move(*id);
    return match;
  }
  return std::nullopt;
}

}  // namespace hearth::api
