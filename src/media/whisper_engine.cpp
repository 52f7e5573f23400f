// Whisper as an infer::Engine (see whisper_engine.h).
#include "media/whisper_engine.h"

#include <chrono>
#include <string>

namespace hearth::media {

Result<std::unique_ptr<WhisperEngine>> WhisperEngine::create(std::unique_ptr<WhisperModel> model,
                                                             const WhisperEngineOptions& options) {
  if (model == nullptr) return invalid_argument_error("whisper engine: no model");
  if (options.n_threads < 1) return invalid_argument_error("whisper engine: n_threads must be at least 1");
  if (options.max_queue < 1) return invalid_argument_error("whisper engine: max_queue must be at least 1");
  return std::unique_ptr<WhisperEngine>(new WhisperEngine(std::move(model), options));
}

WhisperEngine::WhisperEngine(std::unique_ptr<WhisperModel> model, const WhisperEngineOptions& options)
    : options_(options), model_(std::move(model)), pool_(options.n_threads), transcriber_(*model_, pool_) {
  thread_ = std::thread([this] { run(); });
}

WhisperEngine::~WhisperEngine() {
  drain(0, "the engine is shutting down");
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

infer::EngineMemory whisper_planned_memory(const model::WhisperConfig& c, int64_t weights_bytes) {
  infer::EngineMemory m;
  m.weights_bytes = weights_bytes;
  // WhisperDecoder::cache_bytes for this config, without building one.
  m.cache_bytes = static_cast<int64_t>(sizeof(float)) * 2 * c.n_dec_layer * (c.n_audio_ctx + c.n_text_ctx) * c.n_embd;
  m.scratch_bytes = WhisperModel::encoder_scratch_bytes(c) +
                    static_cast<int64_t>(sizeof(float)) * c.n_audio_ctx * c.n_embd;  // the transcriber's encoder output
  return m;
}

infer::EngineMemory WhisperEngine::memory() const {
  return whisper_planned_memory(model_->config(), model_->weights_bytes());
}

infer::EngineStats WhisperEngine::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  infer::EngineStats s;
  s.n_running = running_ ? 1 : 0;
  s.n_waiting = static_cast<int32_t>(queue_.size());
  return s;
}

Status WhisperEngine::transcribe(infer::TranscribeRequest&& request, infer::TranscribeCallback done) {
  if (request.samples.empty()) return invalid_argument_error("no audio samples to transcribe");
  std::lock_guard<std::mutex> lock(mu_);
  if (draining_) return unavailable_error("the speech engine is draining");
  if (static_cast<int64_t>(queue_.size()) >= options_.max_queue) {
    return resource_exhausted_error("the speech engine's queue is full (" + std::to_string(options_.max_queue) +
                                    " waiting)");
  }
  if (!request.cancel) request.cancel = std::make_shared<std::atomic<bool>>(false);
  queue_.push_back({std::move(request), std::move(done)});
  cv_.notify_all();
  return ok_status();
}

void WhisperEngine::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping with nothing left
      job = std::move(queue_.front());
      queue_.pop_front();
      running_ = true;
      running_cancel_ = job.request.cancel;
    }
    infer::TranscribeOptions options = std::move(job.request.options);
    options.cancel = job.request.cancel.get();
    Result<infer::Transcript> result = transcriber_.transcribe(job.request.samples, options);
    job.done(std::move(result));
    {
      std::lock_guard<std::mutex> lock(mu_);
      running_ = false;
      running_cancel_.reset();
      ++n_done_;
    }
    cv_.notify_all();
  }
}

int32_t WhisperEngine::drain(int64_t timeout_ms, std::string_view reason) {
  std::deque<Job> cancelled;
  int32_t n_cancelled = 0;
  {
    std::unique_lock<std::mutex> lock(mu_);
    draining_ = true;
    cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms),
                 [&] { return queue_.empty() && !running_; });
    cancelled.swap(queue_);
    if (running_ && running_cancel_) {
      running_cancel_->store(true);
      ++n_cancelled;
    }
    n_cancelled += static_cast<int32_t>(cancelled.size());
  }
  for (Job& job : cancelled) job.done(unavailable_error(std::string(reason)));
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return !running_; });  // the running job sees its flag at its next token
  return n_cancelled;
}

}  // namespace hearth::media
