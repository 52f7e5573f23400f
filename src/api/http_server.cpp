#include "api/http_server.h"

#include <csignal>
#include <cstdio>
#include <random>
#include <thread>

#include "api/fleet_poller.h"
#include "api/gateway_handler.h"
#include "api/http_connection.h"
#include "net/tls.h"

namespace hearth::api {
namespace {

// Host as it goes into a URL: IPv6 literals in brackets.
std::string url_host(const asio::ip::address& address) {
  return address.is_v6() ? "[" + address.to_string() + "]" : address.to_string();
}

}  // namespace

class HttpServer::Impl {
 public:
  Impl(const HttpServerOptions& options, node::ModelManager& models, uint64_t id_seed)
      : options_(options), models_(models), acceptor_(io_), signals_(io_) {
    ctx_ = std::make_unique<ServerContext>(io_, models, options_, id_seed);
    ctx_->keys = options_.keys;
    ctx_->egress = options_.egress;
    if (options_.egress != nullptr) {
      egress_writer_ = std::make_unique<ledger::EgressWriter>(*options_.egress);
      ctx_->egress_writer = egress_writer_.get();
    }
    if (options_.usage != nullptr) {
      usage_writer_ = std::make_unique<ledger::UsageWriter>(*options_.usage);
      ctx_->usage_writer = usage_writer_.get();
    }
  }

  ~Impl() {
    if (drainer_.joinable()) drainer_.join();
    // Before io_ goes: their last posts must find it alive.
    ctx_->background.stop_and_join();
  }

  Status listen() {
    boost::system::error_code error;
    asio::ip::tcp::resolver resolver(io_);
    auto endpoints =
        resolver.resolve(options_.host, std::to_string(options_.port), asio::ip::tcp::resolver::numeric_service, error);
    if (error || endpoints.empty()) {
      return invalid_argument_error("cannot resolve the host '" + options_.host + "': " + error.message());
    }
    const asio::ip::tcp::endpoint endpoint = endpoints.begin()->endpoint();
    const std::string where = url_host(endpoint.address()) + ":" + std::to_string(options_.port);
    if (acceptor_.open(endpoint.protocol(), error); error) return io_error("cannot open a socket: " + error.message());
    if (acceptor_.set_option(asio::socket_base::reuse_address(true), error); error) {
      return io_error("cannot set SO_REUSEADDR: " + error.message());
    }
    if (acceptor_.bind(endpoint, error); error) return io_error("cannot bind " + where + ": " + error.message());
    if (acceptor_.listen(asio::socket_base::max_listen_connections, error); error) {
      return io_error("cannot listen on " + where + ": " + error.message());
    }
    bound_ = acceptor_.local_endpoint(error);
    if (error) return io_error("cannot read the bound address: " + error.message());
    // From the address actually bound, not the host's spelling: a name that
    // resolves to a LAN address is a LAN bind.
    ctx_->require_keys = options_.require_keys || !bound_.address().is_loopback();
    if (ctx_->require_keys && options_.keys == nullptr) {
      return invalid_argument_error("requests to " + where + " need API keys, but no key store was given");
    }
    return ok_status();
  }

  uint16_t port() const { return bound_.port(); }
  bool keys_required() const { return ctx_->require_keys; }
  std::string url() const { return "http://" + url_host(bound_.address()) + ":" + std::to_string(bound_.port()); }

  Status start_gateway() {
    if (options_.gateway == nullptr) return ok_status();
    if (!options_.gateway->providers.empty() && options_.egress == nullptr) {
      return invalid_argument_error("a gateway with cloud providers needs the egress ledger (hearth.db)");
    }
    HEARTH_ASSIGN_OR_RETURN(auto keys, read_upstream_keys(*options_.gateway));
    HEARTH_ASSIGN_OR_RETURN(auto tls, net::make_client_tls_context(""));
    gateway_ = std::make_unique<GatewayState>(options_.gateway, std::move(keys), std::move(tls));
    ctx_->gateway = gateway_.get();
    return ok_status();
  }

  Status run() {
    if (gateway_ != nullptr) start_polling(io_, *gateway_, ctx_->stopping);
    if (options_.handle_signals) {
      signals_.add(SIGINT);
      signals_.add(SIGTERM);
      signals_.async_wait([this](const boost::system::error_code& error, int) {
        if (!error) begin_shutdown();
      });
      // SIGHUP rescans the models directory and, for a gateway, re-reads its config.
      reload_signal_.add(SIGHUP);
      wait_for_reload();
    }
    asio::co_spawn(io_, accept_loop(), asio::detached);
    io_.run();
    if (drainer_.joinable()) drainer_.join();
    return ok_status();
  }

  void shutdown() {
    asio::post(io_, [this] { begin_shutdown(); });
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code error;
      asio::ip::tcp::socket socket = co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, error));
      if (error == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      if (error) {
        // Out of descriptors, say: wait a little rather than spin.
        asio::steady_timer pause(io_, std::chrono::milliseconds(50));
        co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, error));
        continue;
      }
      socket.set_option(asio::ip::tcp::no_delay(true), error);  // SSE chunks go out as they come
      auto connection = std::make_shared<Connection>(std::move(socket), options_.io_timeout_ms);
      asio::co_spawn(io_, serve_connection(*ctx_, connection), [](const std::exception_ptr&) {
        // serve_connection catches what handlers throw; an exception here came from Asio or
        // Beast themselves, and the connection it belonged to is gone with it.
      });
    }
  }

  // I/O thread: on each SIGHUP, the models directory rescanned (its changes are logged by the
  // manager) and the gateway's next config, or a log line saying why not.
  void wait_for_reload() {
    reload_signal_.async_wait([this](const boost::system::error_code& error, int) {
      if (error || ctx_->stopping) return;
      if (Status scanned = models_.rescan(); !scanned.ok()) {
        std::fprintf(stderr, "hearth serve: SIGHUP: the models directory was not rescanned: %s\n",
                     scanned.message().c_str());
      }
      if (gateway_ == nullptr || !options_.reload_gateway) {
        wait_for_reload();
        return;
      }
      Result<gateway::GatewayConfig> next = options_.reload_gateway();
      Result<std::map<std::string, std::string>> keys =
          next.ok() ? read_upstream_keys(*next) : Result<std::map<std::string, std::string>>(next.status());
      if (next.ok() && !next->providers.empty() && options_.egress == nullptr) {
        keys = invalid_argument_error("a gateway with cloud providers needs the egress ledger (hearth.db)");
      }
      if (!keys.ok()) {
        std::fprintf(stderr, "hearth serve: SIGHUP: the config was not reloaded, the current one stays: %s\n",
                     keys.status().message().c_str());
      } else {
        gateway_->reload(std::make_shared<const gateway::GatewayConfig>(std::move(next).value()),
                         std::move(keys).value());
        start_polling(io_, *gateway_, ctx_->stopping);
        std::fprintf(
            stderr, "hearth serve: SIGHUP: reloaded the gateway config (%zu nodes, %zu providers, %zu aliases)\n",
            gateway_->fleet.nodes().size(), gateway_->config->providers.size(), gateway_->config->aliases.size());
      }
      wait_for_reload();
    });
  }

  // I/O thread. Stops accepting, then drains the engines on another thread
  // (drain() blocks) while this thread keeps writing the streams.
  void begin_shutdown() {
    if (ctx_->stopping) return;
    ctx_->stopping = true;
    ctx_->background.request_stop();
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    signals_.cancel(ignored);
    reload_signal_.cancel(ignored);
    if (gateway_ != nullptr) {
      for (auto& timer : gateway_->poll_timers) timer->cancel();
    }
    work_.emplace(io_.get_executor());
    drainer_ = std::thread([this] {
      // Batch lines stop first (uncommitted, they run again at the next start), so none is submitted during the drain.
      if (options_.batch != nullptr && options_.batch->runner != nullptr) options_.batch->runner->stop();
      models_.drain(options_.drain_timeout_ms);
      asio::post(io_, [this] { finish_shutdown(); });
    });
  }

  // I/O thread, after the drain: idle connections close now, busy ones once
  // their response is out, and any left after the grace period are closed.
  void finish_shutdown() {
    ctx_->drained = true;
    work_.reset();
    const std::vector<Connection*> connections(ctx_->connections.begin(), ctx_->connections.end());
    for (Connection* connection : connections) {
      if (!connection->busy) connection->close();
    }
    grace_timer_.emplace(io_, std::chrono::milliseconds(options_.shutdown_grace_ms));
    grace_timer_->async_wait([this](const boost::system::error_code& error) {
      if (error) return;
      const std::vector<Connection*> left(ctx_->connections.begin(), ctx_->connections.end());
      for (Connection* connection : left) connection->close();
    });
    // The grace timer must not keep run() going once every connection is gone.
    asio::co_spawn(io_, wait_for_connections(), asio::detached);
  }

  asio::awaitable<void> wait_for_connections() {
    asio::steady_timer poll(io_);
    while (!ctx_->connections.empty()) {
      poll.expires_after(std::chrono::milliseconds(10));
      boost::system::error_code ignored;
      co_await poll.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
    }
    if (grace_timer_) grace_timer_->cancel();
  }

  const HttpServerOptions options_;
  node::ModelManager& models_;
  // Declared before io_, so it outlives it: coroutine frames that the
  // io_context destroys along with itself unregister their connection here.
  std::unique_ptr<ServerContext> ctx_;
  asio::io_context io_{1};
  // After io_: its poll timers are destroyed before the io_context.
  std::unique_ptr<GatewayState> gateway_;  // null unless options_.gateway
  // After io_ too: its last callbacks post to the io_context, which must still exist.
  std::unique_ptr<ledger::EgressWriter> egress_writer_;
  // Used by handlers only while run() runs; its destructor commits every queued row.
  std::unique_ptr<ledger::UsageWriter> usage_writer_;
  asio::ip::tcp::acceptor acceptor_;
  asio::signal_set signals_;
  asio::signal_set reload_signal_{io_};
  asio::ip::tcp::endpoint bound_;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::optional<asio::steady_timer> grace_timer_;
  std::thread drainer_;
};

Result<std::unique_ptr<HttpServer>> HttpServer::create(const HttpServerOptions& options, node::ModelManager& models) {
  if (options.max_body_bytes < 1) return invalid_argument_error("max_body_bytes must be at least 1");
  if (options.drain_timeout_ms < 0) return invalid_argument_error("drain_timeout_ms must not be negative");
  if (options.metrics_max_series_per_family < 1) {
    return invalid_argument_error("metrics_max_series_per_family must be at least 1");
  }
  if (options.idle_timeout_ms < 1 || options.io_timeout_ms < 1) {
    return invalid_argument_error("idle_timeout_ms and io_timeout_ms must be at least 1");
  }
  const uint64_t id_seed =
      options.id_seed != 0 ? options.id_seed : (uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();
  auto impl = std::make_unique<Impl>(options, models, id_seed);
  HEARTH_RETURN_IF_ERROR(impl->start_gateway());
  HEARTH_RETURN_IF_ERROR(impl->listen());
  return std::make_unique<HttpServer>(ConstructionKey(), std::move(impl));
}

HttpServer::HttpServer(ConstructionKey, std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpServer::~HttpServer() = default;

uint16_t HttpServer::port() const { return impl_->port(); }
std::string HttpServer::url() const { return impl_->url(); }
bool HttpServer::keys_required() const { return impl_->keys_required(); }
Status HttpServer::run() { return impl_->run(); }
void HttpServer::shutdown() { impl_->shutdown(); }

}  // namespace hearth::api
