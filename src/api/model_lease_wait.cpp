#include "api/model_lease_wait.h"

#include <utility>

#include "api/generation_job.h"

namespace hearth::api {

asio::awaitable<void> wait_for_wake(Waiter& waiter, asio::steady_timer& timer) {
  if (!waiter.woken) {
    timer.expires_at(asio::steady_timer::time_point::max());
    boost::system::error_code cancelled;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, cancelled));
  }
  waiter.woken = false;
}

asio::awaitable<std::optional<Result<node::ModelLease>>> lease_model(ServerContext& ctx, Connection& connection,
                                                                     const std::string& model_id,
                                                                     std::optional<int64_t> keep_alive_ms,
                                                                     std::shared_ptr<Waiter> waiter,
                                                                     asio::steady_timer& timer) {
  auto executor = connection.stream.get_executor();
  auto acquired = std::make_shared<std::optional<Result<node::ModelLease>>>();
  ctx.models.acquire_async(model_id, keep_alive_ms, [executor, waiter, acquired](Result<node::ModelLease> lease) {
    auto shared_lease = std::make_shared<Result<node::ModelLease>>(std::move(lease));
    asio::post(executor, [waiter, acquired, shared_lease] {
      *acquired = std::move(*shared_lease);
      waiter->wake();
    });
  });
  connection.wake_handler = [waiter] { waiter->wake(); };
  while (!acquired->has_value() && connection.stream.socket().is_open()) co_await wait_for_wake(*waiter, timer);
  connection.wake_handler = nullptr;
  if (!acquired->has_value()) co_return std::nullopt;
  co_return std::move(*acquired);
}

asio::awaitable<std::optional<node::ModelLease>> lease_for_request(ServerContext& ctx, Connection& connection,
                                                                   RequestState& state, const std::string& model_id,
                                                                   model::Capability needed, std::string_view what,
                                                                   std::optional<int64_t> keep_alive_ms,
                                                                   std::shared_ptr<Waiter> waiter,
                                                                   asio::steady_timer& timer) {
  if (std::optional<ApiError> refused = model_request_error(ctx.models, model_id, needed, what)) {
    co_await write_error(connection, state, std::move(*refused));
    co_return std::nullopt;
  }
  std::optional<Result<node::ModelLease>> acquired =
      co_await lease_model(ctx, connection, model_id, keep_alive_ms, std::move(waiter), timer);
  if (!acquired) co_return std::nullopt;  // closed while loading (shutdown)
  if (!acquired->ok()) {
    co_await write_error(connection, state, acquire_error(acquired->status(), ctx.stopping));
    co_return std::nullopt;
  }
  co_return std::move(*acquired).value();
}

ApiError acquire_error(const Status& status, bool stopping) {
  switch (status.code()) {
    case ErrorCode::kNotFound:
      return api_error(status, "model", "model_not_found");
    case ErrorCode::kFailedPrecondition:
      return api_error(status, "model", "model_too_large");
    case ErrorCode::kDataLoss:  // the model's file is not servable (the message says why)
      return api_error(status, "model", "model_file_invalid");
    case ErrorCode::kUnavailable:
      return api_error(status, "", stopping ? "server_shutting_down" : "model_busy");
    default:
      return api_error(status, "model", "model_load_failed");
  }
}

std::optional<ApiError> model_request_error(node::ModelManager& models, const std::string& model_id,
                                            model::Capability needed, std::string_view what) {
  if (!models.contains(model_id) && (!models.rescan().ok() || !models.contains(model_id))) {
    return model_not_found_error(model_id);
  }
  std::optional<node::ModelInfo> info = models.info(model_id);
  if (!info || !info->invalid_reason.empty() || model::has_capability(info->capabilities, needed)) return std::nullopt;
  return api_error(
      infer::missing_capability_error("the model '" + model_id + "': " + std::string(what), needed, info->capabilities),
      "model", "model_not_supported");
}

}  // namespace hearth::api
