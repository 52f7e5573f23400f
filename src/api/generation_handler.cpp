#include "api/generation_handler.h"

#include <array>
#include <optional>

#include "api/json_fields.h"
#include "api/model_lease_wait.h"
#include "api/ollama_renderers.h"
#include "api/sequence_channel.h"
#include "api/sse.h"
#include "api/usage_recording.h"
#include "base/clock.h"

namespace hearth::api {
namespace {

// Bytes a client may send ahead (pipelining) while a request is handled;
// past this the connection stops watching the socket for the client leaving.
constexpr size_t kMaxPipelinedBytes = 64 * 1024;

// A read on the socket while the request is handled: it completes only when
// the client sends more (kept for the next request) or leaves.
struct DisconnectWatch {
  std::shared_ptr<Waiter> waiter;
  std::array<char, 4096> scratch{};
  std::string pipelined;
  bool pending = false;
  bool peer_closed = false;
};

// The socket outlives a pending read: the handler waits for it to complete
// before it returns (stop_watch), and a destroyed socket completes it first.
void arm_watch(asio::ip::tcp::socket& socket, std::shared_ptr<DisconnectWatch> watch) {
  watch->pending = true;
  socket.async_read_some(asio::buffer(watch->scratch),
                         [&socket, watch](const boost::system::error_code& error, size_t n_bytes) {
                           watch->pending = false;
                           if (!error) {
                             watch->pipelined.append(watch->scratch.data(), n_bytes);
                             if (watch->pipelined.size() < kMaxPipelinedBytes) {
                               arm_watch(socket, watch);
                               return;
                             }
                           } else if (error != asio::error::operation_aborted) {
                             watch->peer_closed = true;  // EOF or reset: the client is gone
                           }
                           watch->waiter->wake();
                         });
}

// Undoes what submitting set up, however the handler ends (exceptions and a
// destroyed coroutine frame included).
struct ActiveSequence {
  std::shared_ptr<infer::SequenceHandle> handle;
  std::shared_ptr<SequenceChannel> channel;
  std::shared_ptr<Waiter> waiter;
  Connection& connection;
  node::ModelLease lease;  // the model stays loaded until the sequence is done with
  bool finished = false;

  ~ActiveSequence() {
    if (!finished) handle->cancel();
    channel->close();
    waiter->timer = nullptr;
    connection.wake_handler = nullptr;
  }
};

ApiError shutdown_cancel_error() {
  return api_error(unavailable_error("The server is shutting down; the request was cancelled before it finished"), "",
                   "server_shutting_down");
}

ApiError submit_error(const Status& status, GenerationKind kind) {
  switch (status.code()) {
    case ErrorCode::kResourceExhausted:
      return api_error(status, "", "queue_full");
    case ErrorCode::kUnavailable:
      return api_error(status, "", "server_shutting_down");
    case ErrorCode::kOutOfRange:
      return api_error(status, kind == GenerationKind::kCompletion ? "prompt" : "messages");
    default:
      return api_error(status);
  }
}

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

asio::awaitable<void> handle_generation(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                        GenerationKind kind, RequestState& state) {
  const infer::Priority priority = state.policy.priority;
  state.record.priority = priority == infer::Priority::kBatch ? "batch" : "interactive";
  // X-Hearth-Data-Class was checked with the other policy headers: on a node,
  // where everything runs locally, its value decides nothing more.

  ApiResult<ParsedGeneration> parsed = parse_generation(kind, to_std(request.body()));
  if (!parsed.ok()) {
    ApiError error = parsed.error();
    co_await write_error(connection, state, std::move(error));
    co_return;
  }
  state.record.model = parsed->model();
  if (std::optional<ApiError> refused =
          model_request_error(ctx.models, parsed->model(), model::Capability::kGenerate, "text generation")) {
    co_await write_error(connection, state, std::move(*refused));
    co_return;
  }

  auto executor = connection.stream.get_executor();
  auto waiter = std::make_shared<Waiter>();
  asio::steady_timer timer(executor);
  WaiterTimer attached(*waiter, timer);

  // Lease the model, loading it (on the manager's thread) if it is not resident.
  std::optional<Result<node::ModelLease>> acquired =
      co_await lease_model(ctx, connection, parsed->model(), parsed->generation().keep_alive_ms, waiter, timer);
  if (!acquired) co_return;  // closed while loading (shutdown); the lease is released when it lands
  if (!acquired->ok()) {
    ApiError error = acquire_error(acquired->status(), ctx.stopping);
    co_await write_error(connection, state, std::move(error));
    co_return;
  }
  node::ModelLease lease = std::move(*acquired).value();
  if (parsed->load_only) {
    // Ollama's load (or, with keep_alive 0, unload) request: the lease ends now and the keep-alive runs from here.
    lease.release();
    const std::optional<int64_t> keep_alive_ms = parsed->generation().keep_alive_ms;
    std::string body = render_ollama_load(parsed->model(), parsed->kind == GenerationKind::kOllamaChat,
                                          keep_alive_ms && *keep_alive_ms == 0, unix_now_ms());
    co_await write_json(connection, state, 200, std::move(body));
    co_return;
  }

  ApiResult<GenerationJob> prepared = build_generation_job(*parsed, *lease, state.id, unix_now_ms() / 1000, ctx.ids);
  if (!prepared.ok()) {
    ApiError error = prepared.error();
    co_await write_error(connection, state, std::move(error));
    co_return;
  }
  GenerationJob& job = *prepared;
  state.record.prompt_tokens = static_cast<int64_t>(job.sequence.prompt.size());
  job.sequence.priority = priority;
  if (job.truncation.n_tokens_removed > 0) {
    state.response_headers.emplace_back("X-Hearth-Truncated-Tokens", std::to_string(job.truncation.n_tokens_removed));
  }
  if (job.truncation.n_messages_removed > 0) {
    state.response_headers.emplace_back("X-Hearth-Truncated-Messages",
                                        std::to_string(job.truncation.n_messages_removed));
  }

  // Runs on the engine thread: only hands the wake-up to the I/O thread.
  auto channel = std::make_shared<SequenceChannel>(
      job.logprobs, [executor, waiter] { asio::post(executor, [waiter] { waiter->wake(); }); });
  const LocalUsageStart usage_start = begin_local_usage(ctx);  // the usage ledger's wall time starts here
  Result<std::shared_ptr<infer::SequenceHandle>> submitted = lease->engine->submit(std::move(job.sequence), channel);
  if (!submitted.ok()) {
    channel->close();
    ApiError error = submit_error(submitted.status(), kind);
    co_await write_error(connection, state, std::move(error));
    co_return;
  }
  ActiveSequence active{*submitted, channel, waiter, connection, std::move(lease)};
  connection.wake_handler = [waiter] { waiter->wake(); };
  auto watch = std::make_shared<DisconnectWatch>();
  watch->waiter = waiter;
  arm_watch(connection.stream.socket(), watch);

  bool client_gone = false;
  bool lost_events = false;
  std::optional<FinishOutput> finish;
  if (job.stream) {
    const bool head_written = co_await write_stream_head(connection, state, job.content_type);
    client_gone = !head_written;
    const std::string start = job.renderer->stream_start();
    if (head_written) client_gone = !co_await write_chunk(connection, start);
  }
  while (!client_gone) {
    waiter->woken = false;
    SequenceOutput output = channel->take();
    if (output.lost_events) {
      // The engine's events could not be copied: the answer would have a gap.
      lost_events = true;
      active.handle->cancel();
      break;
    }
    if (!output.tokens.empty() && !state.record.ttft_ms) state.record.ttft_ms = ms_since(state.t_start);
    std::string bytes;
    if (job.stream) {
      bytes = job.renderer->stream_tokens(output.tokens);
    } else {
      job.renderer->collect(output.tokens);
    }
    if (output.finish) {
      finish = std::move(output.finish);
      active.finished = true;
      const bool completed = finish->reason != infer::FinishReason::kCancelled && finish->error.ok();
      if (job.stream && completed) bytes += job.renderer->stream_finish(*finish);
    }
    if (!bytes.empty()) {
      const bool written = co_await write_chunk(connection, bytes);
      if (!written) {
        client_gone = true;
        break;
      }
    }
    if (finish) break;
    if (watch->peer_closed || !connection.stream.socket().is_open()) {
      client_gone = true;
      break;
    }
    co_await wait_for_wake(*waiter, timer);
  }

  if (client_gone) {
    active.handle->cancel();  // now, so the engine frees the KV blocks at its next step
    connection.close_after_response = true;
    state.record.status = 499;  // nginx's "client closed request"
  }
  // Stop watching the socket before the next request is read from it.
  if (watch->pending) {
    boost::system::error_code ignored;
    connection.stream.socket().cancel(ignored);
    while (watch->pending) co_await wait_for_wake(*waiter, timer);
  }
  if (!watch->pipelined.empty()) {
    const size_t n_bytes = watch->pipelined.size();
    asio::buffer_copy(connection.buffer.prepare(n_bytes), asio::buffer(watch->pipelined));
    connection.buffer.commit(n_bytes);
  }
  if (client_gone) co_return;
  if (lost_events) {
    ApiError error = api_error(internal_error("the server ran out of memory while streaming the answer"));
    connection.close_after_response = true;
    if (state.response_started) {
      state.record.status = error.http_status;
      const std::string event = stream_error_event(state, error);
      const bool written = co_await write_chunk(connection, event);
      if (written) co_await write_last_chunk(connection);
    } else {
      co_await write_error(connection, state, std::move(error));
    }
    co_return;
  }

  state.record.prompt_tokens = finish->n_prompt_tokens;
  state.record.completion_tokens = finish->n_generated_tokens;
  state.record.cached_tokens = finish->n_cached_prompt_tokens;
  record_local_usage(ctx, state, parsed->model(), finish->n_prompt_tokens, finish->n_generated_tokens, usage_start);
  if (finish->reason == infer::FinishReason::kCancelled || !finish->error.ok()) {
    // Cancelled without an error, or with kUnavailable: the drain deadline passed (or the engine stopped).
    const ApiError error = finish->error.ok() ? shutdown_cancel_error()
                           : finish->error.code() == ErrorCode::kUnavailable
                               ? api_error(finish->error, "", "server_shutting_down")
                               : api_error(finish->error);
    if (job.stream) {
      // Headers went out with 200: the error travels as a last event, then the connection closes.
      connection.close_after_response = true;
      state.record.status = error.http_status;
      const std::string event = stream_error_event(state, error);
      const bool written = co_await write_chunk(connection, event);
      if (written) co_await write_last_chunk(connection);
    } else {
      connection.close_after_response = true;
      ApiError response_error = error;
      co_await write_error(connection, state, std::move(response_error));
    }
    co_return;
  }
  if (job.stream) {
    const bool written = co_await write_last_chunk(connection);
    if (!written) connection.close_after_response = true;
  } else {
    std::string body = job.renderer->response_body(*finish);
    co_await write_json(connection, state, 200, std::move(body));
  }
}

}  // namespace hearth::api
