// The server over a loopback socket (port 0), with no model loaded: routing,
// the error statuses HTTP itself decides (404, 405, 413, 400), keep-alive,
// 100-continue, the access log and shutdown. Generation is tested end to end
// by tests/api/*.mjs against the built binary.
#include "api/http_server.h"

#include <gtest/gtest.h>

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
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
    };
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
    for (const auto& [name, value] : headers) request.set(name, value);
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
  std::vector<std::string> log_lines_;
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
  // The line is written after the response; give the I/O thread a moment.
  for (int attempt = 0; attempt < 100 && log_lines().size() < 3; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
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

}  // namespace
}  // namespace hearth::api
