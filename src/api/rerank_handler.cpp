#include "api/rerank_handler.h"

#include <memory>
#include <optional>

#include "api/rerank.h"
#include "api/model_lease_wait.h"
#include "api/openai_errors.h"
#include "api/usage_recording.h"

namespace hearth::api {
namespace {

ApiError rerank_error(const Status& status) {
  switch (status.code()) {
    case ErrorCode::kResourceExhausted:
      return api_error(status, "", "queue_full");
    case ErrorCode::kUnavailable:
      return api_error(status, "", "server_shutting_down");
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kOutOfRange:
      return api_error(status, "documents");
    default:
      return api_error(status);
  }
}

}  // namespace

asio::awaitable<void> handle_rerank(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                    RequestState& state) {
  ApiResult<RerankRequest> parsed = parse_rerank_request(to_std(request.body()));
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
      ctx, connection, state, parsed->model, model::Capability::kRerank, "rerank", std::nullopt, waiter, timer);
  if (!leased) co_return;  // answered (refused or not leased) or closed
  node::ModelLease lease = std::move(*leased);

  ApiResult<infer::RerankRequest> inputs =
      build_rerank_inputs(*parsed, *lease->tokenizer, lease->n_ctx(), lease->n_token_types);
  if (!inputs.ok()) {
    co_await write_error(connection, state, ApiError(inputs.error()));
    co_return;
  }
  int64_t n_tokens = 0;
  for (const std::vector<int32_t>& ids : inputs->inputs) n_tokens += static_cast<int64_t>(ids.size());
  state.record.prompt_tokens = n_tokens;

  const LocalUsageStart usage_start = begin_local_usage(ctx);  // the usage ledger's wall time starts here
  // The engine thread hands the result to the I/O thread.
  auto result = std::make_shared<std::optional<Result<infer::RerankResult>>>();
  Status submitted =
      lease->engine->rerank(std::move(*inputs), deliver_to(executor, waiter, result));
  if (!submitted.ok()) {
    co_await write_error(connection, state, rerank_error(submitted));
    co_return;
  }
  // The lease keeps the model loaded until the result lands, even if the client left.
  while (!result->has_value()) co_await wait_for_wake(*waiter, timer);
  if (!(*result)->ok()) {
    co_await write_error(connection, state, rerank_error((*result)->status()));
    co_return;
  }
  record_local_usage(ctx, state, parsed->model, result->value()->n_prompt_tokens, 0, usage_start);
  co_await write_json(connection, state, 200, render_rerank_response(*parsed, result->value().value()));
}

}  // namespace hearth::api
