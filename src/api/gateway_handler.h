// POST /v1/chat/completions, /v1/completions, /v1/messages and /v1/embeddings (and Ollama's /api/chat,
// /api/generate, /api/embed, /api/embeddings, to hearth nodes only) on a server with a gateway
// config: decide the request's data class (its API key's floor, raised by an
// X-Hearth-Data-Class header, never lowered), ask the router for targets
// (gateway/router.h), then run it on this node's own engine or proxy it to a
// node or a cloud provider, failing over down the list while nothing has gone
// to the client yet. Once the response has started, an upstream that breaks
// ends the stream with an error event. Bodies pass through as they arrive.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "api/embeddings_handler.h"
#include "api/generation_job.h"
#include "api/http_connection.h"
#include "gateway/fleet.h"
#include "gateway/gateway_config.h"
#include "gateway/router.h"
#include "net/http_connection.h"

namespace hearth::api {

// What a gateway server keeps besides the node's own state. I/O thread only.
struct GatewayState {
  // `tls_in`: from net::make_client_tls_context, for https nodes and providers.
  GatewayState(std::shared_ptr<const gateway::GatewayConfig> config_in,
               std::map<std::string, std::string> authorization_in, std::unique_ptr<asio::ssl::context> tls_in)
      : config(std::move(config_in)),
        fleet(config->nodes, config->settings),
        authorization(std::move(authorization_in)),
        tls(std::move(tls_in)) {}

  // Swaps in a reloaded config (SIGHUP). Nodes with the same name and URL keep
  // their state; pollers of the old config stop (generation).
  void reload(std::shared_ptr<const gateway::GatewayConfig> next,
              std::map<std::string, std::string> next_authorization) {
    gateway::Fleet next_fleet(next->nodes, next->settings);
    next_fleet.carry_over(fleet);
    config = std::move(next);
    fleet = std::move(next_fleet);
    authorization = std::move(next_authorization);
    idle.clear();
    ++generation;
  }

  // Shared with the requests in flight: each keeps the config it was routed
  // with until it ends, while a reload swaps in the next one.
  std::shared_ptr<const gateway::GatewayConfig> config;
  gateway::Fleet fleet;
  // "Bearer ..." per target label ("node:studio", "openai"), from the
  // environment variables the config names.
  std::map<std::string, std::string> authorization;
  uint64_t generation = 0;
  std::unique_ptr<asio::ssl::context> tls;
  std::vector<std::shared_ptr<asio::steady_timer>>
      poll_timers;  // shared with their poller; cancelled at reload and shutdown

  // Idle keep-alive connections per target label, reused by its next request.
  static constexpr size_t kMaxIdlePerTarget = 64;
  std::map<std::string, std::vector<std::unique_ptr<net::HttpConnection>>, std::less<>> idle;

  // nullptr when none is idle.
  std::unique_ptr<net::HttpConnection> take_idle(std::string_view label) {
    auto pool = idle.find(label);
    if (pool == idle.end() || pool->second.empty()) return nullptr;
    std::unique_ptr<net::HttpConnection> out = std::move(pool->second.back());
    pool->second.pop_back();
    return out;
  }
  void put_idle(const std::string& label, std::unique_ptr<net::HttpConnection>&& connection) {
    std::vector<std::unique_ptr<net::HttpConnection>>& pool = idle[label];
    if (pool.size() < kMaxIdlePerTarget) pool.push_back(std::move(connection));
  }
};

// The environment's keys for the config's nodes and providers;
// kInvalidArgument naming a variable that is named but not set.
Result<std::map<std::string, std::string>> read_upstream_keys(const gateway::GatewayConfig& config);

asio::awaitable<void> handle_gateway_generation(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                                GenerationKind kind, RequestState& state);

// POST /v1/embeddings the same way: routed by model and data class to this
// node's own embedding engine, a node, or an OpenAI-compatible provider (an
// Anthropic provider has no embeddings: the next target is tried).
asio::awaitable<void> handle_gateway_embeddings(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                                RequestState& state,
                                                EmbeddingsDialect dialect = EmbeddingsDialect::kOpenAI);

// POST /v1/rerank the same way (a provider must speak the Cohere/Jina shape at <base>/rerank).
asio::awaitable<void> handle_gateway_rerank(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                            RequestState& state);

// POST /v1/ocr and /v1/audio/speech the same way: to this node's own engine,
// a node, or an OpenAI-compatible provider (the provider's answer, audio
// included, passes through as it arrives).
asio::awaitable<void> handle_gateway_ocr(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                         RequestState& state);
asio::awaitable<void> handle_gateway_speech(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                            RequestState& state);

// This node's models as the router sees them.
gateway::NodeStatus self_status(const node::ModelManager& models);

// Every model id a client of the gateway may ask for: aliases, this node's
// models and the up nodes' models, sorted, without duplicates.
std::vector<std::string> gateway_model_ids(const GatewayState& gateway, const node::ModelManager& models);

}  // namespace hearth::api
