// The gateway's promise, end to end over real sockets: across many random
// configurations (nodes, providers, aliases, policies), node failures and
// request classes, no confidential request ever reaches a cloud provider, and
// no request reaches a provider its class may not use. One loopback mock plays
// every node and every provider and records each request it receives.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "api/http_server.h"
#include "cli/state_db.h"
#include "gateway/gateway_config.h"
#include "ledger/egress_ledger.h"
#include "node/model_manager.h"

namespace hearth::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

// Serves /nodeN/hearth/v1/status, /nodeN/v1/chat/completions and
// /cloudN/v1/chat/completions. A node that is "down" answers nothing but 503.
class FleetMock {
 public:
  FleetMock() : acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    thread_ = std::thread([this] { accept_loop(); });
  }
  ~FleetMock() {
    stopping_ = true;
    boost::system::error_code ignored;
    // Wake the blocking accept with a connection of our own.
    asio::ip::tcp::socket poke(io_);
    poke.connect(acceptor_.local_endpoint(), ignored);
    thread_.join();
    for (std::thread& worker : workers_) worker.join();
  }

  std::string url(const std::string& prefix) const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + "/" + prefix;
  }
  void set_down(std::set<std::string> down) {
    std::lock_guard lock(mutex_);
    down_ = std::move(down);
  }
  // Chat requests each prefix received since the last call.
  std::map<std::string, int> take_chats() {
    std::lock_guard lock(mutex_);
    return std::exchange(chats_, {});
  }
  // Forgets the status requests counted so far.
  void reset_polls() {
    std::lock_guard lock(mutex_);
    polls_.clear();
  }
  // Waits until `prefix` was asked for its status `n` times since
  // reset_polls(). A gateway polls each node one request after another, so the
  // second request proves the answer to the first was taken in. False only
  // past a generous guard.
  bool wait_for_polls(const std::string& prefix, int n) {
    std::unique_lock lock(mutex_);
    return polled_.wait_for(lock, std::chrono::seconds(60), [&] { return polls_[prefix] >= n; });
  }

 private:
  void accept_loop() {
    while (!stopping_) {
      asio::ip::tcp::socket socket(io_);
      boost::system::error_code error;
      acceptor_.accept(socket, error);
      if (error || stopping_) break;
      workers_.emplace_back([this, socket = std::move(socket)]() mutable { serve(std::move(socket)); });
    }
  }

  void serve(asio::ip::tcp::socket socket) {
    beast::flat_buffer buffer;
    for (;;) {
      http::request<http::string_body> request;
      boost::system::error_code error;
      http::read(socket, buffer, request, error);
      if (error) return;
      const std::string target(request.target());
      const std::string prefix = target.substr(1, target.find('/', 1) - 1);
      http::response<http::string_body> response{http::status::ok, 11};
      response.set(http::field::content_type, "application/json");
      {
        std::lock_guard lock(mutex_);
        if (target.find("/hearth/v1/status") != std::string::npos) {
          ++polls_[prefix];
          polled_.notify_all();
        }
        if (down_.count(prefix) != 0) {
          response.result(http::status::service_unavailable);
          response.body() = R"({"error":{"message":"down","type":"server_error"}})";
        } else if (target.find("/hearth/v1/status") != std::string::npos) {
          response.body() = R"({"object":"hearth.status","models":[{"id":"m","state":"resident","fits_budget":true}]})";
        } else {
          ++chats_[prefix];
          response.body() =
              R"({"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}})";
        }
      }
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      http::write(socket, response, error);
      if (error || !request.keep_alive()) return;
    }
  }

  asio::io_context io_;
  asio::ip::tcp::acceptor acceptor_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::set<std::string> down_;        // guarded by mutex_
  std::map<std::string, int> chats_;  // guarded by mutex_
  std::map<std::string, int> polls_;  // guarded by mutex_: status requests per prefix
  std::condition_variable polled_;
};

int post_chat(uint16_t port, const std::string& model, const std::string& data_class) {
  asio::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  stream.expires_after(std::chrono::seconds(20));
  http::request<http::string_body> request{http::verb::post, "/v1/chat/completions", 11};
  request.set(http::field::host, "localhost");
  request.set(http::field::content_type, "application/json");
  request.set("X-Hearth-Data-Class", data_class);
  request.body() = R"({"model":")" + model + R"(","messages":[{"role":"user","content":"hi"}],"max_tokens":2})";
  request.prepare_payload();
  http::write(stream, request);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  return response.result_int();
}

TEST(GatewayPropertyTest, NoConfidentialRequestEverReachesTheCloud) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("hearth_gateway_property_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto db = cli::open_state_db((dir / "hearth.db").string());
  ASSERT_TRUE(db.ok()) << db.status().to_string();
  auto egress = ledger::EgressLedger::open(**db);
  ASSERT_TRUE(egress.ok());
  node::ModelManagerOptions manager_options;
  manager_options.budget_bytes = int64_t{1} << 30;
  auto models = node::ModelManager::create({}, std::move(manager_options));
  ASSERT_TRUE(models.ok());

  FleetMock mock;
  std::mt19937_64 rng(1126);
  const char* classes[] = {"public", "internal", "confidential"};
  int n_cloud_answers = 0;
  int n_confidential_refused = 0;
  int n_requests = 0;
  // 150 configurations by default (about 15 s); HEARTH_PROPERTY_TRIALS=2000 for a longer run.
  const char* trials_env = std::getenv("HEARTH_PROPERTY_TRIALS");
  const int n_trials = trials_env != nullptr ? std::max(1, std::atoi(trials_env)) : 150;
  for (int trial = 0; trial < n_trials; ++trial) {
    auto config = std::make_shared<gateway::GatewayConfig>();
    config->settings.poll_interval_ms = 20;
    config->settings.down_after = 1;
    std::set<std::string> down;
    const size_t n_nodes = rng() % 3;
    for (size_t node_idx = 0; node_idx < n_nodes; ++node_idx) {
      const std::string prefix = "node" + std::to_string(node_idx);
      config->nodes.push_back({prefix, mock.url(prefix), ""});
      if (rng() % 2 == 0) down.insert(prefix);  // a node that fails
    }
    const size_t n_providers = 1 + rng() % 3;
    gateway::ModelRoute alias{"chat", rng() % 3 == 0 ? "" : "m", {}};
    for (size_t provider_idx = 0; provider_idx < n_providers; ++provider_idx) {
      const std::string prefix = "cloud" + std::to_string(provider_idx);
      config->providers.push_back(
          {prefix, gateway::ProviderKind::kOpenAiCompatible, mock.url(prefix) + "/v1", "", 0, 0});
      alias.cloud.push_back({prefix, "remote"});
      if (rng() % 4 == 0) down.insert(prefix);  // a provider that fails
    }
    config->aliases.push_back(alias);
    config->policy.default_class = gateway::DataClass::kPublic;
    for (gateway::DataClass data_class : {gateway::DataClass::kPublic, gateway::DataClass::kInternal}) {
      std::vector<std::string> allowed = {"local"};
      for (const gateway::Provider& provider : config->providers) {
        if (rng() % 2 == 0) allowed.push_back(provider.name);
      }
      config->policy.allowed[data_class] = allowed;
    }
    // What the parser would refuse, to prove the server refuses it too.
    if (rng() % 2 == 0) config->policy.allowed[gateway::DataClass::kConfidential] = {"local", "cloud0"};
    mock.set_down(down);
    mock.take_chats();
    mock.reset_polls();  // the previous trial's server stopped polling when it shut down

    HttpServerOptions options;
    options.port = 0;
    options.handle_signals = false;
    options.access_log = [](std::string_view) {};
    options.gateway = config;
    options.egress = &*egress;
    auto server = HttpServer::create(options, **models);
    ASSERT_TRUE(server.ok()) << server.status().to_string();
    Status run_status;
    std::thread runner([&] { run_status = (*server)->run(); });
    // Every node's first status answer is in before the first request.
    for (const gateway::NodeTarget& node : config->nodes) ASSERT_TRUE(mock.wait_for_polls(node.name, 2)) << node.name;

    for (int request_idx = 0; request_idx < 4; ++request_idx) {
      const std::string data_class = classes[rng() % 3];
      const int status = post_chat((*server)->port(), rng() % 4 == 0 ? "m" : "chat", data_class);
      ++n_requests;
      int n_cloud = 0;
      for (const auto& [prefix, count] : mock.take_chats()) {
        if (prefix.rfind("cloud", 0) != 0) continue;
        n_cloud += count;
        const gateway::DataClass parsed = *gateway::parse_data_class(data_class);
        ASSERT_NE(parsed, gateway::DataClass::kConfidential)
            << "trial " << trial << ": confidential reached " << prefix;
        const auto& allowed = config->policy.allowed[parsed];
        ASSERT_NE(std::find(allowed.begin(), allowed.end(), prefix), allowed.end())
            << "trial " << trial << ": " << data_class << " reached " << prefix;
      }
      if (n_cloud > 0 && status == 200) ++n_cloud_answers;
      if (data_class == "confidential" && status == 503) ++n_confidential_refused;
    }
    (*server)->shutdown();
    runner.join();
    ASSERT_TRUE(run_status.ok());
  }
  // Not vacuous: the cloud answered often, and confidential requests were refused often.
  EXPECT_GT(n_cloud_answers, n_requests / 10);
  EXPECT_GT(n_confidential_refused, n_requests / 20);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hearth::api
