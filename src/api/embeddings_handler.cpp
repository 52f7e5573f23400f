#include "api/embeddings_handler.h"

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>

#include "api/embeddings.h"
#include "api/model_lease_wait.h"
#include "api/json_output.h"
#include "api/ollama_requests.h"
#include "api/openai_errors.h"
#include "api/usage_recording.h"

namespace hearth::api {
namespace {

ApiError embed_error(const Status& status) {
  switch (status.code()) {
    case ErrorCode::kResourceExhausted:
      return api_error(status, "", "queue_full");
    case ErrorCode::kUnavailable:
      return api_error(status, "", "server_shutting_down");
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kOutOfRange:
      return api_error(status, "input");
    default:
      return api_error(status);
  }
}

// The OpenAI response restated as Ollama's: {model, embeddings, durations,
// prompt_eval_count}, or the older {embedding} (one input).
ApiResult<std::string> ollama_embeddings_body(const std::string& openai_body, EmbeddingsDialect dialect,
                                              const std::string& model, int64_t n_prompt_tokens, double total_ms) {
  const nlohmann::json openai = nlohmann::json::parse(openai_body, nullptr, /*allow_exceptions=*/false);
  if (!openai.is_object() || !openai.contains("data")) {
    return api_error(internal_error("the embeddings response could not be restated for Ollama"));
  }
  nlohmann::json vectors = nlohmann::json::array();
  for (const nlohmann::json& item : openai["data"]) vectors.push_back(item["embedding"]);
  if (dialect == EmbeddingsDialect::kOllamaLegacy) {
    return dump_json(nlohmann::json{{"embedding", vectors.empty() ? nlohmann::json::array() : vectors[0]}});
  }
  return dump_json(nlohmann::json{{"model", model},
                                  {"embeddings", std::move(vectors)},
                                  {"total_duration", static_cast<int64_t>(total_ms * 1e6)},
                                  {"load_duration", 0},
                                  {"prompt_eval_count", n_prompt_tokens}});
}

}  // namespace

asio::awaitable<void> handle_embeddings(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                        RequestState& state, EmbeddingsDialect dialect) {
  std::string openai_body;
  std::optional<int64_t> keep_alive_ms;
  if (dialect == EmbeddingsDialect::kOpenAI) {
    openai_body = request.body();
  } else {
    ApiResult<OllamaEmbed> translated = translate_ollama_embed(to_std(request.body()),
                                                               dialect == EmbeddingsDialect::kOllamaLegacy);
    if (!translated.ok()) {
      ApiError error = translated.error();
      co_await write_error(connection, state, std::move(error));
      co_return;
    }
    openai_body = std::move(translated->openai_body);
    keep_alive_ms = translated->keep_alive_ms;
  }
  ApiResult<EmbeddingsRequest> parsed = parse_embeddings_request(openai_body);
  if (!parsed.ok()) {
    co_await write_error(connection, state, ApiError(parsed.error()));
    co_return;
  }
  state.record.model = parsed->model;
  auto executor = connection.stream.get_executor();
  auto waiter = std::make_shared<Waiter>();
  asio::steady_timer timer(executor);
  WaiterTimer attached(*waiter, timer);
  std::optional<node::ModelLease> leased = co_await lease_for_request(
      ctx, connection, state, parsed->model, model::Capability::kEmbed, "embeddings", keep_alive_ms, waiter, timer);
  if (!leased) co_return;  // answered (refused or not leased) or closed
  node::ModelLease lease = std::move(*leased);

  ApiResult<infer::EmbedRequest> embed = build_embed_request(*parsed, *lease->tokenizer, lease->n_ctx());
  if (!embed.ok()) {
    co_await write_error(connection, state, ApiError(embed.error()));
    co_return;
  }
  embed->priority = state.policy.priority;  // X-Hearth-Priority: batch yields the cores to chat
  int64_t n_tokens = 0;
  for (const std::vector<int32_t>& ids : embed->inputs) n_tokens += static_cast<int64_t>(ids.size());
  state.record.prompt_tokens = n_tokens;

  const LocalUsageStart usage_start = begin_local_usage(ctx);  // the usage ledger's wall time starts here
  // The engine thread hands the result to the I/O thread.
  auto result = std::make_shared<std::optional<Result<infer::EmbedResult>>>();
  Status submitted =
      lease->engine->embed(std::move(*embed), deliver_to(executor, waiter, result));
  if (!submitted.ok()) {
    co_await write_error(connection, state, embed_error(submitted));
    co_return;
  }
  // The lease keeps the model loaded until the result lands, even if the client left.
  while (!result->has_value()) co_await wait_for_wake(*waiter, timer);
  if (!(*result)->ok()) {
    co_await write_error(connection, state, embed_error((*result)->status()));
    co_return;
  }
  record_local_usage(ctx, state, parsed->model, result->value()->n_prompt_tokens, 0, usage_start);
  ApiResult<std::string> body = render_embeddings_response(*parsed, result->value().value());
  if (body.ok() && dialect != EmbeddingsDialect::kOpenAI) {
    const double total_ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - state.t_start).count();
    body = ollama_embeddings_body(body.value(), dialect, parsed->model, result->value()->n_prompt_tokens, total_ms);
  }
  if (!body.ok()) {
    co_await write_error(connection, state, ApiError(body.error()));
    co_return;
  }
  co_await write_json(connection, state, 200, std::move(body).value());
}

}  // namespace hearth::api
