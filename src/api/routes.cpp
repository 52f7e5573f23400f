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

}  // namespace

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
  if (path == "/v1/chat/completions") return make_match(Route::kChatCompletions, path, "POST", method);
  if (path == "/v1/completions") return make_match(Route::kCompletions, path, "POST", method);
  if (path == "/v1/messages") return make_match(Route::kMessages, path, "POST", method);
  if (path == "/v1/embeddings") return make_match(Route::kEmbeddings, path, "POST", method);
  if (path == "/v1/rerank") return make_match(Route::kRerank, path, "POST", method);
  if (path == "/v1/models") return make_match(Route::kListModels, path, "GET", method);
  if (path == "/health") return make_match(Route::kHealth, path, "GET", method);
  if (path == "/hearth/v1/status") return make_match(Route::kStatus, path, "GET", method);
  if (path == "/hearth/v1/costs") return make_match(Route::kCosts, path, "GET", method);
  if (path == "/metrics") return make_match(Route::kMetrics, path, "GET", method);
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
