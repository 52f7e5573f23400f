// The server's inside (api/http_server.h is its outside): the state every
// connection shares, one connection, one request's state, and the helpers
// handlers write responses with. Everything here runs on the I/O thread.
#pragma once

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/access_log.h"
#include "api/background_threads.h"
#include "api/http_server.h"
#include "api/openai_errors.h"
#include "api/policy_headers.h"
#include "api/request_ids.h"
#include "api/server_metrics.h"
#include "gateway/api_keys.h"
#include "gateway/rate_limiter.h"
#include "ledger/egress_ledger.h"
#include "ledger/egress_writer.h"
#include "ledger/usage_writer.h"
#include "node/model_manager.h"

namespace hearth::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using HttpRequest = http::request<http::string_body>;

class Connection;
struct GatewayState;

// Shared by every connection of one server. I/O thread only.
struct ServerContext {
  ServerContext(asio::io_context& io_in, node::ModelManager& models_in, const HttpServerOptions& options_in,
                uint64_t id_seed)
      : io(io_in),
        models(models_in),
        options(options_in),
        ids(id_seed),
        metrics(static_cast<size_t>(options_in.metrics_max_series_per_family)) {}

  asio::io_context& io;
  node::ModelManager& models;
  const HttpServerOptions& options;
  RequestIds ids;
  ServerMetrics metrics;            // GET /metrics; fed by every request's access record
  GatewayState* gateway = nullptr;  // set when the config routes to other nodes or providers (api/gateway_handler.h)
  // Set when hearth.db is open: the keys requests are checked against.
  gateway::KeyStore* keys = nullptr;
  // Every route but /health needs a valid key (HttpServer decides it once, at
  // start); false: a request may still present one (see authenticate()).
  bool require_keys = false;
  ledger::EgressLedger* egress = nullptr;  // reads (a key's monthly spend)
  // Every request to a cloud provider is recorded through it before it leaves
  // (off the I/O thread, group-committed). Set with `egress`.
  ledger::EgressWriter* egress_writer = nullptr;
  // Every generation served here is recorded through it (api/usage_recording.h).
  // Null without hearth.db.
  ledger::UsageWriter* usage_writer = nullptr;
  gateway::RateLimiter limiter;       // per key
  bool stopping = false;              // shutdown began: every response closes its connection
  bool drained = false;               // schedulers drained: idle connections close, busy ones after their response
  std::set<Connection*> connections;  // live ones, for shutdown
  BackgroundThreads background;       // pulls; joined before the I/O context goes (HttpServer)
};

// One client connection.
class Connection {
 public:
  Connection(asio::ip::tcp::socket socket, int64_t io_timeout_ms)
      : stream(std::move(socket)), io_timeout_ms(io_timeout_ms) {}

  // Shuts the socket down and closes it: pending reads and writes fail, which
  // ends the connection's coroutine. Wakes a handler waiting for the engine.
  void close();

  beast::tcp_stream stream;
  const int64_t io_timeout_ms;         // one write to the client, reading one request
  beast::flat_buffer buffer;           // bytes read past the current request
  bool busy = false;                   // handling a request (not waiting for one)
  bool close_after_response = false;   // do not read another request
  std::function<void()> wake_handler;  // set while a handler waits; close() calls it
};

// One request as it is handled.
struct RequestState {
  std::string id;  // also the X-Request-Id header
  bool keep_alive = true;
  bool response_started = false;  // a status line went out: errors can no longer be a response
  std::chrono::steady_clock::time_point t_start;
  AccessRecord record;
  bool route_matched = false;  // a route has this path (metrics label the route by its pattern)
  std::vector<std::pair<std::string, std::string>> response_headers;  // added to whatever response goes out
  PolicyHeaders policy;                                               // read before routing (api/policy_headers.h)
  std::optional<gateway::ApiKey> key;                                 // the caller's, when it sent a valid key
  bool anthropic = false;  // POST /v1/messages: errors take Anthropic's shape
  bool ollama = false;     // Ollama's routes (/api/...): errors are {"error": "..."}, streams NDJSON
};

// An error as the last event of a stream that already started, in the
// request's dialect (OpenAI's `data: {"error":...}`, Anthropic's `event:
// error`, or Ollama's NDJSON line `{"error": "..."}`).
std::string stream_error_event(const RequestState& state, const ApiError& error);

std::chrono::milliseconds to_ms(int64_t ms);
std::string_view to_std(beast::string_view text);

// Writes a whole response with hearth's common headers (Server,
// X-Request-Id, Content-Type, Connection); returns false when the write
// failed (the client is gone). Fills record.status.
//
// These coroutines take what they keep by value and callers pass named
// locals: GCC 12 mishandles temporaries in a co_await's full-expression
// (it destroys some twice), so no awaited call here builds one.
asio::awaitable<bool> write_response(Connection& connection, RequestState& state, unsigned status, std::string body,
                                     std::string_view content_type,
                                     std::vector<std::pair<std::string, std::string>> extra_headers);

// A JSON body with no extra headers.
asio::awaitable<bool> write_json(Connection& connection, RequestState& state, unsigned status, std::string body);

// The error as an OpenAI error body with its status; 429 adds Retry-After,
// 405 an Allow header (`allow`).
asio::awaitable<bool> write_error(Connection& connection, RequestState& state, ApiError error, std::string allow);
asio::awaitable<bool> write_error(Connection& connection, RequestState& state, ApiError error);

// The head of a chunked 200 response (a stream of `content_type`: SSE or
// NDJSON) with the common headers and Cache-Control: no-cache. False when the
// write failed.
asio::awaitable<bool> write_stream_head(Connection& connection, RequestState& state, const char* content_type);

// One chunk of a chunked response (nothing for empty bytes: a chunk of size 0
// would end the body), and the last-chunk marker. False when the write failed.
asio::awaitable<bool> write_chunk(Connection& connection, std::string_view bytes);
asio::awaitable<bool> write_last_chunk(Connection& connection);

// Handles one read request: routes it and writes the response(s). Exceptions
// are the caller's to catch (serve_connection's boundary).
asio::awaitable<void> dispatch_request(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                       RequestState& state);

// Reads requests and answers them until the client leaves, an error closes
// the connection, or shutdown.
asio::awaitable<void> serve_connection(ServerContext& ctx, std::shared_ptr<Connection> connection);

}  // namespace hearth::api
