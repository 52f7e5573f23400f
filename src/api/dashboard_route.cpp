#include "api/dashboard_route.h"

#include "api/dashboard_assets.h"

namespace hearth::api {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

}  // namespace

bool etag_matches(std::string_view if_none_match, std::string_view etag) {
  if (trim(if_none_match) == "*") return true;
  while (!if_none_match.empty()) {
    const size_t comma = if_none_match.find(',');
    std::string_view tag = trim(if_none_match.substr(0, comma));
    if_none_match = comma == std::string_view::npos ? std::string_view() : if_none_match.substr(comma + 1);
    // If-None-Match compares weakly: W/"x" matches "x".
    if (tag.starts_with("W/")) tag.remove_prefix(2);
    if (tag == etag) return true;
  }
  return false;
}

std::optional<DashboardResponse> dashboard_response(std::string_view name, std::string_view if_none_match) {
  for (const DashboardAsset& asset : dashboard_assets()) {
    if (asset.name != name) continue;
    // 128 bits of the SHA-256 tell builds apart; the full 64 digits would only lengthen every header.
    // Built by appending: GCC 12 warns (-Wrestrict, a false positive) on "\"" + std::string(...).
    std::string etag(1, '"');
    etag.append(asset.sha256_hex.substr(0, 32));
    etag.push_back('"');
    DashboardResponse response;
    response.content_type = asset.content_type;
    if (!if_none_match.empty() && etag_matches(if_none_match, etag)) {
      response.status = 304;
    } else {
      response.body = asset.bytes;
    }
    response.headers = {{"Content-Security-Policy", std::string(kDashboardCsp)},
                        {"X-Content-Type-Options", "nosniff"},
                        {"Referrer-Policy", "no-referrer"},
                        {"X-Frame-Options", "DENY"},
                        {"Cache-Control", "no-cache"},
                        {"ETag", std::move(etag)}};
    return response;
  }
  return std::nullopt;
}

asio::awaitable<void> handle_dashboard(Connection& connection, const HttpRequest& request, const RouteMatch& match,
                                       RequestState& state) {
  const auto if_none_match = request.find(http::field::if_none_match);
  const std::string_view tags = if_none_match == request.end() ? std::string_view() : to_std(if_none_match->value());
  std::optional<DashboardResponse> response = dashboard_response(match.asset, tags);
  if (!response) {
    ApiError error = api_error(not_found_error("The dashboard has no file '" + match.asset.substr(0, 64) + "'"), "",
                               "asset_not_found");
    co_await write_error(connection, state, std::move(error));
    co_return;
  }
  std::string body(response->body);
  std::string_view content_type = response->content_type;
  std::vector<std::pair<std::string, std::string>> headers = std::move(response->headers);
  co_await write_response(connection, state, response->status, std::move(body), content_type, std::move(headers));
}

}  // namespace hearth::api
