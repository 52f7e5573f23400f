#include "api/fleet_poller.h"

#include <nlohmann/json.hpp>

namespace hearth::api {
namespace {

// A poll must finish well within the interval, so a hung node is noticed.
constexpr int64_t kMinPollTimeoutMs = 500;

asio::awaitable<Result<gateway::NodeStatus>> fetch_status(asio::any_io_executor executor, std::string base_url,
                                                          asio::ssl::context* tls, std::string authorization,
                                                          int64_t timeout_ms) {
  Result<net::Url> url = net::parse_base_url(base_url);
  if (!url.ok()) co_return url.status();
  const net::Url where = *url;
  auto opened = co_await net::HttpConnection::open(executor, where, tls, timeout_ms);
  if (!opened.ok()) co_return opened.status();
  net::HttpConnection& connection = **opened;
  http::request<http::string_body> request{http::verb::get, net::path_prefix(where) + "/hearth/v1/status", 11};
  request.set(http::field::host, where.host_header());
  request.set(http::field::user_agent, "hearth-gateway");
  if (!authorization.empty()) request.set(http::field::authorization, authorization);
  Status written = co_await connection.write(request, timeout_ms);
  if (!written.ok()) co_return written;
  net::ResponseParser parser;
  parser.body_limit(uint64_t{16} << 20);
  Status header = co_await connection.read_header(parser, timeout_ms);
  if (!header.ok()) co_return header;
  if (parser.get().result_int() != 200) {
    co_return unavailable_error("status answered HTTP " + std::to_string(parser.get().result_int()));
  }
  std::string body;
  while (!parser.is_done()) {
    Status piece = co_await connection.read_body_piece(parser, &body, timeout_ms);
    if (!piece.ok()) co_return piece;
  }
  connection.close();
  co_return parse_node_status(body);
}

// Throws nlohmann::json::exception for a field of the wrong type.
Result<gateway::NodeStatus> parse_node_status_or_throw(std::string_view body);

}  // namespace

Result<gateway::NodeStatus> parse_node_status(std::string_view body) {
  try {
    return parse_node_status_or_throw(body);
  } catch (const nlohmann::json::exception& error) {
    return data_loss_error(std::string("the status body has a field of the wrong type: ") + error.what());
  }
}

namespace {

Result<gateway::NodeStatus> parse_node_status_or_throw(std::string_view body) {
  const nlohmann::json status = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!status.is_object() || !status.contains("models") || !status["models"].is_array()) {
    return data_loss_error("the status body has no models array");
  }
  gateway::NodeStatus out;
  for (const nlohmann::json& model : status["models"]) {
    if (!model.is_object() || !model.contains("id") || !model["id"].is_string()) {
      return data_loss_error("a model of the status body has no id");
    }
    // A node lists the files it cannot serve too (state "invalid"): they are no route target.
    if (model.value("state", "") == "invalid") continue;
    gateway::NodeModelStatus entry;
    entry.id = model["id"].get<std::string>();
    entry.resident = model.value("state", "") == "resident";
    entry.fits_budget = model.value("fits_budget", true);
    entry.load_ms = model.value("load_ms", int64_t{0});
    entry.n_ctx = model.value("n_ctx", int64_t{0});
    if (const auto engine = model.find("engine"); engine != model.end() && engine->is_object()) {
      entry.running = engine->value("running", 0);
      entry.waiting = engine->value("waiting", 0);
      entry.prefill_tps = engine->value("prefill_tps", 0.0);
    }
    out.models.push_back(std::move(entry));
  }
  return out;
}

}  // namespace

namespace {

asio::awaitable<void> poll_node(GatewayState& gateway, size_t node_idx, uint64_t generation,
                                std::shared_ptr<asio::steady_timer> timer, const bool& stopping) {
  const int64_t interval_ms = gateway.config->settings.poll_interval_ms;
  const int64_t timeout_ms = std::max(kMinPollTimeoutMs, interval_ms / 2);
  while (!stopping && gateway.generation == generation) {
    const std::string base_url = gateway.fleet.nodes()[node_idx].url;
    auto key = gateway.authorization.find("node:" + gateway.fleet.nodes()[node_idx].name);
    std::string authorization = key != gateway.authorization.end() ? key->second : std::string();
    auto executor = co_await asio::this_coro::executor;
    Result<gateway::NodeStatus> status = co_await fetch_status(executor, base_url, gateway.tls.get(), authorization, timeout_ms);
    if (stopping || gateway.generation != generation) co_return;  // the fleet may have been replaced meanwhile
    if (status.ok()) {
      gateway.fleet.report_poll_success(node_idx, std::move(status).value());
    } else {
      gateway.fleet.report_poll_failure(node_idx, status.status().message());
    }
    timer->expires_after(std::chrono::milliseconds(interval_ms));
    boost::system::error_code error;
    co_await timer->async_wait(asio::redirect_error(asio::use_awaitable, error));
    if (error) co_return;  // cancelled: a reload or shutdown
  }
}

}  // namespace

void start_polling(asio::io_context& io, GatewayState& gateway, const bool& stopping) {
  for (auto& timer : gateway.poll_timers) timer->cancel();
  gateway.poll_timers.clear();
  for (size_t node_idx = 0; node_idx < gateway.fleet.nodes().size(); ++node_idx) {
    auto timer = std::make_shared<asio::steady_timer>(io);
    gateway.poll_timers.push_back(timer);
    asio::co_spawn(io, poll_node(gateway, node_idx, gateway.generation, std::move(timer), stopping), asio::detached);
  }
}

}  // namespace hearth::api
