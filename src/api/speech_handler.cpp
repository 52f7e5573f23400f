#include "api/speech_handler.h"

#include <memory>
#include <mutex>
#include <optional>

#include "api/model_lease_wait.h"
#include "api/openai_errors.h"
#include "api/speech.h"

namespace hearth::api {
namespace {

// The speech engine's observer: copies each piece on the engine thread and
// wakes the connection's thread; never blocks.
class SpeechChannel final : public infer::SpeechObserver {
 public:
  explicit SpeechChannel(std::function<void()> wake) : wake_(std::move(wake)) {}

  bool on_audio(std::string_view bytes) override {
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return false;
      pending_.append(bytes);
    }
    wake_();
    return true;
  }

  void on_finish(Status status, double /*audio_seconds*/) override {
    {
      std::lock_guard lock(mutex_);
      finish_ = std::move(status);
    }
    wake_();
  }

  struct Taken {
    std::string bytes;
    std::optional<Status> finish;
  };
  Taken take() {
    std::lock_guard lock(mutex_);
    Taken out;
    out.bytes.swap(pending_);
    out.finish = finish_;
    return out;
  }
  // The client left: the next piece stops the synthesis.
  void stop() {
    std::lock_guard lock(mutex_);
    stopped_ = true;
  }

 private:
  const std::function<void()> wake_;
  std::mutex mutex_;
  std::string pending_;           // guarded by mutex_
  std::optional<Status> finish_;  // guarded by mutex_
  bool stopped_ = false;          // guarded by mutex_
};

ApiError speak_error(const Status& status) {
  switch (status.code()) {
    case ErrorCode::kResourceExhausted:
      return api_error(status, "", "queue_full");
    case ErrorCode::kUnavailable:
      return api_error(status, "", "server_shutting_down");
    case ErrorCode::kInvalidArgument:
      return api_error(status, speech_error_param(status.message()));
    default:
      return api_error(status);
  }
}

asio::awaitable<bool> write_audio_head(Connection& connection, RequestState& state, infer::AudioFormat format) {
  http::response<http::empty_body> response{http::status::ok, 11};
  response.set(http::field::server, "hearth");
  response.set(http::field::content_type, std::string(infer::audio_format_mime(format)));
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

}  // namespace

asio::awaitable<void> handle_speech(ServerContext& ctx, Connection& connection, const HttpRequest& request,
                                    RequestState& state) {
  ApiResult<SpeechApiRequest> parsed = parse_speech_request(to_std(request.body()));
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
      ctx, connection, state, parsed->model, model::Capability::kSpeak, "speech", std::nullopt, waiter, timer);
  if (!leased) co_return;  // answered (refused or not leased) or closed
  node::ModelLease lease = std::move(*leased);

  const infer::AudioFormat format = parsed->speech.format;
  auto channel =
      std::make_shared<SpeechChannel>([executor, waiter] { asio::post(executor, [waiter] { waiter->wake(); }); });
  infer::SpeechRequest speech = std::move(parsed->speech);
  Status submitted = lease->engine->speak(std::move(speech), channel);
  if (!submitted.ok()) {
    co_await write_error(connection, state, speak_error(submitted));
    co_return;
  }
  // The lease keeps the model loaded until the engine finished, whatever the client does.
  bool client_gone = false;
  std::optional<Status> finish;
  while (true) {
    waiter->woken = false;
    SpeechChannel::Taken taken = channel->take();
    if (!taken.bytes.empty() && !client_gone) {
      if (!state.response_started) {
        state.record.ttft_ms =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - state.t_start).count();
        client_gone = !co_await write_audio_head(connection, state, format);
      }
      if (!client_gone) client_gone = !co_await write_chunk(connection, taken.bytes);
      if (client_gone) channel->stop();
    }
    if (taken.finish) {
      finish = std::move(taken.finish);
      break;
    }
    co_await wait_for_wake(*waiter, timer);
  }
  if (client_gone) {
    connection.close_after_response = true;
    state.record.status = 499;
    co_return;
  }
  if (!finish->ok()) {
    if (state.response_started) {
      // The audio so far went out with 200: ending without the last chunk tells the client it is cut.
      connection.close_after_response = true;
      state.record.status = speak_error(*finish).http_status;
      co_return;
    }
    co_await write_error(connection, state, speak_error(*finish));
    co_return;
  }
  if (!state.response_started) {
    // No audio at all (an input eSpeak speaks as silence of zero length): an empty body.
    client_gone = !co_await write_audio_head(connection, state, format);
    if (client_gone) co_return;
  }
  const bool written = co_await write_last_chunk(connection);
  if (!written) connection.close_after_response = true;
}

}  // namespace hearth::api
