// The dashboard: GET / (the page) and GET /dashboard/{asset} (its script,
// style sheet and icon), the files of web/dashboard/ compiled into the binary
// (api/dashboard_assets.h). The page itself polls the JSON routes
// (/hearth/v1/status, /metrics, /hearth/v1/costs, /hearth/v1/egress) and
// draws what they say; docs/dashboard.md shows it.
//
// Every answer carries a strict Content-Security-Policy (scripts, styles,
// images and fetches from this origin only; no inline code, no frames, no
// forms), `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`,
// and `Cache-Control: no-cache` with a strong ETag (the file's SHA-256): a
// browser revalidates on each load and gets a 304 while the binary is the
// same one. A name no asset has is a 404.
//
// Keys: like every route but /health (api/http_connection.cpp). A browser
// cannot add `Authorization: Bearer` to a page load, so a 401 on these routes
// also carries `WWW-Authenticate: Basic`: the browser asks for a user name
// (any) and a password (the API key) and sends them, with every fetch the
// page makes, as `Authorization: Basic` (api/policy_headers.h reads both).
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http_connection.h"
#include "api/routes.h"

namespace hearth::api {

inline constexpr std::string_view kDashboardCsp =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
// The challenge a 401 on the dashboard's routes carries.
inline constexpr std::string_view kDashboardChallenge = "Basic realm=\"hearth\", charset=\"UTF-8\"";

struct DashboardResponse {
  unsigned status = 200;  // 200, or 304 when If-None-Match names the asset's ETag
  std::string_view content_type;
  std::string_view body;  // empty for a 304; static storage
  std::vector<std::pair<std::string, std::string>> headers;
};

// The answer for asset `name` ("index.html" for "/"), given the request's
// If-None-Match ("" when absent); nullopt when no asset has that name.
std::optional<DashboardResponse> dashboard_response(std::string_view name, std::string_view if_none_match);

// Whether an If-None-Match value ("*", or a list of entity tags, weak ones
// included) names `etag` (quoted, as sent in ETag). ref: RFC 9110 13.1.2
bool etag_matches(std::string_view if_none_match, std::string_view etag);

// Writes the answer for `match` (Route::kDashboard): the asset, a 304, or a
// 404 for an unknown name.
asio::awaitable<void> handle_dashboard(Connection& connection, const HttpRequest& request, const RouteMatch& match,
                                       RequestState& state);

}  // namespace hearth::api
