#include "api/http_connection.h"

#include <algorithm>
#include <array>
#include <exception>

#include "api/batch_routes.h"
#include "api/costs_route.h"
#include "api/dashboard_route.h"
#include "api/egress_route.h"
#include "api/embeddings_handler.h"
#include "api/file_routes.h"
#include "api/gateway_handler.h"
#include "api/gateway_status.h"
#include "api/generation_handler.h"
#include "api/metrics_text.h"
#include "api/model_routes.h"
#include "api/ocr_handler.h"
#include "api/ollama_handler.h"
#include "api/ollama_renderers.h"
#include "api/policy_headers.h"
#include "api/rerank_handler.h"
#include "api/routes.h"
#include "api/speech_handler.h"
#include "api/sse.h"
#include "api/status_route.h"
#include "base/clock.h"
#include "base/log.h"

namespace hearth::api {
namespace {

// After a 413, what a client still sends is read and dropped for at most this
// long and this many bytes before the connection closes.
constexpr int64_t kLingerMs = 2000;
constexpr size_t kMaxLingerBytes = size_t{8} << 20;

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

void emit_access_log(ServerContext& ctx, RequestState& state) {
  state.record.id = state.id;
  state.record.total_ms = ms_since(state.t_start);
  ctx.metrics.record_request(state.record, state.route_matched);
  const std::string line = render_access_line(state.record);
  if (ctx.options.access_log) {
    ctx.options.access_log(line);
  } else {
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
}

// A bad request line or header, answered before closing: 400 or 413.
ApiError protocol_error(const boost::system::error_code& error, int64_t max_body_bytes) {
  if (error == http::error::body_limit) return body_too_large_error(max_body_bytes);
  if (error == http::error::header_limit) {
    return ApiError{431, "invalid_request_error", "The request headers are larger than 16 KiB", "", ""};
  }
  return ApiError{400, "invalid_request_error", "Malformed HTTP request: " + error.message(), "", ""};
}

// True for errors that mean the peer sent bytes that are not HTTP (worth a
// 400), rather than a connection that ended or timed out.
bool is_protocol_error(const boost::system::error_code& error) {
  return error.category() == http::make_error_code(http::error::end_of_stream).category() &&
         error != http::error::end_of_stream && error != http::error::partial_message;
}

// Who is calling, from state.policy's key: fills state.key, or returns the 401
// (or the key's 429). Whether a key is needed was decided when the server
// started (ServerContext::require_keys), never from the key table: revoking
// the last key leaves a server that refuses everyone, not one that is open.
// Without require_keys a request may still name itself with a key; a token
// shaped like a hearth key must then be a valid one (a revoked key is refused,
// not served anonymously at a lower data class); other tokens, such as the
// placeholder an SDK insists on, are ignored.
std::optional<ApiError> authenticate(ServerContext& ctx, RequestState& state) {
  const std::string& token = state.policy.api_key;
  if (!ctx.require_keys && !gateway::is_well_formed_secret(token)) return std::nullopt;
  if (ctx.keys != nullptr) state.key = ctx.keys->verify(token);
  if (!state.key) {
    return ApiError{401, "invalid_request_error",
                    token.empty() ? "This server needs an API key: send it as 'Authorization: Bearer hk-...'"
                                  : "Incorrect API key provided",
                    "", "invalid_api_key"};
  }
  if (std::optional<int64_t> wait_s =
          ctx.limiter.admit(state.key->name, state.key->rpm, state.key->tpm, steady_now_ms())) {
    state.response_headers.emplace_back("Retry-After", std::to_string(*wait_s));
    return ApiError{
        429, "rate_limit_error",
        "The API key '" + state.key->name + "' is over its rate limit; retry in " + std::to_string(*wait_s) + " s", "",
        "rate_limit_exceeded"};
  }
  return std::nullopt;
}

bool is_file_route(Route route) {
  return route == Route::kUploadFile || route == Route::kListFiles || route == Route::kGetFile ||
         route == Route::kDeleteFile || route == Route::kFileContent;
}

bool is_batch_route(Route route) {
  return route == Route::kCreateBatch || route == Route::kListBatches || route == Route::kGetBatch ||
         route == Route::kCancelBatch;
}

// The Files and Batches routes: synchronous calls on hearth.db and the state directory.
ApiResult<RouteReply> jobs_reply(ServerContext& ctx, const HttpRequest& request, const RouteMatch& match,
                                 const RequestState& state) {
  BatchServices* services = ctx.options.batch;
  if (services == nullptr || services->files == nullptr || services->batches == nullptr) {
    return api_error(unavailable_error("The Files and Batches APIs are not enabled on this server"));
  }
  BatchCaller caller;
  if (state.key) caller.key_name = state.key->name;
  ApiResult<gateway::DataClass> data_class =
      request_data_class(state.policy, state.key ? state.key->data_class : gateway::DataClass::kInternal);
  if (!data_class.ok()) return data_class.error();
  caller.data_class = std::string(gateway::data_class_name(*data_class));
  if (is_file_route(match.route)) {
    return files_route(*services, match, to_std(request.target()), to_std(request[http::field::content_type]),
                       to_std(request.body()), caller);
  }
  return batches_route(*services, match, to_std(request.target()), to_std(request.body()), caller);
}

asio::awaitable<void> handle_jobs_route(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                        const RouteMatch& match, RequestState& state) {
  ApiResult<RouteReply> reply = jobs_reply(ctx, request, match, state);
  if (!reply.ok()) {
    ApiError error = reply.error();
    co_await write_error(connection, state, std::move(error));
    co_return;
  }
  std::vector<std::pair<std::string, std::string>> no_headers;
  std::string content_type = reply->content_type;
  std::string body = std::move(reply->body);
  co_await write_response(connection, state, 200, std::move(body), content_type, std::move(no_headers));
}

}  // namespace

std::chrono::milliseconds to_ms(int64_t ms) { return std::chrono::milliseconds(ms); }

std::string stream_error_event(const RequestState& state, const ApiError& error) {
  if (state.anthropic) return "event: error\ndata: " + render_anthropic_error_body(error) + "\n\n";
  if (state.ollama) return render_ollama_error_body(error) + "\n";
  return sse_data(render_error_body(error));
}

std::string_view to_std(beast::string_view text) { return {text.data(), text.size()}; }

void Connection::close() {
  boost::system::error_code ignored;
  stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  stream.socket().close(ignored);
  if (wake_handler) wake_handler();
}

asio::awaitable<bool> write_response(Connection& connection, RequestState& state, unsigned status, std::string body,
                                     std::string_view content_type,
                                     std::vector<std::pair<std::string, std::string>> extra_headers) {
  http::response<http::string_body> response{static_cast<http::status>(status), 11};
  response.set(http::field::server, "hearth");
  response.set(http::field::content_type, beast::string_view(content_type.data(), content_type.size()));
  response.set("X-Request-Id", state.id);
  for (const auto& [name, value] : extra_headers) response.set(name, value);
  for (const auto& [name, value] : state.response_headers) response.set(name, value);
  response.keep_alive(state.keep_alive && !connection.close_after_response);
  response.body() = std::move(body);
  response.prepare_payload();
  state.record.status = static_cast<int>(status);
  state.response_started = true;
  boost::system::error_code error;
  connection.stream.expires_after(to_ms(connection.io_timeout_ms));
  co_await http::async_write(connection.stream, response, asio::redirect_error(asio::use_awaitable, error));
  connection.stream.expires_never();
  if (error) {
    connection.close_after_response = true;
    co_return false;
  }
  if (!response.keep_alive()) connection.close_after_response = true;
  co_return true;
}

asio::awaitable<bool> write_json(Connection& connection, RequestState& state, unsigned status, std::string body) {
  std::vector<std::pair<std::string, std::string>> no_headers;
  const bool written =
      co_await write_response(connection, state, status, std::move(body), "application/json", std::move(no_headers));
  co_return written;
}

asio::awaitable<bool> write_error(Connection& connection, RequestState& state, ApiError error, std::string allow) {
  std::vector<std::pair<std::string, std::string>> headers;
  const bool has_retry_after = std::any_of(state.response_headers.begin(), state.response_headers.end(),
                                           [](const auto& header) { return header.first == "Retry-After"; });
  if (error.http_status == 429 && !has_retry_after) headers.emplace_back("Retry-After", "1");
  if (error.http_status == 503 && !has_retry_after)
    headers.emplace_back("Retry-After", "5");  // a busy or restarting node
  if (error.http_status == 405 && !allow.empty()) headers.emplace_back("Allow", allow);
  // After a 413 or a protocol error the rest of the request is unread: close.
  if (error.http_status == 413 || error.http_status == 431) connection.close_after_response = true;
  std::string body = state.anthropic ? render_anthropic_error_body(error)
                     : state.ollama  ? render_ollama_error_body(error)
                                     : render_error_body(error);
  const bool written = co_await write_response(connection, state, static_cast<unsigned>(error.http_status),
                                               std::move(body), "application/json", std::move(headers));
  co_return written;
}

asio::awaitable<bool> write_error(Connection& connection, RequestState& state, ApiError error) {
  std::string no_allow;
  const bool written = co_await write_error(connection, state, std::move(error), std::move(no_allow));
  co_return written;
}

asio::awaitable<bool> write_stream_head(Connection& connection, RequestState& state, const char* content_type) {
  http::response<http::empty_body> response{http::status::ok, 11};
  response.set(http::field::server, "hearth");
  response.set(http::field::content_type, content_type);
  response.set(http::field::cache_control, "no-cache");
  response.set("X-Request-Id", state.id);
  for (const auto& [name, value] : state.response_headers) response.set(name, value);
  response.keep_alive(state.keep_alive && !connection.close_after_response);
  response.chunked(true);
  if (!response.keep_alive()) connection.close_after_response = true;
  state.record.status = 200;
  state.response_started = true;
  http::response_serializer<http::empty_body> serializer{response};
  boost::system::error_code error;
  connection.stream.expires_after(to_ms(connection.io_timeout_ms));
  co_await http::async_write_header(connection.stream, serializer, asio::redirect_error(asio::use_awaitable, error));
  connection.stream.expires_never();
  co_return !error;
}

asio::awaitable<bool> write_chunk(Connection& connection, std::string_view bytes) {
  // A chunk of size 0 is the last-chunk marker: nothing to send is no chunk at all.
  if (bytes.empty()) co_return true;
  boost::system::error_code error;
  connection.stream.expires_after(to_ms(connection.io_timeout_ms));
  co_await asio::async_write(connection.stream, http::make_chunk(asio::buffer(bytes.data(), bytes.size())),
                             asio::redirect_error(asio::use_awaitable, error));
  connection.stream.expires_never();
  co_return !error;
}

asio::awaitable<bool> write_last_chunk(Connection& connection) {
  boost::system::error_code error;
  connection.stream.expires_after(to_ms(connection.io_timeout_ms));
  co_await asio::async_write(connection.stream, http::make_chunk_last(),
                             asio::redirect_error(asio::use_awaitable, error));
  connection.stream.expires_never();
  co_return !error;
}

asio::awaitable<void> dispatch_request(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                       RequestState& state) {
  const std::string_view method = to_std(request.method_string());
  const std::string_view target = to_std(request.target());
  std::optional<RouteMatch> match = match_route(method, target);
  if (!match) {
    state.id = ctx.ids.next_id("req-");
    state.ollama = target_path(target).starts_with("/api/");
    state.record.route = std::string(target_path(target).substr(0, 256));
    ApiError error = route_not_found_error(method, target_path(target).substr(0, 256));
    co_await write_error(connection, state, std::move(error));
    co_return;
  }
  state.record.route = match->pattern;
  state.route_matched = true;
  const bool generates = match->route == Route::kChatCompletions || match->route == Route::kCompletions ||
                         match->route == Route::kMessages;
  state.anthropic = match->route == Route::kMessages;
  state.ollama = is_ollama_route(match->route);
  state.id = ctx.ids.next_id(!generates                                ? "req-"
                             : match->route == Route::kChatCompletions ? "chatcmpl-"
                             : match->route == Route::kMessages        ? "msg_"
                                                                       : "cmpl-");
  if (!match->method_allowed) {
    ApiError error = method_not_allowed_error(method, match->pattern);
    std::string allow(match->allow);
    co_await write_error(connection, state, std::move(error), std::move(allow));
    co_return;
  }
  ApiResult<PolicyHeaders> policy = read_policy_headers(request);
  if (!policy.ok()) {
    ApiError error = policy.error();
    co_await write_error(connection, state, std::move(error));
    co_return;
  }
  state.policy = std::move(policy).value();
  if (match->route != Route::kHealth) {
    if (std::optional<ApiError> refused = authenticate(ctx, state)) {
      // A browser asks for the key (as a password) only when challenged.
      if (refused->http_status == 401 && match->route == Route::kDashboard) {
        state.response_headers.emplace_back("WWW-Authenticate", std::string(kDashboardChallenge));
      }
      co_await write_error(connection, state, std::move(*refused));
      co_return;
    }
  }
  if (is_file_route(match->route) || is_batch_route(match->route)) {
    co_await handle_jobs_route(ctx, connection, request, *match, state);
    co_return;
  }
  const bool model_work = generates || match->route == Route::kEmbeddings || match->route == Route::kRerank ||
                          match->route == Route::kOllamaChat ||
                          match->route == Route::kOllamaGenerate || match->route == Route::kOllamaEmbed ||
                          match->route == Route::kOllamaEmbeddings;
  if (model_work && state.policy.priority == infer::Priority::kInteractive && ctx.options.batch != nullptr &&
      ctx.options.batch->runner != nullptr) {
    ctx.options.batch->runner->note_interactive();  // the batch idle rule's clock starts again
  }
  if (state.ollama) {
    co_await handle_ollama(ctx, connection, request, match->route, state);
    if (state.key) {
      const int64_t n_tokens = state.record.prompt_tokens.value_or(0) + state.record.completion_tokens.value_or(0);
      ctx.limiter.add_tokens(state.key->name, n_tokens, steady_now_ms());
    }
    co_return;
  }
  if (match->route == Route::kEmbeddings || match->route == Route::kRerank) {
    // One co_await per branch: GCC 12 miscompiles co_await on a conditional of awaitables.
    const bool rerank = match->route == Route::kRerank;
    if (ctx.gateway != nullptr && rerank) {
      co_await handle_gateway_rerank(ctx, connection, request, state);
    } else if (ctx.gateway != nullptr) {
      co_await handle_gateway_embeddings(ctx, connection, request, state);
    } else if (rerank) {
      co_await handle_rerank(ctx, connection, request, state);
    } else {
      co_await handle_embeddings(ctx, connection, request, state);
    }
    if (state.key) ctx.limiter.add_tokens(state.key->name, state.record.prompt_tokens.value_or(0), steady_now_ms());
    co_return;
  }
  if (match->route == Route::kOcr) {
    if (ctx.gateway != nullptr) {
      co_await handle_gateway_ocr(ctx, connection, request, state);
    } else {
      co_await handle_ocr(ctx, connection, request, state);
    }
    co_return;
  }
  if (match->route == Route::kSpeech) {
    if (ctx.gateway != nullptr) {
      co_await handle_gateway_speech(ctx, connection, request, state);
    } else {
      co_await handle_speech(ctx, connection, request, state);
    }
    co_return;
  }
  if (generates) {
    const GenerationKind kind = match->route == Route::kChatCompletions ? GenerationKind::kChat
                                : match->route == Route::kMessages      ? GenerationKind::kMessages
                                                                        : GenerationKind::kCompletion;
    if (ctx.gateway != nullptr) {
      co_await handle_gateway_generation(ctx, connection, request, kind, state);
    } else {
      co_await handle_generation(ctx, connection, request, kind, state);
    }
    if (state.key) {
      // Tokens per minute count what was used, once it is known.
      const int64_t n_tokens = state.record.prompt_tokens.value_or(0) + state.record.completion_tokens.value_or(0);
      ctx.limiter.add_tokens(state.key->name, n_tokens, steady_now_ms());
    }
    co_return;
  }
  if (match->route == Route::kDashboard) {
    co_await handle_dashboard(connection, request, *match, state);
    co_return;
  }
  if (match->route == Route::kEgress) {
    ApiResult<std::string> egress = egress_body(ctx.egress, target);
    if (!egress.ok()) {
      ApiError error = egress.error();
      co_await write_error(connection, state, std::move(error));
      co_return;
    }
    std::string body = std::move(egress).value();
    co_await write_json(connection, state, 200, std::move(body));
    co_return;
  }
  if (match->route == Route::kCosts) {
    // Every request finished before this one is in the report: wait for the writer's queue (one transaction).
    if (ctx.usage_writer != nullptr) (void)ctx.usage_writer->flush();
    const CostsSources sources{ctx.options.usage, ctx.egress, &ctx.options.costs, ctx.options.node_name};
    ApiResult<std::string> costs = costs_body(sources, target, unix_now_ms());
    if (!costs.ok()) {
      ApiError error = costs.error();
      co_await write_error(connection, state, std::move(error));
      co_return;
    }
    std::string body = std::move(costs).value();
    co_await write_json(connection, state, 200, std::move(body));
    co_return;
  }
  if (match->route == Route::kMetrics) {
    std::string body = ctx.metrics.scrape(ctx.models);
    std::vector<std::pair<std::string, std::string>> no_headers;
    co_await write_response(connection, state, 200, std::move(body), kMetricsContentType, std::move(no_headers));
    co_return;
  }
  std::optional<node::ModelInfo> model_info;
  if (match->route == Route::kGetModel || match->route == Route::kListModels || match->route == Route::kStatus) {
    // Models added to, changed in or removed from the models directory since the last look.
    // An unreadable directory keeps the list as it was; the status shows it.
    (void)ctx.models.rescan();
  }
  if (match->route == Route::kGetModel) {
    model_info = ctx.models.info(match->model_id);
    if (model_info && !model_info->invalid_reason.empty()) {
      const std::string why = "The model '" + model_info->id + "' cannot be served: " + model_info->invalid_reason;
      ApiError error = model_info->being_written ? api_error(unavailable_error(why), "model", "model_busy")
                                                 : api_error(data_loss_error(why), "model", "model_file_invalid");
      co_await write_error(connection, state, std::move(error));
      co_return;
    }
    if (!model_info && ctx.gateway != nullptr) {
      // A model of another node, or an alias: the gateway serves it too.
      const std::vector<std::string> ids = gateway_model_ids(*ctx.gateway, ctx.models);
      if (std::binary_search(ids.begin(), ids.end(), match->model_id)) {
        model_info.emplace();
        model_info->id = match->model_id;
      }
    }
    if (!model_info) {
      ApiError error = model_not_found_error(match->model_id);
      co_await write_error(connection, state, std::move(error));
      co_return;
    }
  }
  std::string body;
  if (match->route == Route::kListModels && ctx.gateway != nullptr) {
    std::vector<node::ModelInfo> listed;
    for (const std::string& id : gateway_model_ids(*ctx.gateway, ctx.models)) {
      std::optional<node::ModelInfo> own = ctx.models.info(id);
      if (!own) {
        own.emplace();
        own->id = id;
      }
      listed.push_back(std::move(*own));
    }
    body = render_model_list(listed);
  } else if (match->route == Route::kListModels) {
    std::vector<node::ModelInfo> listed = ctx.models.list();
    // Invalid files are in /hearth/v1/status, not among the models a client may ask for.
    std::erase_if(listed, [](const node::ModelInfo& model) { return !model.invalid_reason.empty(); });
    body = render_model_list(listed);
  } else if (match->route == Route::kGetModel) {
    state.record.model = match->model_id;
    body = render_model(*model_info);
  } else if (match->route == Route::kStatus) {
    nlohmann::json gateway_section =
        ctx.gateway != nullptr ? gateway_status_object(*ctx.gateway, steady_now_ms()) : nlohmann::json(nullptr);
    body = render_status(ctx.models, planner::detect_local_profile(), std::move(gateway_section));
  } else {
    body = render_health();  // Route::kHealth, the last one
  }
  co_await write_json(connection, state, 200, std::move(body));
}

asio::awaitable<void> serve_connection(ServerContext& ctx, std::shared_ptr<Connection> connection) {
  ctx.connections.insert(connection.get());
  struct Unregister {
    ServerContext& ctx;
    Connection* connection;
    ~Unregister() { ctx.connections.erase(connection); }
  } unregister{ctx, connection.get()};

  while (!ctx.drained && !connection->close_after_response) {
    connection->busy = false;
    http::request_parser<http::string_body> parser;
    parser.header_limit(kMaxHeaderBytes);
    // Beast checks a Content-Length against the limit as the head is parsed,
    // before the route is known: the larger of the two limits until then.
    const int64_t upload_limit = ctx.options.batch != nullptr ? ctx.options.batch->max_upload_bytes : 0;
    parser.body_limit(static_cast<uint64_t>(std::max(ctx.options.max_body_bytes, upload_limit)));
    boost::system::error_code error;
    connection->stream.expires_after(to_ms(ctx.options.idle_timeout_ms));
    co_await http::async_read_header(connection->stream, connection->buffer, parser,
                                     asio::redirect_error(asio::use_awaitable, error));
    connection->busy = true;
    // An upload to POST /v1/files may be larger (or smaller) than other bodies.
    int64_t body_limit = ctx.options.max_body_bytes;
    if (!error) {
      if (ctx.options.batch != nullptr && parser.get().method() == http::verb::post &&
          target_path(to_std(parser.get().target())) == "/v1/files") {
        body_limit = upload_limit;
      }
      const boost::optional<uint64_t> length = parser.content_length();
      if (length && *length > static_cast<uint64_t>(body_limit)) {
        error = http::error::body_limit;
      } else {
        parser.body_limit(static_cast<uint64_t>(body_limit));  // chunked bodies are counted as they come
      }
    }
    RequestState state;
    state.t_start = std::chrono::steady_clock::now();
    state.record.ts_unix_ms = unix_now_ms();
    if (!error && parser.get()[http::field::expect] == "100-continue" && !parser.is_done()) {
      http::response<http::empty_body> go_on{http::status::continue_, 11};
      connection->stream.expires_after(to_ms(connection->io_timeout_ms));
      co_await http::async_write(connection->stream, go_on, asio::redirect_error(asio::use_awaitable, error));
    }
    if (!error) {
      connection->stream.expires_after(to_ms(connection->io_timeout_ms));
      co_await http::async_read(connection->stream, connection->buffer, parser,
                                asio::redirect_error(asio::use_awaitable, error));
    }
    connection->stream.expires_never();
    if (error) {
      if (error != http::error::body_limit && error != http::error::header_limit && !is_protocol_error(error)) {
        break;  // the client left or timed out: nobody to answer
      }
      connection->close_after_response = true;
      state.id = ctx.ids.next_id("req-");
      state.keep_alive = false;
      if (parser.is_header_done()) {
        state.record.method = std::string(to_std(parser.get().method_string()));
        state.record.route = std::string(target_path(to_std(parser.get().target())).substr(0, 256));
      }
      ApiError protocol = protocol_error(error, body_limit);
      co_await write_error(*connection, state, std::move(protocol));
      emit_access_log(ctx, state);
      if (error == http::error::body_limit) {
        // Lingering close: a client still sending the body it was refused
        // would otherwise get a reset that may destroy the 413 before it is
        // read. Stop sending, then drop what arrives: bounded in bytes and time.
        boost::system::error_code ignored;
        connection->stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        std::array<char, 16384> sink{};
        size_t n_drained = 0;
        connection->stream.expires_after(to_ms(kLingerMs));
        while (n_drained < kMaxLingerBytes) {
          boost::system::error_code read_error;
          n_drained += co_await connection->stream.async_read_some(
              asio::buffer(sink), asio::redirect_error(asio::use_awaitable, read_error));
          if (read_error) break;
        }
        connection->stream.expires_never();
      }
      break;
    }

    const HttpRequest& request = parser.get();
    state.keep_alive = request.keep_alive() && !ctx.stopping;
    state.record.method = std::string(to_std(request.method_string()));
    // The boundary: nothing thrown below this call reaches the I/O loop.
    std::string exception_text;
    try {
      co_await dispatch_request(ctx, *connection, request, state);
    } catch (const std::exception& exception) {
      exception_text = exception.what();
    } catch (...) {
      exception_text = "unknown exception";
    }
    if (!exception_text.empty()) {
      if (state.id.empty()) state.id = ctx.ids.next_id("req-");
      log_message(LogLevel::kError, "request " + state.id + " failed: " + exception_text);
      if (state.response_started) {
        connection->close_after_response = true;  // mid-response: the only safe end is to close
        state.record.status = 500;
      } else {
        ApiError internal = internal_exception_error(state.id);
        co_await write_error(*connection, state, std::move(internal));
      }
    }
    emit_access_log(ctx, state);
  }
  boost::system::error_code ignored;
  connection->stream.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  connection->stream.socket().close(ignored);
}

}  // namespace hearth::api
