// Leasing a model from a handler's coroutine: the model manager loads on its
// own thread, and the handler waits on the I/O thread for the lease without
// blocking it (the Waiter is woken through the connection's executor).
//
//   auto waiter = std::make_shared<Waiter>();
//   asio::steady_timer timer(connection.stream.get_executor());
//   WaiterTimer attached(*waiter, timer);
//   std::optional<Result<node::ModelLease>> lease = co_await lease_model(ctx, connection, id, keep_alive, waiter,
//   timer); if (!lease) co_return;                                          // the connection closed meanwhile if
//   (!lease->ok()) { write acquire_error(lease->status(), ctx.stopping); co_return; }
//
// I/O thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "api/http_connection.h"
#include "api/openai_errors.h"
#include "node/model_manager.h"

namespace hearth::api {

// Wakes a handler's coroutine: engine notifications and the disconnect watch
// post here. I/O thread only.
struct Waiter {
  asio::steady_timer* timer = nullptr;  // the handler's timer while it runs; null after
  bool woken = false;

  void wake() {
    woken = true;
    if (timer != nullptr) timer->cancel();
  }
};

// Attaches the handler's timer to a waiter for the scope of the handler.
struct WaiterTimer {
  WaiterTimer(Waiter& waiter_in, asio::steady_timer& timer) : waiter(waiter_in) { waiter.timer = &timer; }
  ~WaiterTimer() { waiter.timer = nullptr; }
  WaiterTimer(const WaiterTimer&) = delete;
  WaiterTimer& operator=(const WaiterTimer&) = delete;
  Waiter& waiter;
};

// The callback an engine calls on its own thread with a request's result: the
// result is stored in `slot` on the handler's I/O thread (through `executor`)
// and the handler woken; it then awaits wait_for_wake until the slot is set.
template <typename T, typename Executor>
std::function<void(Result<T>)> deliver_to(Executor executor, std::shared_ptr<Waiter> waiter,
                                          std::shared_ptr<std::optional<Result<T>>> slot) {
  return [executor, waiter = std::move(waiter), slot = std::move(slot)](Result<T> done) {
    auto shared = std::make_shared<Result<T>>(std::move(done));
    asio::post(executor, [waiter, slot, shared] {
      *slot = std::move(*shared);
      waiter->wake();
    });
  };
}

// Waits until the waiter is woken (returns at once if it already was).
asio::awaitable<void> wait_for_wake(Waiter& waiter, asio::steady_timer& timer);

// Leases `model_id`, loading it if it is not resident. nullopt when the
// connection closed while the load ran (the lease is released when it lands).
asio::awaitable<std::optional<Result<node::ModelLease>>> lease_model(ServerContext& ctx, Connection& connection,
                                                                     const std::string& model_id,
                                                                     std::optional<int64_t> keep_alive_ms,
                                                                     std::shared_ptr<Waiter> waiter,
                                                                     asio::steady_timer& timer);

// The start of every one-shot engine route (embeddings, rerank, OCR, speech): refuses a model that
// cannot serve `needed` (model_request_error), then leases it (lease_model), writing the error
// response itself. nullopt when the request ends here (refused, not leased, or the connection
// closed while the model loaded); otherwise the lease.
asio::awaitable<std::optional<node::ModelLease>> lease_for_request(ServerContext& ctx, Connection& connection,
                                                                   RequestState& state, const std::string& model_id,
                                                                   model::Capability needed, std::string_view what,
                                                                   std::optional<int64_t> keep_alive_ms,
                                                                   std::shared_ptr<Waiter> waiter,
                                                                   asio::steady_timer& timer);

// A model that could not be leased: unknown (404), too large for this node
// whatever happens (400, saying what would fit), busy or shutting down (503),
// or a failed load (500, naming the file).
ApiError acquire_error(const Status& status, bool stopping);

// Whether this node can take a request for `model_id` that needs `needed`
// (`what`, e.g. "text generation"), before anything loads: a 404
// model_not_found for an id the models directory lacks even after a rescan
// (it may have been added since), a 400 model_not_supported when the model,
// as planned, cannot serve it; nullopt when it can (or when it is invalid:
// leasing it says why).
std::optional<ApiError> model_request_error(node::ModelManager& models, const std::string& model_id,
                                            model::Capability needed, std::string_view what);

}  // namespace hearth::api
