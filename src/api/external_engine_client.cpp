#include "api/external_engine_client.h"

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <thread>

#include "net/http_connection.h"

namespace hearth::api {
namespace {

namespace asio = net::asio;
namespace http = net::http;
using nlohmann::json;

constexpr int64_t kCancelPollMs = 50;
constexpr int64_t kConnectTimeoutMs = 5000;
constexpr size_t kMaxLineBytes = size_t{1} << 20;
constexpr size_t kMaxErrorBodyBytes = size_t{64} << 10;

std::string engine_url(int port) { return "http://127.0.0.1:" + std::to_string(port); }

json request_body(const node::ExternalGeneration& generation) {
  json body;
  body["model"] = generation.served_model;
  if (generation.prompt_form == node::ExternalPromptForm::kTokens) {
    body["prompt"] = generation.prompt_ids;
  } else {
    body["prompt"] = generation.prompt_text;
  }
  body["max_tokens"] = generation.max_tokens;
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  const infer::SamplingParams& sampling = generation.sampling;
  body["temperature"] = sampling.temperature;
  body["top_p"] = sampling.top_p;
  body["seed"] = sampling.seed & 0xffffffffULL;  // llama-server's seed is 32 bits
  body["frequency_penalty"] = sampling.frequency_penalty;
  body["presence_penalty"] = sampling.presence_penalty;
  if (generation.n_top_logprobs >= 0) body["logprobs"] = generation.n_top_logprobs;
  if (generation.kind == node::ExternalEngineKind::kLlamaServer) {
    body["top_k"] = sampling.top_k;
    body["min_p"] = sampling.min_p;
    body["repeat_penalty"] = sampling.repeat_penalty;
    body["repeat_last_n"] = sampling.repeat_last_n;
    body["ignore_eos"] = generation.ignore_eos;
    body["cache_prompt"] = true;
    if (generation.n_top_logprobs >= 0) body["n_probs"] = std::max(1, generation.n_top_logprobs);
  }
  return body;
}

// A token's bytes: the "bytes" array when present, else its text.
std::string token_bytes(const json& entry) {
  if (const auto bytes = entry.find("bytes"); bytes != entry.end() && bytes->is_array()) {
    std::string out;
    for (const json& byte : *bytes) {
      if (byte.is_number_integer()) out.push_back(static_cast<char>(byte.get<int64_t>() & 0xff));
    }
    return out;
  }
  if (const auto token = entry.find("token"); token != entry.end() && token->is_string())
    return token->get<std::string>();
  return {};
}

infer::TokenLogprob token_logprob(const json& entry) {
  infer::TokenLogprob out;
  if (const auto id = entry.find("id"); id != entry.end() && id->is_number_integer()) {
    out.id = static_cast<int32_t>(id->get<int64_t>());
  }
  out.bytes = token_bytes(entry);
  if (const auto logprob = entry.find("logprob"); logprob != entry.end() && logprob->is_number()) {
    out.logprob = logprob->get<float>();
  }
  return out;
}

// Where the tokens' bytes spell the choice's text (on the first piece), each
// piece gets its own token's bytes, so that text flows token by token.
void distribute_text(std::vector<node::ExternalPiece>& pieces) {
  if (pieces.size() < 2) return;
  std::string joined;
  for (const node::ExternalPiece& piece : pieces) joined += piece.token.bytes;
  if (joined != pieces.front().text) return;
  for (node::ExternalPiece& piece : pieces) piece.text = piece.token.bytes;
}

// The pieces of one chunk's choice: its text on the first, one piece per
// token its logprobs list (at least one).
std::vector<node::ExternalPiece> pieces_of(const json& choice, int32_t n_top_logprobs) {
  std::vector<node::ExternalPiece> pieces(1);
  if (const auto text = choice.find("text"); text != choice.end() && text->is_string()) {
    pieces[0].text = text->get<std::string>();
  }
  const auto logprobs = choice.find("logprobs");
  if (n_top_logprobs < 0 || logprobs == choice.end() || !logprobs->is_object()) return pieces;
  if (const auto content = logprobs->find("content"); content != logprobs->end() && content->is_array()) {
    // The chat form (llama-server).
    for (size_t entry_idx = 0; entry_idx < content->size(); ++entry_idx) {
      const json& entry = (*content)[entry_idx];
      if (!entry.is_object()) continue;
      if (entry_idx >= pieces.size()) pieces.emplace_back();
      node::ExternalPiece& piece = pieces[entry_idx];
      piece.has_logprob = true;
      piece.token = token_logprob(entry);
      if (const auto top = entry.find("top_logprobs"); top != entry.end() && top->is_array()) {
        for (const json& alternative : *top) {
          if (static_cast<int32_t>(piece.top_logprobs.size()) >= n_top_logprobs) break;
          if (alternative.is_object()) piece.top_logprobs.push_back(token_logprob(alternative));
        }
      }
    }
    distribute_text(pieces);
    return pieces;
  }
  // OpenAI's legacy completions form.
  const auto tokens = logprobs->find("tokens");
  const auto token_logprobs = logprobs->find("token_logprobs");
  const auto tops = logprobs->find("top_logprobs");
  if (tokens == logprobs->end() || !tokens->is_array() || token_logprobs == logprobs->end() ||
      !token_logprobs->is_array()) {
    return pieces;
  }
  for (size_t token_idx = 0; token_idx < tokens->size() && token_idx < token_logprobs->size(); ++token_idx) {
    if (token_idx >= pieces.size()) pieces.emplace_back();
    node::ExternalPiece& piece = pieces[token_idx];
    piece.has_logprob = true;
    if ((*tokens)[token_idx].is_string()) piece.token.bytes = (*tokens)[token_idx].get<std::string>();
    if ((*token_logprobs)[token_idx].is_number()) piece.token.logprob = (*token_logprobs)[token_idx].get<float>();
    if (tops != logprobs->end() && tops->is_array() && token_idx < tops->size() && (*tops)[token_idx].is_object()) {
      for (const auto& [bytes, logprob] : (*tops)[token_idx].items()) {
        if (static_cast<int32_t>(piece.top_logprobs.size()) >= n_top_logprobs || !logprob.is_number()) break;
        infer::TokenLogprob alternative;
        alternative.bytes = bytes;
        alternative.logprob = logprob.get<float>();
        piece.top_logprobs.push_back(std::move(alternative));
      }
    }
  }
  distribute_text(pieces);
  return pieces;
}

std::string error_message_of(const json& body) {
  if (body.is_object()) {
    if (const auto error = body.find("error"); error != body.end()) {
      if (error->is_string()) return error->get<std::string>();
      if (error->is_object()) {
        if (const auto message = error->find("message"); message != error->end() && message->is_string()) {
          return message->get<std::string>();
        }
      }
      return error->dump();
    }
  }
  return body.dump();
}

enum class ChunkOutcome { kContinue, kStopped, kFailed };

// One chunk of the stream (or the whole answer): usage, timings, the pieces
// of its first choice handed to the sink, its finish. kStopped: the sink
// wants no more; kFailed: end->error says why.
ChunkOutcome take_chunk(const json& chunk, const node::ExternalGeneration& generation, node::ExternalStreamSink& sink,
                        node::ExternalEnd* end, bool* finished) {
  if (chunk.contains("error")) {
    end->error = unavailable_error("the engine failed: " + error_message_of(chunk));
    return ChunkOutcome::kFailed;
  }
  if (const auto usage = chunk.find("usage"); usage != chunk.end() && usage->is_object()) {
    end->n_prompt_tokens = usage->value("prompt_tokens", int64_t{-1});
    end->n_generated_tokens = usage->value("completion_tokens", int64_t{-1});
  }
  if (const auto timings = chunk.find("timings"); timings != chunk.end() && timings->is_object()) {
    end->prompt_ms = timings->value("prompt_ms", -1.0);
    end->decode_ms = timings->value("predicted_ms", -1.0);
  }
  const auto choices = chunk.find("choices");
  if (choices == chunk.end() || !choices->is_array() || choices->empty()) return ChunkOutcome::kContinue;
  const json& choice = choices->front();
  if (!choice.is_object()) return ChunkOutcome::kContinue;
  for (node::ExternalPiece& piece : pieces_of(choice, generation.n_top_logprobs)) {
    if (piece.text.empty() && !piece.has_logprob) continue;  // a chunk with only a finish_reason
    if (!sink.on_piece(std::move(piece))) return ChunkOutcome::kStopped;
  }
  if (const auto reason = choice.find("finish_reason"); reason != choice.end() && reason->is_string()) {
    *finished = true;
    end->length = reason->get<std::string>() == "length";
  }
  return ChunkOutcome::kContinue;
}

// One stream's state shared by the stream and its cancellation watcher (one
// thread: no lock).
struct StreamState {
  std::unique_ptr<net::HttpConnection> connection;
  bool done = false;
  bool stopped_by_sink = false;
};

class OpenAiEngineClient final : public node::ExternalEngineClient {
 public:
  OpenAiEngineClient() : work_(asio::make_work_guard(io_)), thread_([this] { io_.run(); }) {}

  ~OpenAiEngineClient() override {
    work_.reset();
    io_.stop();
    thread_.join();
  }

  Status probe(int port, const std::string& path, int64_t timeout_ms) override {
    std::future<Status> answer = asio::co_spawn(io_, probe_once(port, path, timeout_ms), asio::use_future);
    try {
      return answer.get();
    } catch (const std::exception& error) {
      return unavailable_error(std::string("the probe failed: ") + error.what());
    }
  }

  void generate(node::ExternalGeneration&& generation, std::shared_ptr<infer::SequenceHandle> handle,
                std::shared_ptr<node::ExternalStreamSink> sink) override {
    asio::co_spawn(io_, run(std::move(generation), std::move(handle), std::move(sink)), asio::detached);
  }

 private:
  asio::awaitable<Status> probe_once(int port, std::string path, int64_t timeout_ms) {
    auto executor = co_await asio::this_coro::executor;
    Result<net::Url> url = net::parse_base_url(engine_url(port));
    if (!url.ok()) co_return url.status();
    const net::Url where = *url;
    auto opened = co_await net::HttpConnection::open(executor, where, nullptr, timeout_ms);
    if (!opened.ok()) co_return opened.status();
    net::HttpConnection& connection = **opened;
    http::request<http::string_body> request{http::verb::get, path, 11};
    request.set(http::field::host, where.host_header());
    request.set(http::field::user_agent, "hearth");
    Status written = co_await connection.write(request, timeout_ms);
    if (!written.ok()) co_return written;
    net::ResponseParser parser;
    parser.body_limit(uint64_t{1} << 20);
    Status header = co_await connection.read_header(parser, timeout_ms);
    if (!header.ok()) co_return header;
    const unsigned status = parser.get().result_int();
    connection.close();
    if (status != 200) co_return unavailable_error("GET " + path + " answered HTTP " + std::to_string(status));
    co_return ok_status();
  }

  // Closes the stream's connection once its handle is cancelled.
  static asio::awaitable<void> watch_cancel(std::shared_ptr<StreamState> state,
                                            std::shared_ptr<infer::SequenceHandle> handle) {
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer timer(executor);
    while (!state->done) {
      if (handle->cancelled()) {
        if (state->connection) state->connection->close();
        co_return;
      }
      timer.expires_after(std::chrono::milliseconds(kCancelPollMs));
      boost::system::error_code error;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, error));
    }
  }

  asio::awaitable<void> run(node::ExternalGeneration generation, std::shared_ptr<infer::SequenceHandle> handle,
                            std::shared_ptr<node::ExternalStreamSink> sink) {
    auto state = std::make_shared<StreamState>();
    node::ExternalEnd end;
    try {
      node::ExternalEnd streamed = co_await stream(generation, handle, sink, state);
      end = std::move(streamed);
    } catch (const std::exception& error) {
      end.error = internal_error(std::string("the engine stream failed: ") + error.what());
    }
    state->done = true;
    if (state->connection) state->connection->close();
    sink->on_end(std::move(end));
  }

  asio::awaitable<node::ExternalEnd> stream(const node::ExternalGeneration& generation,
                                            std::shared_ptr<infer::SequenceHandle> handle,
                                            std::shared_ptr<node::ExternalStreamSink> sink,
                                            std::shared_ptr<StreamState> state) {
    node::ExternalEnd end;
    auto executor = co_await asio::this_coro::executor;
    Result<net::Url> url = net::parse_base_url(engine_url(generation.port));
    if (!url.ok()) {
      end.error = url.status();
      co_return end;
    }
    const net::Url where = *url;
    auto opened = co_await net::HttpConnection::open(executor, where, nullptr, kConnectTimeoutMs);
    if (!opened.ok()) {
      end.error = unavailable_error("the engine is not reachable: " + opened.status().message());
      co_return end;
    }
    state->connection = std::move(opened).value();
    asio::co_spawn(executor, watch_cancel(state, handle), asio::detached);
    net::HttpConnection& connection = *state->connection;

    http::request<http::string_body> request{http::verb::post, "/v1/completions", 11};
    request.set(http::field::host, where.host_header());
    request.set(http::field::user_agent, "hearth");
    request.set(http::field::content_type, "application/json");
    request.set(http::field::accept, "text/event-stream");
    request.body() = request_body(generation).dump();
    request.prepare_payload();
    const int64_t timeout_ms = generation.stall_timeout_ms;
    Status written = co_await connection.write(request, timeout_ms);
    if (!written.ok()) {
      end.error = unavailable_error("the engine did not take the request: " + written.message());
      co_return end;
    }
    net::ResponseParser parser;
    parser.body_limit(uint64_t{1} << 40);  // a stream, bounded by max_tokens and read piece by piece
    Status header = co_await connection.read_header(parser, timeout_ms);
    if (!header.ok()) {
      end.error = unavailable_error("the engine did not answer: " + header.message());
      co_return end;
    }
    const unsigned status = parser.get().result_int();
    if (status != 200) {
      std::string body;
      while (!parser.is_done() && body.size() < kMaxErrorBodyBytes) {
        Status piece = co_await connection.read_body_piece(parser, &body, timeout_ms);
        if (!piece.ok()) break;
      }
      const json error = json::parse(body, nullptr, /*allow_exceptions=*/false);
      const std::string message = "the engine answered HTTP " + std::to_string(status) + ": " +
                                  (error.is_discarded() ? body.substr(0, 1000) : error_message_of(error));
      end.error = status == 400 ? invalid_argument_error(message) : unavailable_error(message);
      co_return end;
    }

    bool finished = false;
    std::string buffer;
    while (true) {
      // Complete lines first: each "data:" line of llama-server's stream is one chunk.
      size_t newline = 0;
      while ((newline = buffer.find('\n')) != std::string::npos) {
        std::string line = buffer.substr(0, newline);
        buffer.erase(0, newline + 1);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.rfind("data:", 0) != 0) continue;  // blank separators, comments, event names
        std::string_view data = std::string_view(line).substr(5);
        if (!data.empty() && data.front() == ' ') data.remove_prefix(1);
        if (data == "[DONE]") {
          if (!finished) end.error = data_loss_error("the engine's stream ended without a finish_reason");
          co_return end;
        }
        const json chunk = json::parse(data, nullptr, /*allow_exceptions=*/false);
        if (chunk.is_discarded() || !chunk.is_object()) {
          end.error =
              data_loss_error("the engine sent a chunk that is not a JSON object: " + std::string(data.substr(0, 200)));
          co_return end;
        }
        const ChunkOutcome outcome = take_chunk(chunk, generation, *sink, &end, &finished);
        if (outcome == ChunkOutcome::kStopped) state->stopped_by_sink = true;
        if (outcome != ChunkOutcome::kContinue) co_return end;  // the caller closes the connection
      }
      if (buffer.size() > kMaxLineBytes) {
        end.error = data_loss_error("the engine sent a line longer than 1 MiB");
        co_return end;
      }
      if (parser.is_done()) {
        if (!finished) end.error = data_loss_error("the engine's stream ended without a finish_reason");
        co_return end;
      }
      Status piece = co_await connection.read_body_piece(parser, &buffer, timeout_ms);
      if (!piece.ok()) {
        end.error =
            handle->cancelled() ? ok_status() : unavailable_error("the engine's stream broke: " + piece.message());
        co_return end;
      }
    }
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<node::ExternalEngineClient> make_external_engine_client() {
  return std::make_unique<OpenAiEngineClient>();
}

}  // namespace hearth::api
