// The server over a loopback socket (port 0), with no model loaded: routing,
// the error statuses HTTP itself decides (404, 405, 413, 400), keep-alive,
// 100-continue, the access log and shutdown; the policy headers and API keys. Generation is tested end to end
// by tests/api/*.mjs against the built binary.
#include "api/http_server.h"

#include <gtest/gtest.h>

#include "gateway/api_keys.h"
#include "db/sqlite_db.h"
#include "temp_dir.h"

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

namespace hearth::api {
namespace {

// A manager that serves no model (a server's own tests need nothing more).
std::unique_ptr<node::ModelManager> no_models() {
  node::ModelManagerOptions options;
  options.budget_bytes = int64_t{1} << 30;
  return std::move(node::ModelManager::create({}, std::move(options))).value();
}

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;

constexpr int64_t kMaxBodyBytes = 1024;

class HttpServerTest : public ::testing::Test {
 protected:
  // Derived fixtures change the options (keys, host) before the server starts.
  virtual void configure(HttpServerOptions& /*options*/) {}

  void SetUp() override {
    HttpServerOptions options;
    options.port = 0;
    options.max_body_bytes = kMaxBodyBytes;
    options.handle_signals = false;
    options.id_seed = 1;
    options.shutdown_grace_ms = 200;
    options.access_log = [this](std::string_view line) {
      std::lock_guard lock(log_mutex_);
      log_lines_.emplace_back(line);
      log_cv_.notify_all();
    };
    configure(options);
    auto server = HttpServer::create(options, *models_);
    ASSERT_TRUE(server.ok()) << server.status().to_string();
    server_ = std::move(server).value();
    ASSERT_NE(server_->port(), 0);
    runner_ = std::thread([this] { run_status_ = server_->run(); });
  }

  void TearDown() override {
    if (server_) server_->shutdown();
    if (runner_.joinable()) runner_.join();
    EXPECT_TRUE(run_status_.ok()) << run_status_.to_string();
  }

  beast::tcp_stream connect() {
    beast::tcp_stream stream(io_);
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    stream.expires_after(std::chrono::seconds(10));
    return stream;
  }

  // One request on `stream`; the response, or a default one if the read failed.
  http::response<http::string_body> exchange(beast::tcp_stream& stream, http::verb method, const std::string& target,
                                             const std::string& body = "",
                                             const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    http::request<http::string_body> request{method, target, 11};
    request.set(http::field::host, "localhost");
    for (const auto& [name, value] : headers) request.insert(name, value);  // a name twice is sent twice
    if (method == http::verb::post) request.set(http::field::content_type, "application/json");
    request.body() = body;
    request.prepare_payload();
    http::write(stream, request);
    beast::flat_buffer buffer;
    http::response<http::string_body> response;
    beast::error_code error;
    http::read(stream, buffer, response, error);
    EXPECT_FALSE(error) << error.message();
    return response;
  }

  http::response<http::string_body> request(http::verb method, const std::string& target, const std::string& body = "",
                                            const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    beast::tcp_stream stream = connect();
    return exchange(stream, method, target, body, headers);
  }

  // The error object of an OpenAI error response, checked for its shape.
  static json error_of(const http::response<http::string_body>& response) {
    EXPECT_EQ(response[http::field::content_type], "application/json");
    const json body = json::parse(response.body());
    EXPECT_TRUE(body.contains("error")) << response.body();
    const json& error = body["error"];
    for (const char* key : {"message", "type", "param", "code"}) EXPECT_TRUE(error.contains(key)) << key;
    EXPECT_TRUE(error["message"].is_string());
    EXPECT_TRUE(error["type"].is_string());
    return error;
  }

  // Waits until `n` access-log lines were written (each after its response);
  // false only past a generous guard.
  bool wait_for_log_lines(size_t n) {
    std::unique_lock lock(log_mutex_);
    return log_cv_.wait_for(lock, std::chrono::seconds(60), [&] { return log_lines_.size() >= n; });
  }

  std::vector<json> log_lines() {
    std::lock_guard lock(log_mutex_);
    std::vector<json> out;
    for (const std::string& line : log_lines_) {
      EXPECT_EQ(line.back(), '\n');
      out.push_back(json::parse(line));
    }
    return out;
  }

  std::unique_ptr<node::ModelManager> models_ = no_models();
  std::unique_ptr<HttpServer> server_;
  std::thread runner_;
  Status run_status_;
  asio::io_context io_;
  std::mutex log_mutex_;
  std::condition_variable log_cv_;
  std::vector<std::string> log_lines_;  // guarded by log_mutex_
};

TEST_F(HttpServerTest, Health) {
  const auto response = request(http::verb::get, "/health");
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(json::parse(response.body()), json({{"status", "ok"}}));
  EXPECT_EQ(response[http::field::content_type], "application/json");
  EXPECT_EQ(response["X-Request-Id"].substr(0, 4), "req-");
}

TEST_F(HttpServerTest, ModelListOfAnEmptyRegistry) {
  const auto response = request(http::verb::get, "/v1/models");
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(json::parse(response.body()), json({{"object", "list"}, {"data", json::array()}}));
}

TEST_F(HttpServerTest, UnknownModelIs404ModelNotFound) {
  const auto response = request(http::verb::get, "/v1/models/nope");
  EXPECT_EQ(response.result_int(), 404);
  EXPECT_EQ(error_of(response)["code"], "model_not_found");

  const std::string chat = R"({"model":"nope","messages":[{"role":"user","content":"hi"}]})";
  const auto generation = request(http::verb::post, "/v1/chat/completions", chat);
  EXPECT_EQ(generation.result_int(), 404);
  EXPECT_EQ(error_of(generation)["param"], "model");
  EXPECT_EQ(generation["X-Request-Id"].substr(0, 9), "chatcmpl-");
  const auto completion = request(http::verb::post, "/v1/completions", R"({"model":"nope","prompt":"x"})");
  EXPECT_EQ(completion.result_int(), 404);
}

TEST_F(HttpServerTest, UnknownRouteIs404AndWrongMethodIs405) {
  const auto unknown = request(http::verb::get, "/v2/everything");
  EXPECT_EQ(unknown.result_int(), 404);
  EXPECT_EQ(error_of(unknown)["type"], "invalid_request_error");
  const auto wrong = request(http::verb::get, "/v1/chat/completions");
  EXPECT_EQ(wrong.result_int(), 405);
  EXPECT_EQ(wrong[http::field::allow], "POST");
  error_of(wrong);
  EXPECT_EQ(request(http::verb::post, "/health").result_int(), 405);
}

TEST_F(HttpServerTest, MalformedJsonAndBadFieldsAre400) {
  const auto malformed = request(http::verb::post, "/v1/chat/completions", "{\"model\": ");
  EXPECT_EQ(malformed.result_int(), 400);
  error_of(malformed);
  const auto bad_field = request(http::verb::post, "/v1/chat/completions",
                                 R"({"model":"x","messages":[{"role":"user","content":"hi"}],"temperature":"hot"})");
  EXPECT_EQ(bad_field.result_int(), 400);
  EXPECT_EQ(error_of(bad_field)["param"], "temperature");
}

TEST_F(HttpServerTest, BadPriorityHeaderIs400) {
  const std::string chat = R"({"model":"x","messages":[{"role":"user","content":"hi"}]})";
  const auto response = request(http::verb::post, "/v1/chat/completions", chat, {{"X-Hearth-Priority", "urgent"}});
  EXPECT_EQ(response.result_int(), 400);
  EXPECT_NE(error_of(response)["message"].get<std::string>().find("X-Hearth-Priority"), std::string::npos);
  // A valid priority goes on to the model lookup.
  EXPECT_EQ(request(http::verb::post, "/v1/chat/completions", chat, {{"X-Hearth-Priority", "Batch"}}).result_int(),
            404);
}

TEST_F(HttpServerTest, BodyOverTheLimitIs413AndClosesTheConnection) {
  beast::tcp_stream stream = connect();
  const auto response = exchange(stream, http::verb::post, "/v1/completions", std::string(kMaxBodyBytes + 1, 'x'));
  EXPECT_EQ(response.result_int(), 413);
  EXPECT_EQ(error_of(response)["type"], "invalid_request_error");
  EXPECT_FALSE(response.keep_alive());
  // A body exactly at the limit is read (and is then just malformed JSON).
  EXPECT_EQ(request(http::verb::post, "/v1/completions", std::string(kMaxBodyBytes, 'x')).result_int(), 400);
}

TEST_F(HttpServerTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  beast::tcp_stream stream = connect();
  for (int request_idx = 0; request_idx < 3; ++request_idx) {
    const auto response = exchange(stream, http::verb::get, "/health");
    EXPECT_EQ(response.result_int(), 200);
    EXPECT_TRUE(response.keep_alive());
  }
  const auto error = exchange(stream, http::verb::post, "/v1/chat/completions", "nope");
  EXPECT_EQ(error.result_int(), 400);
  EXPECT_TRUE(error.keep_alive());  // a 400 does not cost the connection
  EXPECT_EQ(exchange(stream, http::verb::get, "/v1/models").result_int(), 200);
}

TEST_F(HttpServerTest, AnswersExpect100Continue) {
  beast::tcp_stream stream = connect();
  const std::string body = R"({"model":"nope","prompt":"x"})";
  const std::string head =
      "POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
      "Expect: 100-continue\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n";
  asio::write(stream, asio::buffer(head));
  beast::flat_buffer buffer;
  http::response<http::empty_body> go_on;
  http::read(stream, buffer, go_on);
  EXPECT_EQ(go_on.result_int(), 100);
  asio::write(stream, asio::buffer(body));
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  EXPECT_EQ(response.result_int(), 404);
}

TEST_F(HttpServerTest, MalformedHttpIs400) {
  beast::tcp_stream stream = connect();
  asio::write(stream, asio::buffer(std::string("NOT HTTP AT ALL\r\n\r\n")));
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  beast::error_code error;
  http::read(stream, buffer, response, error);
  ASSERT_FALSE(error) << error.message();
  EXPECT_EQ(response.result_int(), 400);
}

TEST_F(HttpServerTest, LogsOneJsonLinePerRequest) {
  request(http::verb::get, "/health");
  request(http::verb::get, "/v1/models/ghost");
  request(http::verb::post, "/v1/completions", R"({"model":"ghost","prompt":"x"})", {{"X-Hearth-Priority", "batch"}});
  // The line is written after the response, on the server's I/O thread.
  ASSERT_TRUE(wait_for_log_lines(3));
  const std::vector<json> lines = log_lines();
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["route"], "/health");
  EXPECT_EQ(lines[0]["method"], "GET");
  EXPECT_EQ(lines[0]["status"], 200);
  EXPECT_EQ(lines[1]["route"], "/v1/models/{id}");
  EXPECT_EQ(lines[1]["status"], 404);
  EXPECT_EQ(lines[2]["route"], "/v1/completions");
  EXPECT_EQ(lines[2]["status"], 404);
  EXPECT_EQ(lines[2]["priority"], "batch");
  EXPECT_EQ(lines[2]["id"].get<std::string>().substr(0, 5), "cmpl-");
  for (const json& line : lines) {
    for (const char* key : {"ts", "id", "method", "route", "model", "status", "prompt_tokens", "completion_tokens",
                            "cached_tokens", "ttft_ms", "total_ms", "priority"}) {
      EXPECT_TRUE(line.contains(key)) << key;
    }
  }
}

TEST_F(HttpServerTest, MetricsCountAnsweredRequestsInPrometheusText) {
  request(http::verb::get, "/v1/models");
  request(http::verb::get, "/v1/models");
  request(http::verb::get, "/v1/models/ghost");
  request(http::verb::get, "/no/such/route");
  // Counted with the access-log line, after each response.
  ASSERT_TRUE(wait_for_log_lines(4));
  const auto response = request(http::verb::get, "/metrics");
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response[http::field::content_type], "text/plain; version=0.0.4; charset=utf-8");
  const std::string& text = response.body();
  for (const std::string line : {
           "# TYPE hearth_http_requests_total counter",
           R"(hearth_http_requests_total{route="/v1/models",model="",status="200"} 2)",
           R"(hearth_http_requests_total{route="/v1/models/{id}",model="",status="404"} 1)",
           R"(hearth_http_requests_total{route="_unmatched",model="",status="404"} 1)",
           "hearth_models_resident 0",
       }) {
    EXPECT_NE(("\n" + text).find("\n" + line + "\n"), std::string::npos) << line << "\nin:\n" << text;
  }
  EXPECT_EQ(request(http::verb::post, "/metrics").result_int(), 405);
}

TEST_F(HttpServerTest, ShutdownClosesIdleKeepAliveConnections) {
  beast::tcp_stream stream = connect();
  EXPECT_EQ(exchange(stream, http::verb::get, "/health").result_int(), 200);
  server_->shutdown();
  runner_.join();  // returns although a client still holds a connection open
  EXPECT_TRUE(run_status_.ok());
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  beast::error_code error;
  http::read(stream, buffer, response, error);
  EXPECT_TRUE(error);  // the server closed it
}

TEST_F(HttpServerTest, RepeatedPolicyHeadersAre400) {
  const std::string chat = R"({"model":"x","messages":[{"role":"user","content":"hi"}]})";
  const std::vector<std::vector<std::pair<std::string, std::string>>> repeated = {
      {{"X-Hearth-Data-Class", "public"}, {"X-Hearth-Data-Class", "confidential"}},
      {{"X-Hearth-Data-Class", "confidential"}, {"x-hearth-data-class", "confidential"}},
      {{"X-Hearth-Priority", "batch"}, {"X-Hearth-Priority", "interactive"}},
      {{"Authorization", "Bearer a"}, {"Authorization", "Bearer b"}},
      {{"x-api-key", "a"}, {"X-Api-Key", "b"}},
      {{"Authorization", "Bearer a"}, {"x-api-key", "b"}},
  };
  for (const auto& headers : repeated) {
    const auto response = request(http::verb::post, "/v1/chat/completions", chat, headers);
    EXPECT_EQ(response.result_int(), 400) << headers[0].first;
    const json error = error_of(response);
    EXPECT_EQ(error["code"], "duplicate_header") << error.dump();
    // On every route that reads them, not only generation.
    EXPECT_EQ(request(http::verb::get, "/v1/models", "", headers).result_int(), 400) << headers[0].first;
  }
  // The same key in both places is one key.
  EXPECT_EQ(
      request(http::verb::get, "/v1/models", "", {{"Authorization", "Bearer a"}, {"x-api-key", "a"}}).result_int(),
      200);
}

TEST_F(HttpServerTest, APlainNodeChecksTheDataClassHeader) {
  const std::string chat = R"({"model":"x","messages":[{"role":"user","content":"hi"}]})";
  const auto secret = request(http::verb::post, "/v1/chat/completions", chat, {{"X-Hearth-Data-Class", "secret"}});
  EXPECT_EQ(secret.result_int(), 400);
  EXPECT_EQ(error_of(secret)["code"], "invalid_data_class");
  // A valid class goes on to the model lookup.
  EXPECT_EQ(
      request(http::verb::post, "/v1/chat/completions", chat, {{"X-Hearth-Data-Class", " Confidential "}}).result_int(),
      404);
}

TEST_F(HttpServerTest, NumbersBeyondADoubleAre400NamingTheField) {
  for (const auto& [field, number] : std::vector<std::pair<std::string, std::string>>{
           {"max_tokens", "1e400"}, {"temperature", "1e999"}, {"top_p", "-1e400"}}) {
    for (const char* route : {"/v1/chat/completions", "/v1/completions", "/v1/messages"}) {
      const std::string body =
          R"({"model":"x","prompt":"a","messages":[{"role":"user","content":"hi"}],")" + field + "\":" + number + "}";
      const auto response = request(http::verb::post, route, body);
      EXPECT_EQ(response.result_int(), 400) << route << " " << field;
      const json body_json = json::parse(response.body());
      const json& error = body_json.contains("error") ? body_json["error"] : body_json;
      const std::string text = body_json.dump();
      EXPECT_NE(text.find(field), std::string::npos) << text;
      EXPECT_EQ(text.find("json.exception"), std::string::npos) << text;
      EXPECT_FALSE(error.is_null());
    }
  }
}

// A server with hearth.db's keys: one key, "alice", made before it starts.
class HttpServerKeysTest : public HttpServerTest {
 protected:
  void configure(HttpServerOptions& options) override {
    ASSERT_TRUE(dir_.ok());
    auto db = db::Database::open(dir_.file("hearth.db"));
    ASSERT_TRUE(db.ok()) << db.status().to_string();
    db_ = std::move(db).value();
    ASSERT_TRUE(db_->migrate(gateway::api_key_migrations()).ok());
    auto keys = gateway::KeyStore::open(*db_);
    ASSERT_TRUE(keys.ok()) << keys.status().to_string();
    keys_ = std::move(keys).value();
    gateway::KeySpec spec;
    spec.name = "alice";
    spec.data_class = gateway::DataClass::kInternal;
    auto created = keys_->create(spec);
    ASSERT_TRUE(created.ok()) << created.status().to_string();
    alice_ = created->secret;
    options.keys = keys_.get();
    options.require_keys = require_keys_;
  }

  std::vector<std::pair<std::string, std::string>> bearer(const std::string& token) {
    return {{"Authorization", "Bearer " + token}};
  }

  bool require_keys_ = true;
  test::TempDir dir_;
  std::unique_ptr<db::Database> db_;
  std::unique_ptr<gateway::KeyStore> keys_;
  std::string alice_;
};

TEST_F(HttpServerKeysTest, RevokingTheLastKeyRefusesEveryRequest) {
  EXPECT_TRUE(server_->keys_required());
  EXPECT_EQ(request(http::verb::get, "/v1/models").result_int(), 401);
  EXPECT_EQ(request(http::verb::get, "/v1/models", "", bearer(alice_)).result_int(), 200);
  EXPECT_EQ(request(http::verb::get, "/v1/models", "", {{"x-api-key", alice_}}).result_int(), 200);
  ASSERT_TRUE(keys_->revoke("alice").ok());
  ASSERT_FALSE(keys_->has_active_keys());
  // No key is left: nobody gets in, rather than everybody.
  const auto anonymous = request(http::verb::get, "/v1/models");
  EXPECT_EQ(anonymous.result_int(), 401);
  EXPECT_EQ(error_of(anonymous)["code"], "invalid_api_key");
  EXPECT_EQ(request(http::verb::get, "/v1/models", "", bearer(alice_)).result_int(), 401);
  EXPECT_EQ(request(http::verb::post, "/v1/chat/completions", "{}").result_int(), 401);
  EXPECT_EQ(request(http::verb::get, "/health").result_int(), 200);
}

TEST_F(HttpServerKeysTest, MetricsNeedAKeyWhenKeysAreRequired) {
  EXPECT_EQ(request(http::verb::get, "/metrics").result_int(), 401);
  const auto allowed = request(http::verb::get, "/metrics", "", bearer(alice_));
  EXPECT_EQ(allowed.result_int(), 200);
  EXPECT_NE(allowed.body().find("\nhearth_models_resident 0\n"), std::string::npos) << allowed.body();
}

class HttpServerOptionalKeysTest : public HttpServerKeysTest {
 protected:
  void configure(HttpServerOptions& options) override {
    require_keys_ = false;
    HttpServerKeysTest::configure(options);
  }
};

TEST_F(HttpServerOptionalKeysTest, OnLoopbackAKeyIsOptionalButMustBeValidWhenSent) {
  EXPECT_FALSE(server_->keys_required());
  EXPECT_EQ(request(http::verb::get, "/v1/models").result_int(), 200);
  // The placeholder an SDK insists on is no hearth key: ignored.
  EXPECT_EQ(request(http::verb::get, "/v1/models", "", bearer("sk-no-key-needed")).result_int(), 200);
  EXPECT_EQ(request(http::verb::get, "/v1/models", "", bearer(alice_)).result_int(), 200);
  // A hearth key that is not (or no longer) valid is refused, never served anonymously.
  EXPECT_EQ(request(http::verb::get, "/v1/models", "", bearer("hk-" + std::string(40, 'x'))).result_int(), 401);
  ASSERT_TRUE(keys_->revoke("alice").ok());
  EXPECT_EQ(request(http::verb::get, "/v1/models", "", bearer(alice_)).result_int(), 401);
}

TEST(HttpServerCreateTest, RefusesAPortInUseAndBadOptions) {
  std::unique_ptr<node::ModelManager> models = no_models();
  HttpServerOptions options;
  options.port = 0;
  options.handle_signals = false;
  auto first = HttpServer::create(options, *models);
  ASSERT_TRUE(first.ok());
  options.port = (*first)->port();
  auto second = HttpServer::create(options, *models);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), ErrorCode::kIo);
  EXPECT_NE(second.status().message().find(std::to_string(options.port)), std::string::npos);

  HttpServerOptions bad;
  bad.port = 0;
  bad.max_body_bytes = 0;
  EXPECT_EQ(HttpServer::create(bad, *models).status().code(), ErrorCode::kInvalidArgument);
  HttpServerOptions not_an_address;  // numeric-looking hosts are not looked up in DNS
  not_an_address.port = 0;
  not_an_address.host = "300.1.2.3";
  EXPECT_FALSE(HttpServer::create(not_an_address, *models).ok());
}

TEST(HttpServerCreateTest, UrlNamesTheBoundPort) {
  std::unique_ptr<node::ModelManager> models = no_models();
  HttpServerOptions options;
  options.port = 0;
  options.handle_signals = false;
  auto server = HttpServer::create(options, *models);
  ASSERT_TRUE(server.ok());
  EXPECT_EQ((*server)->url(), "http://127.0.0.1:" + std::to_string((*server)->port()));
}

TEST(HttpServerCreateTest, AnAddressOffLoopbackRequiresKeys) {
  auto models = no_models();
  HttpServerOptions options;
  options.host = "0.0.0.0";
  options.port = 0;
  options.handle_signals = false;
  // Without a key store there is nothing to check keys against: refused.
  auto without_keys = HttpServer::create(options, *models);
  ASSERT_FALSE(without_keys.ok());
  EXPECT_NE(without_keys.status().message().find("API keys"), std::string::npos);

  test::TempDir dir;
  ASSERT_TRUE(dir.ok());
  auto db = db::Database::open(dir.file("hearth.db"));
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE((*db)->migrate(gateway::api_key_migrations()).ok());
  auto keys = gateway::KeyStore::open(**db);
  ASSERT_TRUE(keys.ok());
  options.keys = keys->get();
  auto server = HttpServer::create(options, *models);
  ASSERT_TRUE(server.ok()) << server.status().to_string();
  EXPECT_TRUE((*server)->keys_required());

  options.host = "127.0.0.1";
  auto loopback = HttpServer::create(options, *models);
  ASSERT_TRUE(loopback.ok()) << loopback.status().to_string();
  EXPECT_FALSE((*loopback)->keys_required());
}

}  // namespace
}  // namespace hearth::api
