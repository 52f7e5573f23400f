#include "api/gateway_handler.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "api/anthropic_adapter.h"
#include "api/embeddings.h"
#include "api/embeddings_handler.h"
#include "api/rerank.h"
#include "api/rerank_handler.h"
#include "api/generation_handler.h"
#include "api/generation_job.h"
#include "api/ocr.h"
#include "api/ocr_handler.h"
#include "api/speech.h"
#include "api/speech_handler.h"
#include "api/json_fields.h"
#include "api/json_output.h"
#include "api/ollama_requests.h"
#include "api/policy_headers.h"
#include "api/request_parsing.h"
#include "api/sse.h"
#include "base/clock.h"
#include "store/sha256.h"

namespace hearth::api {
namespace {

using nlohmann::json;

constexpr int64_t kConnectTimeoutMs = 5000;
// Until the upstream's response header: a non-streamed answer arrives whole,
// after the generation, so this is long.
constexpr int64_t kResponseTimeoutMs = 600'000;
constexpr int64_t kBodyPieceTimeoutMs = 120'000;      // between two pieces of a body
constexpr size_t kUsageTailBytes = 8192;              // the end of a body, kept to find its usage
constexpr size_t kMaxTranslatedBodyBytes = 16 << 20;  // a whole answer translated at once (Anthropic)

// What the request body must have for routing: a JSON object with a model.
struct RoutedBody {
  json body;
  std::string model;
  bool stream = false;
};

ApiResult<RoutedBody> read_routed_body(std::string_view text) {
  RoutedBody out;
  ApiResult<json> parsed = parse_json_body(text);
  if (!parsed.ok()) return parsed.error();
  out.body = std::move(parsed).value();
  if (!out.body.is_object()) return invalid_field_error("", "The request body must be a JSON object");
  const auto model = out.body.find("model");
  if (model == out.body.end() || !model->is_string() || model->get<std::string>().empty()) {
    return invalid_field_error("model", "'model' is required and must be a non-empty string");
  }
  out.model = model->get<std::string>();
  if (const auto stream = out.body.find("stream"); stream != out.body.end() && stream->is_boolean()) {
    out.stream = stream->get<bool>();
  }
  return out;
}

ApiError route_error(const Status& status, std::string_view model) {
  if (status.code() == ErrorCode::kNotFound) return model_not_found_error(model);
  return api_error(status, "", "no_allowed_target");
}

// Precondition: `target` was routed with `config`, which is still gateway's (no suspension since).
std::string target_url(const GatewayState& gateway, const gateway::GatewayConfig& config,
                       const gateway::Target& target) {
  if (target.kind == gateway::TargetKind::kNode) return gateway.fleet.nodes()[target.index].url + "/v1";
  return config.providers[target.index].base_url;
}

// The last usage object in the end of a response (a whole body, or the last
// events of a stream): its prompt and completion tokens; zeros when absent.
std::pair<int64_t, int64_t> usage_in(const std::string& tail) {
  static const std::regex kPrompt(R"re("(?:prompt|input)_tokens"\s*:\s*(\d{1,12}))re");
  static const std::regex kCompletion(R"re("(?:completion|output)_tokens"\s*:\s*(\d{1,12}))re");
  // OpenAI's usage comes last; Anthropic's stream has input tokens in its first
  // event and output tokens in its last: the first usage in the tail then.
  const size_t usage =
      tail.find("\"input_tokens\"") != std::string::npos ? tail.find("\"usage\"") : tail.rfind("\"usage\"");
  if (usage == std::string::npos) return {0, 0};
  const std::string rest = tail.substr(usage);
  std::smatch prompt;
  const int64_t n_prompt = std::regex_search(rest, prompt, kPrompt) ? std::stoll(prompt[1].str()) : 0;
  int64_t n_completion = 0;  // the last count: a stream's final one
  for (std::sregex_iterator it(rest.begin(), rest.end(), kCompletion), end; it != end; ++it) {
    n_completion = std::stoll((*it)[1].str());
  }
  return {n_prompt, n_completion};
}

std::string sha256_hex(std::string_view bytes) {
  store::Sha256 hasher;
  hasher.update(std::span(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()));
  return hasher.finish_hex();
}

// Writes the egress row through the writer thread and waits (suspended, not
// blocking the I/O thread) until it is committed.
asio::awaitable<Result<int64_t>> record_egress(ledger::EgressWriter& writer, ledger::EgressRecord record) {
  struct Wait {
    explicit Wait(asio::any_io_executor executor) : timer(executor) {}
    asio::steady_timer timer;
    std::optional<Result<int64_t>> result;
  };
  auto executor = co_await asio::this_coro::executor;
  auto wait = std::make_shared<Wait>(executor);
  writer.begin(std::move(record), [wait](Result<int64_t> id) {
    asio::post(wait->timer.get_executor(), [wait, id = std::move(id)]() mutable {
      wait->result = std::move(id);
      wait->timer.cancel();
    });
  });
  while (!wait->result) {
    wait->timer.expires_at(asio::steady_timer::time_point::max());
    boost::system::error_code cancelled;
    co_await wait->timer.async_wait(asio::redirect_error(asio::use_awaitable, cancelled));
  }
  co_return std::move(*wait->result);
}

// Why one target could not take the request; the loop tries the next.
struct Attempt {
  bool answered = false;  // a response (or its start) went to the client: no failover
  std::string failure;
  std::optional<ApiError> refused;  // the request itself cannot go to this target (a 400 if no other takes it)
};

asio::awaitable<Attempt> proxy_to(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                  RequestState& state, const gateway::Target& target, std::string body,
                                  std::string endpoint_path, gateway::DataClass data_class,
                                  std::shared_ptr<const gateway::GatewayConfig> config) {
  GatewayState& gateway = *ctx.gateway;
  Attempt attempt;
  const gateway::Provider* provider =
      target.kind == gateway::TargetKind::kCloud ? &config->providers[target.index] : nullptr;
  // An Anthropic provider gets the Messages API; its answer is translated back.
  const bool anthropic = provider != nullptr && provider->kind == gateway::ProviderKind::kAnthropic;
  // An Anthropic client's request (/messages) goes to an Anthropic provider as it is.
  const bool translate = anthropic && endpoint_path != "/messages";
  // Ollama's routes (/api/...) go to hearth nodes only, at the root of their URL.
  const bool ollama_route = endpoint_path.rfind("/api/", 0) == 0;
  if (provider != nullptr && ollama_route) {
    attempt.refused = ApiError{400, "invalid_request_error",
                               "The provider " + target.label +
                                   " does not speak Ollama's API and hearth does not translate it yet; use the "
                                   "OpenAI API (/v1) for models served in the cloud",
                               "model", "unsupported_by_provider"};
    attempt.failure = target.label + ": " + attempt.refused->message;
    co_return attempt;
  }
  if (provider != nullptr && !anthropic && endpoint_path == "/messages") {
    attempt.refused = ApiError{400, "invalid_request_error",
                               "The provider " + target.label +
                                   " speaks OpenAI's API; hearth does not translate Anthropic's Messages API to it yet",
                               "model", "unsupported_by_provider"};
    attempt.failure = target.label + ": " + attempt.refused->message;
    co_return attempt;
  }
  std::optional<AnthropicStream> anthropic_stream;
  if (translate) {
    if (endpoint_path != "/chat/completions") {
      attempt.failure = target.label + ": an Anthropic provider serves chat completions only";
      co_return attempt;
    }
    const json openai_body = json::parse(body, nullptr, /*allow_exceptions=*/false);
    ApiResult<json> messages = anthropic_request(openai_body, target.model);
    if (!messages.ok()) {
      attempt.failure = target.label + ": " + messages.error().message;
      attempt.refused = messages.error();
      co_return attempt;
    }
    if (openai_body.value("stream", false)) {
      const bool include_usage = openai_body.contains("stream_options") && openai_body["stream_options"].is_object() &&
                                 openai_body["stream_options"].value("include_usage", false);
      anthropic_stream.emplace(state.id, unix_now_ms() / 1000, target.model, include_usage);
    }
    body = dump_json(*messages);
    endpoint_path = "/messages";
  }
  // Leaving the shop: recorded before a byte is sent, or not sent at all.
  std::optional<int64_t> egress_id;
  if (target.kind == gateway::TargetKind::kCloud) {
    if (ctx.egress_writer == nullptr) {
      attempt.failure = target.label + ": no egress ledger to record the request in";
      co_return attempt;
    }
    ledger::EgressRecord record;
    record.ts_unix_ms = unix_now_ms();
    record.key_name = state.key ? state.key->name : "";
    record.data_class = std::string(gateway::data_class_name(data_class));
    record.provider = target.label;
    record.model = target.model;
    record.body_sha256 = sha256_hex(body);
    Result<int64_t> begun = co_await record_egress(*ctx.egress_writer, std::move(record));
    if (!begun.ok()) {
      attempt.failure = target.label + ": the egress ledger refused the record (" + begun.status().message() + ")";
      co_return attempt;
    }
    egress_id = *begun;
    ctx.metrics.record_egress(target.label, gateway::data_class_name(data_class));
  }
  struct FinishEgress {
    ledger::EgressWriter* writer;
    std::optional<int64_t> id;
    const gateway::Provider* provider;
    int64_t n_prompt = 0;
    int64_t n_completion = 0;
    ledger::EgressStatus status = ledger::EgressStatus::kError;
    ~FinishEgress() {
      if (!id) return;
      const int64_t cost_udollars =
          (n_prompt * provider->input_udollars_per_mtok + n_completion * provider->output_udollars_per_mtok) /
          1'000'000;
      writer->finish(*id, n_prompt, n_completion, cost_udollars, status,
                     nullptr);  // a failure leaves "sent": still evidence
    }
  } finish_egress{ctx.egress_writer, egress_id, provider};
  // Before the first suspension: a reload may swap the fleet (and its node indices) at any co_await.
  Result<net::Url> url = net::parse_base_url(ollama_route ? gateway.fleet.nodes()[target.index].url
                                                         : target_url(gateway, *config, target));
  if (!url.ok()) {
    attempt.failure = target.label + ": " + url.status().message();
    co_return attempt;
  }
  const net::Url where = *url;
  http::request<http::string_body> forward{http::verb::post, net::path_prefix(where) + endpoint_path, 11};
  forward.set(http::field::host, where.host_header());
  forward.set(http::field::content_type, "application/json");
  forward.set(http::field::user_agent, "hearth-gateway");
  forward.set("X-Request-Id", state.id);
  if (auto it = gateway.authorization.find(target.label); it != gateway.authorization.end()) {
    if (anthropic) {
      forward.set("x-api-key", it->second.substr(std::string_view("Bearer ").size()));
    } else {
      forward.set(http::field::authorization, it->second);
    }
  }
  if (anthropic) forward.set("anthropic-version", kAnthropicVersion);
  if (target.kind == gateway::TargetKind::kNode) {
    // hearth's own headers mean something only to another hearth node.
    for (const char* name : {"X-Hearth-Priority", "X-Hearth-Data-Class"}) {
      if (auto header = request.find(name); header != request.end()) forward.set(name, header->value());
    }
  }
  forward.body() = std::move(body);
  forward.prepare_payload();

  // A kept-alive connection to this target if one is idle, else a new one. A
  // pooled connection the upstream has closed meanwhile fails before any
  // response byte: then once more on a new connection.
  auto executor = connection.stream.get_executor();
  std::unique_ptr<net::HttpConnection> upstream = gateway.take_idle(target.label);
  bool reused = upstream != nullptr;
  std::optional<net::ResponseParser> parser;
  Status header = ok_status();
  for (int try_idx = 0; try_idx < 2; ++try_idx) {
    if (!upstream) {
      auto opened = co_await net::HttpConnection::open(executor, where, gateway.tls.get(), kConnectTimeoutMs);
      if (!opened.ok()) {
        header = opened.status();
        break;
      }
      upstream = std::move(opened).value();
      reused = false;
    }
    parser.emplace();
    parser->body_limit(uint64_t{1} << 40);  // answers pass through; the client bounds what it reads
    Status sent = co_await upstream->write(forward, kConnectTimeoutMs);
    if (sent.ok()) {
      // Not one conditional expression: GCC 12 frees a temporary twice around a co_await inside one.
      Status read = co_await upstream->read_header(*parser, kResponseTimeoutMs);
      sent = std::move(read);
    }
    header = std::move(sent);
    if (header.ok() || !reused) break;
    upstream.reset();
  }
  if (!header.ok()) {
    gateway.fleet.record_outcome(target.label, false, steady_now_ms());
    attempt.failure = target.label + ": " + header.message();
    co_return attempt;
  }
  const unsigned status = parser->get().result_int();
  if (status >= 500 || status == 429) {
    // Its failure or its limit, not the client's: the next target may answer.
    if (status >= 500) gateway.fleet.record_outcome(target.label, false, steady_now_ms());
    attempt.failure = target.label + ": HTTP " + std::to_string(status);
    co_return attempt;
  }

  // From here the client gets this target's answer, whatever happens.
  attempt.answered = true;
  http::response<http::empty_body> head{static_cast<http::status>(status), 11};
  head.set(http::field::server, "hearth");
  const auto content_type = parser->get()[http::field::content_type];
  const bool translate_stream = anthropic_stream.has_value() && status < 300;
  const bool translate_whole = translate && !translate_stream;  // a message or an error, translated once whole
  if (translate) {
    head.set(http::field::content_type, translate_stream ? "text/event-stream" : "application/json");
  } else {
    head.set(http::field::content_type, content_type.empty() ? beast::string_view("application/json") : content_type);
  }
  head.set("X-Request-Id", state.id);
  head.set("X-Hearth-Target", target.label);
  ctx.metrics.record_route(target.label, gateway::data_class_name(data_class));
  for (const char* name : {"Retry-After", "X-Hearth-Truncated-Tokens", "X-Hearth-Truncated-Messages"}) {
    if (auto value = parser->get().find(name); value != parser->get().end()) head.set(name, value->value());
  }
  head.keep_alive(state.keep_alive && !connection.close_after_response);
  head.chunked(true);
  if (!head.keep_alive()) connection.close_after_response = true;
  state.record.status = static_cast<int>(status);
  state.record.model = target.label + "/" + target.model;
  state.response_started = true;
  http::response_serializer<http::empty_body> serializer{head};
  boost::system::error_code error;
  connection.stream.expires_after(to_ms(connection.io_timeout_ms));
  co_await http::async_write_header(connection.stream, serializer, asio::redirect_error(asio::use_awaitable, error));
  connection.stream.expires_never();
  if (error) {
    upstream->close();
    connection.close_after_response = true;
    state.record.status = 499;
    co_return attempt;
  }
  const bool is_sse =
      translate_stream || (!translate && content_type.find("text/event-stream") != beast::string_view::npos);
  bool upstream_broke = false;
  std::string tail;   // the end of the body, for its usage
  std::string whole;  // translate_whole: the body so far
  while (!parser->is_done()) {
    std::string piece;
    Status read = co_await upstream->read_body_piece(*parser, &piece, kBodyPieceTimeoutMs);
    if (!read.ok()) {
      upstream_broke = true;
      break;
    }
    if (translate_whole) {
      if (whole.size() + piece.size() > kMaxTranslatedBodyBytes) {
        upstream_broke = true;
        break;
      }
      whole += piece;
      continue;
    }
    if (translate_stream) piece = anthropic_stream->feed(piece);
    tail += piece;
    if (tail.size() > 2 * kUsageTailBytes) tail.erase(0, tail.size() - kUsageTailBytes);
    const bool written = co_await write_chunk(connection, piece);
    if (!written) {
      upstream->close();  // the upstream sees the disconnect and stops generating
      connection.close_after_response = true;
      state.record.status = 499;
      finish_egress.status = ledger::EgressStatus::kCancelled;
      co_return attempt;
    }
    if (!state.record.ttft_ms && !piece.empty()) {
      state.record.ttft_ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - state.t_start).count();
    }
  }
  gateway.fleet.record_outcome(target.label, !upstream_broke, steady_now_ms());
  if (!upstream_broke && parser->is_done() && parser->keep_alive()) {
    gateway.put_idle(target.label, std::move(upstream));
  } else {
    upstream->close();
  }
  if (translate_whole && !upstream_broke) {
    AnthropicUsage counted;
    std::string translated;
    if (status < 300) {
      Result<std::string> completion =
          openai_completion_from_anthropic(whole, state.id, unix_now_ms() / 1000, &counted);
      translated =
          completion.ok()
              ? std::move(completion).value()
              : render_error_body(ApiError{502, "server_error", completion.status().message(), "", "upstream_failed"});
    } else {
      translated = openai_error_from_anthropic(whole, status);
    }
    tail = translated;
    const bool written = co_await write_chunk(connection, translated);
    if (!written) connection.close_after_response = true;
  }
  // No structured binding: GCC 12 mishandles them in coroutine frames.
  std::pair<int64_t, int64_t> usage = usage_in(tail);
  if (translate_stream) usage = {anthropic_stream->usage().input_tokens, anthropic_stream->usage().output_tokens};
  if (usage.first > 0 || usage.second > 0) {
    state.record.prompt_tokens = usage.first;
    state.record.completion_tokens = usage.second;
  }
  finish_egress.n_prompt = usage.first;
  finish_egress.n_completion = usage.second;
  finish_egress.status = upstream_broke || status >= 400 ? ledger::EgressStatus::kError : ledger::EgressStatus::kOk;
  if (upstream_broke) {
    connection.close_after_response = true;
    state.record.status = 502;
    if (is_sse) {
      const ApiError broke{502, "server_error", "The upstream " + target.label + " stopped in the middle of the answer",
                           "", "upstream_failed"};
      const std::string event = stream_error_event(state, broke);
      const bool written = co_await write_chunk(connection, event);
      if (written) co_await write_last_chunk(connection);
    }
    co_return attempt;
  }
  co_await write_last_chunk(connection);
  co_return attempt;
}

}  // namespace

Result<std::map<std::string, std::string>> read_upstream_keys(const gateway::GatewayConfig& config) {
  std::map<std::string, std::string> out;
  auto read = [&out](const std::string& label, const std::string& variable) -> Status {
    if (variable.empty()) return ok_status();
    const char* value = std::getenv(variable.c_str());
    if (value == nullptr || *value == '\0') {
      return invalid_argument_error("the environment variable " + variable + " (the API key for " + label +
                                    ") is not set");
    }
    out[label] = std::string("Bearer ") + value;
    return ok_status();
  };
  for (const gateway::NodeTarget& node : config.nodes) {
    HEARTH_RETURN_IF_ERROR(read("node:" + node.name, node.api_key_env));
  }
  for (const gateway::Provider& provider : config.providers) {
    HEARTH_RETURN_IF_ERROR(read(provider.name, provider.api_key_env));
  }
  return out;
}

gateway::NodeStatus self_status(const node::ModelManager& models) {
  gateway::NodeStatus out;
  for (const node::ModelInfo& info : models.list()) {
    if (!info.invalid_reason.empty()) continue;  // not servable: not a route target
    gateway::NodeModelStatus model;
    model.id = info.id;
    model.resident = info.resident;
    model.fits_budget = info.fits_budget;
    model.load_ms = info.load_ms;
    model.n_ctx = info.n_ctx;
    if (info.stats) {
      model.running = info.stats->n_running;
      model.waiting = info.stats->n_waiting;
      model.prefill_tps = info.stats->prefill_tps;
    }
    out.models.push_back(std::move(model));
  }
  return out;
}

std::vector<std::string> gateway_model_ids(const GatewayState& gateway, const node::ModelManager& models) {
  std::set<std::string> ids;
  for (const gateway::ModelRoute& alias : gateway.config->aliases) ids.insert(alias.name);
  for (const node::ModelInfo& info : models.list()) {
    if (info.invalid_reason.empty()) ids.insert(info.id);
  }
  for (size_t node_idx = 0; node_idx < gateway.fleet.nodes().size(); ++node_idx) {
    if (!gateway.fleet.up(node_idx)) continue;
    for (const gateway::NodeModelStatus& model : gateway.fleet.status(node_idx).models) ids.insert(model.id);
  }
  return {ids.begin(), ids.end()};
}

namespace {

// What the gateway routes, apart from where: the upstream path, how a node
// would check the body, and how this node serves it itself.
struct GatewayEndpoint {
  std::string path;  // "/chat/completions", "/embeddings": under a target's base URL
  // OpenAI streams of generated text: a cloud stream is asked for its usage (for the ledger).
  bool streams_usage = false;
  std::function<std::optional<ApiError>(std::string_view body)> validate;
  std::function<asio::awaitable<void>(const HttpRequest& local)> serve_locally;
};

asio::awaitable<void> route_through_gateway(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                            RequestState& state, const GatewayEndpoint& endpoint) {
  GatewayState& gateway = *ctx.gateway;
  const std::shared_ptr<const gateway::GatewayConfig> config = gateway.config;  // this request's, even across a reload
  ApiResult<RoutedBody> routed = read_routed_body(to_std(request.body()));
  if (!routed.ok()) {
    ApiError error = routed.error();
    co_await write_error(connection, state, std::move(error));
    co_return;
  }
  state.record.model = routed->model;
  // Checked as a node would check it, so that nothing a node would refuse
  // leaves for the cloud (and its ledger row).
  if (std::optional<ApiError> invalid = endpoint.validate(to_std(request.body()))) {
    co_await write_error(connection, state, std::move(*invalid));
    co_return;
  }
  const gateway::DataClass floor = state.key ? state.key->data_class : config->policy.default_class;
  ApiResult<gateway::DataClass> data_class = request_data_class(state.policy, floor);
  if (!data_class.ok()) {
    ApiError error = data_class.error();
    co_await write_error(connection, state, std::move(error));
    co_return;
  }
  // A key with a monthly cloud budget: once this month's spend reaches it, the cloud is left out.
  bool cloud_budget_left = true;
  if (state.key && state.key->monthly_cloud_budget_udollars && ctx.egress != nullptr) {
    Result<int64_t> spent = ctx.egress->month_spend_udollars(state.key->name, unix_now_ms());
    cloud_budget_left = spent.ok() && *spent < *state.key->monthly_cloud_budget_udollars;
  }
  const gateway::RouteRequest route_request{routed->model, *data_class, static_cast<int64_t>(request.body().size() / 4),
                                            cloud_budget_left};
  Result<std::vector<gateway::Target>> targets =
      gateway::plan_route(*config, gateway.fleet, self_status(ctx.models), route_request, steady_now_ms());
  if (!targets.ok()) {
    ApiError error = route_error(targets.status(), routed->model);
    co_await write_error(connection, state, std::move(error));
    co_return;
  }

  std::vector<std::string> failures;
  const uint64_t routed_generation = gateway.generation;
  std::optional<ApiError> refused;
  for (const gateway::Target& target : *targets) {
    if (gateway.generation != routed_generation) {
      // Node indices are the old fleet's: answer with what failed so far rather than guess.
      failures.push_back("the config was reloaded while failing over");
      break;
    }
    json body = routed->body;
    body["model"] = target.model;
    if (target.kind == gateway::TargetKind::kSelf) {
      // This node's own engine answers; whatever it says is the answer.
      HttpRequest local = request;
      local.body() = dump_json(body);
      local.prepare_payload();
      ctx.metrics.record_route(target.label, gateway::data_class_name(*data_class));
      co_await endpoint.serve_locally(local);
      co_return;
    }
    if (target.kind == gateway::TargetKind::kCloud && endpoint.streams_usage && routed->stream &&
        !body.contains("stream_options")) {
      // So the ledger learns the tokens: the client sees one more chunk, with usage and no choices.
      body["stream_options"] = {{"include_usage", true}};
    }
    std::string forwarded = dump_json(body);
    std::string path = endpoint.path;
    const gateway::DataClass request_class = *data_class;
    std::shared_ptr<const gateway::GatewayConfig> routed_config = config;
    Attempt attempt = co_await proxy_to(ctx, connection, request, state, target, std::move(forwarded), std::move(path),
                                        request_class, std::move(routed_config));
    if (attempt.answered) co_return;
    failures.push_back(attempt.failure);
    if (attempt.refused && !refused) refused = attempt.refused;
  }
  if (refused && failures.size() == 1) {
    ApiError error = *refused;
    co_await write_error(connection, state, std::move(error));
    co_return;
  }
  std::string message = "Every target for '" + routed->model + "' failed before answering: ";
  for (size_t failure_idx = 0; failure_idx < failures.size(); ++failure_idx) {
    if (failure_idx > 0) message += "; ";
    message += failures[failure_idx];
  }
  ApiError error{502, "server_error", std::move(message), "", "upstream_failed"};
  co_await write_error(connection, state, std::move(error));
}

}  // namespace

asio::awaitable<void> handle_gateway_generation(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                                GenerationKind kind, RequestState& state) {
  GatewayEndpoint endpoint;
  endpoint.path = kind == GenerationKind::kChat             ? "/chat/completions"
                  : kind == GenerationKind::kMessages       ? "/messages"
                  : kind == GenerationKind::kOllamaChat     ? "/api/chat"
                  : kind == GenerationKind::kOllamaGenerate ? "/api/generate"
                                                            : "/completions";
  endpoint.streams_usage = kind == GenerationKind::kChat || kind == GenerationKind::kCompletion;
  // Features hearth's engine lacks (tools, n > 1, ...) may still go to a
  // provider that has them: the fields read before such a feature are
  // checked, the provider checks the rest.
  endpoint.validate = [kind](std::string_view body) -> std::optional<ApiError> {
    ApiResult<ParsedGeneration> parsed = parse_generation(kind, body);
    if (parsed.ok() || parsed.error().code == kUnsupportedFeatureCode) return std::nullopt;
    return parsed.error();
  };
  endpoint.serve_locally = [&ctx, &connection, kind, &state](const HttpRequest& local) {
    return handle_generation(ctx, connection, local, kind, state);
  };
  co_await route_through_gateway(ctx, connection, request, state, endpoint);
}

asio::awaitable<void> handle_gateway_embeddings(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                                RequestState& state, EmbeddingsDialect dialect) {
  GatewayEndpoint endpoint;
  endpoint.path = dialect == EmbeddingsDialect::kOllamaEmbed    ? "/api/embed"
                  : dialect == EmbeddingsDialect::kOllamaLegacy ? "/api/embeddings"
                                                                : "/embeddings";
  endpoint.validate = [dialect](std::string_view body) -> std::optional<ApiError> {
    std::string openai_body(body);
    if (dialect != EmbeddingsDialect::kOpenAI) {
      ApiResult<OllamaEmbed> translated = translate_ollama_embed(body, dialect == EmbeddingsDialect::kOllamaLegacy);
      if (!translated.ok()) return translated.error();
      openai_body = std::move(translated->openai_body);
    }
    ApiResult<EmbeddingsRequest> parsed = parse_embeddings_request(openai_body);
    if (parsed.ok()) return std::nullopt;
    return parsed.error();
  };
  endpoint.serve_locally = [&ctx, &connection, &state, dialect](const HttpRequest& local) {
    return handle_embeddings(ctx, connection, local, state, dialect);
  };
  co_await route_through_gateway(ctx, connection, request, state, endpoint);
}

asio::awaitable<void> handle_gateway_rerank(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                            RequestState& state) {
  GatewayEndpoint endpoint;
  endpoint.path = "/rerank";
  endpoint.validate = [](std::string_view body) -> std::optional<ApiError> {
    ApiResult<RerankRequest> parsed = parse_rerank_request(body);
    if (parsed.ok()) return std::nullopt;
    return parsed.error();
  };
  endpoint.serve_locally = [&ctx, &connection, &state](const HttpRequest& local) {
    return handle_rerank(ctx, connection, local, state);
  };
  co_await route_through_gateway(ctx, connection, request, state, endpoint);
}

asio::awaitable<void> handle_gateway_ocr(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                         RequestState& state) {
  GatewayEndpoint endpoint;
  endpoint.path = "/ocr";
  endpoint.validate = [](std::string_view body) -> std::optional<ApiError> {
    ApiResult<OcrApiRequest> parsed = parse_ocr_request(body);
    if (parsed.ok() || parsed.error().code == kUnsupportedFeatureCode) return std::nullopt;
    return parsed.error();
  };
  endpoint.serve_locally = [&ctx, &connection, &state](const HttpRequest& local) {
    return handle_ocr(ctx, connection, local, state);
  };
  co_await route_through_gateway(ctx, connection, request, state, endpoint);
}

asio::awaitable<void> handle_gateway_speech(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                            RequestState& state) {
  GatewayEndpoint endpoint;
  endpoint.path = "/audio/speech";
  endpoint.validate = [](std::string_view body) -> std::optional<ApiError> {
    ApiResult<SpeechApiRequest> parsed = parse_speech_request(body);
    if (parsed.ok() || parsed.error().code == kUnsupportedFeatureCode) return std::nullopt;
    return parsed.error();
  };
  endpoint.serve_locally = [&ctx, &connection, &state](const HttpRequest& local) {
    return handle_speech(ctx, connection, local, state);
  };
  co_await route_through_gateway(ctx, connection, request, state, endpoint);
}

}  // namespace hearth::api
