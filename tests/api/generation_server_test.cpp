// The server with a real engine in-process: a synthesized random-weight tiny
// model behind one scheduler, driven over a loopback socket (port 0). Checks
// what only the whole path shows: whole and streamed answers, a client that
// leaves (streaming or not) frees its sequence at once, and a shutdown whose
// drain deadline passes ends a stream with an SSE error event. The engine is
// held at a StepGate (the scheduler's before_step hook, carried through the
// model manager) wherever the outcome would otherwise depend on how fast it
// generates; a client's departure is known to have landed when its request's
// access-log line (status 499) is written.
#include <gtest/gtest.h>
#include <unistd.h>

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "api/http_server.h"
#include "base/thread_pool.h"
#include "cli/synth.h"
#include "model/shape_catalog.h"
#include "node/model_files.h"
#include "node/model_manager.h"
#include "step_gate.h"

namespace hearth::api {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using nlohmann::json;

constexpr int64_t kContext = 2048;  // the tiny shape's trained context

std::string model_path() {
  return (std::filesystem::temp_directory_path() / ("hearth_api_tiny_" + std::to_string(::getpid()) + ".gguf"))
      .string();
}

class GenerationServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    cli::SynthOptions synth;
    synth.shape = model::find_shape("tiny");
    ASSERT_NE(synth.shape, nullptr);
    synth.out_path = model_path();
    ThreadPool pool(1);
    const Status written = cli::synthesize_model(synth, pool, nullptr);
    ASSERT_TRUE(written.ok()) << written.to_string();
  }
  static void TearDownTestSuite() { std::remove(model_path().c_str()); }

  // With `gated`, the model's engine waits at gate_ before every step.
  void start(int64_t drain_timeout_ms, bool gated = false) {
    node::ModelManagerOptions options;
    options.load.n_ctx = kContext;
    options.load.scheduler.max_seqs = 2;
    options.load.scheduler.n_threads = 1;
    if (gated) options.load.scheduler.before_step = gate_.hook();
    options.budget_bytes = int64_t{1} << 32;
    const std::string paths[] = {model_path()};
    auto models = node::ModelManager::create(paths, std::move(options));
    ASSERT_TRUE(models.ok()) << models.status().to_string();
    models_ = std::move(models).value();
    // Held for the test: the tests watch the model's scheduler directly.
    auto lease = models_->acquire(model_id(), std::nullopt);
    ASSERT_TRUE(lease.ok()) << lease.status().to_string();
    lease_ = std::move(lease).value();
    HttpServerOptions server_options;
    server_options.port = 0;
    server_options.handle_signals = false;
    server_options.drain_timeout_ms = drain_timeout_ms;
    server_options.shutdown_grace_ms = 500;
    server_options.access_log = [this](std::string_view line) {
      std::lock_guard lock(log_mu_);
      access_lines_.emplace_back(line);
      log_cv_.notify_all();
    };
    auto server = HttpServer::create(server_options, *models_);
    ASSERT_TRUE(server.ok()) << server.status().to_string();
    server_ = std::move(server).value();
    runner_ = std::thread([this] { run_status_ = server_->run(); });
  }

  void TearDown() override {
    if (server_) server_->shutdown();
    if (runner_.joinable()) runner_.join();
    EXPECT_TRUE(run_status_.ok()) << run_status_.to_string();
    server_.reset();
    lease_.release();
    models_.reset();
  }

  infer::Engine& engine() { return *lease_->engine; }
  std::string model_id() const { return node::model_id_from_path(model_path()); }

  beast::tcp_stream connect() {
    beast::tcp_stream stream(io_);
    stream.connect(asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), server_->port()));
    stream.expires_after(std::chrono::seconds(30));
    return stream;
  }

  void send_chat(beast::tcp_stream& stream, int64_t max_tokens, bool streamed) {
    const json body = {{"model", model_id()},
                       {"messages", {{{"role", "user"}, {"content", "Write a long essay."}}}},
                       {"max_tokens", max_tokens},
                       {"temperature", 0},
                       {"stream", streamed}};
    http::request<http::string_body> request{http::verb::post, "/v1/chat/completions", 11};
    request.set(http::field::host, "localhost");
    request.set(http::field::content_type, "application/json");
    request.body() = body.dump();
    request.prepare_payload();
    http::write(stream, request);
  }

  // Reads a streamed 200 response until its first SSE event (the role chunk,
  // written before any token): the stream is open. ASSERTs inside; check
  // HasFatalFailure.
  void read_until_streaming(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                            http::response_parser<http::string_body>& parser) {
    parser.body_limit(uint64_t{64} << 20);
    http::read_header(stream, buffer, parser);
    ASSERT_EQ(parser.get().result_int(), 200);
    while (parser.get().body().find("\n\n") == std::string::npos) {
      ASSERT_FALSE(parser.is_done());
      http::read_some(stream, buffer, parser);
    }
  }

  // Waits for an access-log line containing `fragment` (written once the
  // request's handler is done, after it cancelled its sequence).
  bool wait_for_access_line(const std::string& fragment) {
    std::unique_lock lock(log_mu_);
    return log_cv_.wait_for(lock, kGuard, [&] {
      for (const std::string& line : access_lines_) {
        if (line.find(fragment) != std::string::npos) return true;
      }
      return false;
    });
  }

  // Waits until the scheduler runs no sequence, polling its stats; false only
  // past a generous guard (a failure, never what makes a test pass).
  bool wait_idle() {
    const auto deadline = std::chrono::steady_clock::now() + kGuard;
    while (std::chrono::steady_clock::now() < deadline) {
      const infer::EngineStats stats = engine().stats();
      if (stats.n_running == 0 && stats.n_waiting == 0) return true;
      std::this_thread::yield();
    }
    return false;
  }

  static constexpr std::chrono::seconds kGuard{120};

  infer::testing::StepGate gate_;  // declared first: outlives the engine that calls it
  std::unique_ptr<node::ModelManager> models_;
  node::ModelLease lease_;
  std::unique_ptr<HttpServer> server_;
  std::thread runner_;
  Status run_status_;
  asio::io_context io_;
  std::mutex log_mu_;
  std::condition_variable log_cv_;
  std::vector<std::string> access_lines_;  // guarded by log_mu_
};

TEST_F(GenerationServerTest, WholeAndStreamedAnswersAgree) {
  start(10000);
  beast::tcp_stream stream = connect();
  send_chat(stream, 12, /*streamed=*/false);
  beast::flat_buffer buffer;
  http::response<http::string_body> whole;
  http::read(stream, buffer, whole);
  ASSERT_EQ(whole.result_int(), 200) << whole.body();
  const json body = json::parse(whole.body());
  EXPECT_EQ(body["usage"]["completion_tokens"], 12);
  const std::string text = body["choices"][0]["message"]["content"];

  send_chat(stream, 12, /*streamed=*/true);  // the same connection: keep-alive
  http::response<http::string_body> streamed;
  http::read(stream, buffer, streamed);
  ASSERT_EQ(streamed.result_int(), 200);
  EXPECT_EQ(streamed[http::field::content_type], "text/event-stream");
  std::string streamed_text;
  std::string last_data;
  size_t pos = 0;
  const std::string& sse = streamed.body();
  while ((pos = sse.find("data: ", pos)) != std::string::npos) {
    const size_t end = sse.find("\n\n", pos);
    ASSERT_NE(end, std::string::npos);
    last_data = sse.substr(pos + 6, end - pos - 6);
    if (last_data != "[DONE]") {
      const json chunk = json::parse(last_data);
      const json& delta = chunk["choices"][0]["delta"];
      if (delta.contains("content")) streamed_text += delta["content"].get<std::string>();
    }
    pos = end + 2;
  }
  EXPECT_EQ(last_data, "[DONE]");
  EXPECT_EQ(streamed_text, text);
}

// What the tests below rely on: greedy decoding of this prompt by this model
// never samples an end-of-generation token, so only a cancel ends it early.
TEST_F(GenerationServerTest, LongAnswerRunsToItsLimit) {
  start(10000);
  beast::tcp_stream stream = connect();
  send_chat(stream, 600, /*streamed=*/false);
  beast::flat_buffer buffer;
  http::response<http::string_body> response;
  http::read(stream, buffer, response);
  ASSERT_EQ(response.result_int(), 200) << response.body();
  const json body = json::parse(response.body());
  EXPECT_EQ(body["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(body["usage"]["completion_tokens"], 600);
}

// The engine runs two steps (two tokens), the client leaves while it is held,
// and the next step frees the sequence: exactly two tokens were generated.
TEST_F(GenerationServerTest, ClientLeavingMidStreamCancelsItsSequence) {
  start(10000, /*gated=*/true);
  const int64_t generated_before = engine().stats().n_generated_tokens_total;
  {
    beast::tcp_stream stream = connect();
    send_chat(stream, kContext - 64, /*streamed=*/true);
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    read_until_streaming(stream, buffer, parser);
    ASSERT_FALSE(HasFatalFailure());
    gate_.run_steps(2);
  }  // closed mid-stream
  ASSERT_TRUE(wait_for_access_line("\"status\":499"));
  gate_.open();
  EXPECT_TRUE(wait_idle());
  EXPECT_EQ(engine().stats().n_generated_tokens_total - generated_before, 2);
}

TEST_F(GenerationServerTest, ClientLeavingBeforeAWholeAnswerCancelsItsSequence) {
  start(10000, /*gated=*/true);
  const int64_t generated_before = engine().stats().n_generated_tokens_total;
  {
    beast::tcp_stream stream = connect();
    send_chat(stream, kContext - 64, /*streamed=*/false);
    gate_.run_steps(2);  // returns once the request is submitted and two tokens are out
    EXPECT_EQ(engine().stats().n_running, 1);
  }  // closed while the answer is being generated
  ASSERT_TRUE(wait_for_access_line("\"status\":499"));
  gate_.open();
  EXPECT_TRUE(wait_idle());
  EXPECT_EQ(engine().stats().n_generated_tokens_total - generated_before, 2);
}

// Held at the gate, the sequence is still running when the drain deadline
// (0 ms) passes; the drain's cancel releases the gate.
TEST_F(GenerationServerTest, ShutdownPastTheDrainDeadlineEndsTheStreamWithAnError) {
  start(/*drain_timeout_ms=*/0, /*gated=*/true);
  beast::tcp_stream stream = connect();
  send_chat(stream, kContext - 64, /*streamed=*/true);
  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  read_until_streaming(stream, buffer, parser);
  ASSERT_FALSE(HasFatalFailure());
  gate_.run_steps(2);
  server_->shutdown();
  beast::error_code error;
  while (!parser.is_done() && !error) http::read_some(stream, buffer, parser, error);
  const std::string& sse = parser.get().body();
  const size_t last = sse.rfind("data: ");
  ASSERT_NE(last, std::string::npos);
  const json event = json::parse(sse.substr(last + 6));
  ASSERT_TRUE(event.contains("error")) << event.dump();
  EXPECT_EQ(event["error"]["code"], "server_shutting_down");
  EXPECT_EQ(sse.find("[DONE]"), std::string::npos);
  runner_.join();
  EXPECT_TRUE(run_status_.ok());
}

}  // namespace
}  // namespace hearth::api
