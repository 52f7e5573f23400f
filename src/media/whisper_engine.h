// WhisperEngine: a Whisper model served as an infer::Engine with the
// kTranscribe capability. Requests queue (up to max_queue) and run one at a
// time on the engine thread, each over the whole ThreadPool: a supporting
// node's speech work is sequential and never latency-bound.
//
//   HEARTH_ASSIGN_OR_RETURN(auto model, WhisperModel::load(path));
//   HEARTH_ASSIGN_OR_RETURN(auto engine, WhisperEngine::create(std::move(model), {}));
//   engine->transcribe({.samples = pcm16k, .options = {.language = "en"}}, [](Result<infer::Transcript> r) {...});
//   engine->drain(timeout_ms, "shutting down");
//
// Memory: weights (mapped), cache (the decoder's cross-attention K/V and
// self-attention cache: fixed at start), scratch (the encoder's buffers of one
// window and the transcriber's; as grown).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

#include "base/thread_pool.h"
#include "infer/engine.h"
#include "media/whisper_model.h"
#include "media/whisper_transcriber.h"

namespace hearth::media {

struct WhisperEngineOptions {
  int n_threads = 2;
  int64_t max_queue = 16;  // waiting requests; one more is kResourceExhausted
};

// What an engine for a model of `config` holds, term by term (the planner's terms:
// weights, caches fixed at start, scratch), before it is loaded.
infer::EngineMemory whisper_planned_memory(const model::WhisperConfig& config, int64_t weights_bytes);

class WhisperEngine final : public infer::Engine {
 public:
  // kInvalidArgument for n_threads < 1 or max_queue < 1. Starts the engine thread.
  static Result<std::unique_ptr<WhisperEngine>> create(std::unique_ptr<WhisperModel> model,
                                                       const WhisperEngineOptions& options);
  // Cancels what is queued or running (kUnavailable) and joins the engine thread.
  ~WhisperEngine() override;

  model::Capabilities capabilities() const override { return model::capability_bit(model::Capability::kTranscribe); }
  infer::EngineMemory memory() const override;
  infer::EngineStats stats() const override;
  int64_t n_ctx() const override { return model_->config().n_text_ctx; }
  Status transcribe(infer::TranscribeRequest&& request, infer::TranscribeCallback done) override;
  int32_t drain(int64_t timeout_ms, std::string_view reason) override;

  const WhisperModel& model() const { return *model_; }

 private:
  struct Job {
    infer::TranscribeRequest request;
    infer::TranscribeCallback done;
  };

  WhisperEngine(std::unique_ptr<WhisperModel> model, const WhisperEngineOptions& options);
  void run();

  const WhisperEngineOptions options_;
  const std::unique_ptr<WhisperModel> model_;
  ThreadPool pool_;
  WhisperTranscriber transcriber_;  // used only on the engine thread

  mutable std::mutex mu_;
  std::condition_variable cv_;       // work queued, a job finished, stopping
  std::deque<Job> queue_;            // guarded by mu_
  std::shared_ptr<std::atomic<bool>> running_cancel_;  // guarded by mu_; the running job's flag
  bool running_ = false;             // guarded by mu_
  bool draining_ = false;            // guarded by mu_
  bool stopping_ = false;            // guarded by mu_
  int64_t n_done_ = 0;               // guarded by mu_
  std::thread thread_;
};

}  // namespace hearth::media
