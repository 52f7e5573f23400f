// HttpServer: hearth's OpenAI-compatible HTTP/1.1 server (Boost.Beast on one
// Asio I/O thread, keep-alive, C++20 coroutines). Routes: api/routes.h.
// Generation runs on each model's scheduler thread, never on the I/O thread:
// the scheduler's observer hands events to the connection (api/sequence_channel.h).
//
//   HttpServerOptions options;
//   options.port = 0;                       // any free port
//   HEARTH_ASSIGN_OR_RETURN(auto server, HttpServer::create(options, models));
//   printf("listening on %d\n", server->port());
//   return server->run();                   // until SIGINT/SIGTERM or shutdown()
//
// Graceful shutdown: stop accepting, drain every scheduler (running streams
// finish; those still running at drain_timeout_ms are cancelled and end with
// an SSE error event), close idle keep-alive connections, wait up to
// shutdown_grace_ms for the last responses to be written, then run() returns.
//
// Thread-safety: create() and run() from one thread; shutdown() from any.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "api/batch_services.h"
#include "base/status.h"
#include "gateway/api_keys.h"
#include "gateway/gateway_config.h"
#include "ledger/cost_report.h"
#include "ledger/egress_ledger.h"
#include "ledger/rapl_meter.h"
#include "ledger/usage_ledger.h"
#include "node/model_manager.h"

namespace hearth::api {

inline constexpr uint16_t kDefaultPort = 8770;
inline constexpr int64_t kDefaultMaxBodyBytes = 4 << 20;
inline constexpr uint32_t kMaxHeaderBytes = 16 * 1024;  // request line and headers; more get 431
inline constexpr int64_t kDefaultDrainTimeoutMs = 10000;

struct HttpServerOptions {
  std::string host = "127.0.0.1";                 // an address or a name that resolves to one
  uint16_t port = kDefaultPort;                   // 0: a free port (see HttpServer::port())
  int64_t max_body_bytes = kDefaultMaxBodyBytes;  // larger bodies get 413
  int64_t drain_timeout_ms = kDefaultDrainTimeoutMs;
  int64_t shutdown_grace_ms = 2000;  // after the drain, for the last writes
  int64_t idle_timeout_ms = 60000;   // a keep-alive connection with no request closes
  int64_t io_timeout_ms = 60000;     // reading one request, or one write to a client
  bool handle_signals = true;        // SIGINT/SIGTERM call shutdown()
  uint64_t id_seed = 0;              // request ids and default seeds; 0: from std::random_device
  // GET /metrics: at most this many series per metric family (label values
  // such as model names come from clients); the rest share one "_other" series.
  int64_t metrics_max_series_per_family = 1000;
  // Receives each access-log line (api/access_log.h); empty: stderr.
  std::function<void(std::string_view line)> access_log;
  // Set: this server is also a gateway (api/gateway_handler.h): it polls the
  // config's nodes and routes generation requests.
  std::shared_ptr<const gateway::GatewayConfig> gateway;
  // Called on SIGHUP (with handle_signals) for the gateway's next config; an
  // error keeps the current one and is logged. SIGHUP also (always, with
  // handle_signals) rescans the models directory (node::ModelManager::rescan).
  std::function<Result<gateway::GatewayConfig>()> reload_gateway;
  // Every request but GET /health needs a valid API key from `keys`. Decided
  // once: the server also requires keys whenever it is bound to an address
  // that is not loopback (see keys_required()), whatever the key table holds;
  // with no active key left, every request is a 401.
  bool require_keys = false;
  // hearth.db's API keys (required with require_keys or a non-loopback bind)
  // and egress ledger (required when the gateway has providers). Must outlive
  // the server.
  gateway::KeyStore* keys = nullptr;
  ledger::EgressLedger* egress = nullptr;
  // hearth.db's usage ledger: every generation served on this node is
  // recorded through a ledger::UsageWriter (off the I/O thread; what a crash
  // can lose is in ledger/usage_writer.h), under `node_name`. With `egress`,
  // GET /hearth/v1/costs reports them priced by `costs`. Must outlive the server.
  ledger::UsageLedger* usage = nullptr;
  std::string node_name;
  ledger::CostSettings costs;
  // `[costs] power = "rapl"`: each usage row holds the packages' energy over
  // its wall time. Must outlive the server.
  const ledger::RaplMeter* rapl = nullptr;
  // Ollama's API. The models directory served (the store's: POST /api/pull
  // writes into it, DELETE /api/delete removes from it); empty when the
  // server serves --model files only (then both are a 400).
  std::string models_dir;
  // Where /api/pull finds a model named like "qwen3:8b": a directory (the
  // NAS mount) or an http(s) base URL holding NAME-TAG.gguf files; empty:
  // only full http(s) URLs can be pulled.
  std::string pull_from;
  std::string version = "0.0.0";  // GET /api/version
  // The Files and Batches APIs (api/file_routes.h, api/batch_routes.h): null
  // answers those routes with 503. Must outlive the server.
  BatchServices* batch = nullptr;
};

class HttpServer {
 public:
  // Resolves and binds host:port and listens; kInvalidArgument for bad
  // options or a gateway whose upstream keys are missing from the
  // environment, kIo naming the address when it cannot bind. `models` must
  // outlive the server.
  static Result<std::unique_ptr<HttpServer>> create(const HttpServerOptions& options, node::ModelManager& models);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound address: the port 0 resolved; "http://127.0.0.1:8770" form in url().
  uint16_t port() const;
  std::string url() const;
  // Whether requests need an API key: options.require_keys, or a bound
  // address that is not loopback.
  bool keys_required() const;

  // Serves on the calling thread until shutdown() or a signal has run its
  // course. Returns ok after a graceful shutdown.
  Status run();
  // Starts the graceful shutdown; idempotent.
  void shutdown();

 private:
  class Impl;
  // Only create() can make the key.
  class ConstructionKey {
    friend class HttpServer;
    ConstructionKey() = default;
  };

 public:
  HttpServer(ConstructionKey, std::unique_ptr<Impl> impl);

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth::api
