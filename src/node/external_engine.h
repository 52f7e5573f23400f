// ExternalEngine: a model served by an engine process hearth starts and
// supervises (external_process.h), behind the same infer::Engine interface
// as hearth's own engine. The API layer renders the chat template, tokenizes
// and builds a SequenceRequest as for any model; this engine sends it to the
// process's OpenAI-compatible /v1/completions (prompt as token ids or as
// text, per the preset), streams the answer back as TokenEvents, applies the
// stop strings itself (so stop_index and held-back text behave as hearth's
// engine), and cancels by closing the connection. So chat templates, tool
// calls, the Anthropic and Ollama APIs, the ledger and the gateway work the
// same over it; the engine's own chat template is never used.
//
// The wire (HTTP and JSON) is ExternalEngineClient, implemented in api/
// (JSON is read and written there only): node knows processes, not bytes.
//
// Memory: the planner's weights + KV + scratch for the model at the engine's
// context and parallel sequences, plus the process's runtime: the configured
// overhead until measured, then the larger of it and the process's resident
// anonymous memory beyond the planned KV and scratch (measured at each
// start). The manager counts the larger figure from then on.
//
// Rates: each finished request's time to first token counts as prefill of
// its prompt, the rest as decode of its tokens (or the engine's own timings
// when it reports them), summed as the scheduler does.
//
// Not supported (refused with kFailedPrecondition before anything is sent):
// constrained decoding (a grammar); priority classes are not passed on.
//
// Thread-safety: as infer::Engine.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "infer/engine.h"
#include "node/external_engine_config.h"
#include "node/external_process.h"
#include "planner/memory_plan.h"
#include "text/tokenizer.h"

namespace hearth::node {

// One generation as it goes over the wire.
struct ExternalGeneration {
  ExternalEngineKind kind = ExternalEngineKind::kLlamaServer;  // llama-server takes its own sampling fields too
  int port = 0;
  std::string served_model;         // the request's "model"
  std::vector<int32_t> prompt_ids;  // with ExternalPromptForm::kTokens
  std::string prompt_text;          // with ExternalPromptForm::kText
  ExternalPromptForm prompt_form = ExternalPromptForm::kTokens;
  int32_t max_tokens = 0;
  infer::SamplingParams sampling;
  bool ignore_eos = false;
  int32_t n_top_logprobs = -1;  // -1: none
  int64_t stall_timeout_ms = 600'000;
};

// What the wire hands back, in order: pieces, then one end.
struct ExternalPiece {
  std::string text;
  bool has_logprob = false;
  infer::TokenLogprob token;
  std::vector<infer::TokenLogprob> top_logprobs;
};

struct ExternalEnd {
  Status error;                     // not ok: the stream failed (the engine died, refused, hung)
  bool length = false;              // the engine stopped at max_tokens
  int64_t n_prompt_tokens = -1;     // the engine's count; -1: not reported
  int64_t n_generated_tokens = -1;  // -1: not reported
  double prompt_ms = -1.0;          // the engine's own timings; -1: not reported
  double decode_ms = -1.0;
};

// Receives one generation's pieces and end on the client's thread; must not
// block. on_piece returns false to stop the stream (the connection closes,
// which makes the engine stop).
class ExternalStreamSink {
 public:
  virtual ~ExternalStreamSink() = default;
  virtual bool on_piece(ExternalPiece&& piece) = 0;
  virtual void on_end(ExternalEnd&& end) = 0;
};

// The wire to a running engine on 127.0.0.1. Implemented in api/.
// Thread-safety: every method may be called from any thread but the
// client's own.
class ExternalEngineClient {
 public:
  virtual ~ExternalEngineClient() = default;
  // One GET of `path`: ok when it answers 200 within timeout_ms.
  virtual Status probe(int port, const std::string& path, int64_t timeout_ms) = 0;
  // Starts one streamed generation; the sink gets its pieces and exactly one
  // end (also when `handle` is cancelled, within about 50 ms, or when the
  // client is destroyed).
  virtual void generate(ExternalGeneration&& generation, std::shared_ptr<infer::SequenceHandle> handle,
                        std::shared_ptr<ExternalStreamSink> sink) = 0;
};

using ExternalClientFactory = std::function<std::unique_ptr<ExternalEngineClient>()>;

// What an external engine starts with.
struct ExternalEngineStart {
  std::string id;
  std::string path;
  ExternalEngineConfig config;
  planner::MemoryPlan plan;  // the manager's plan for it (its memory is counted in these terms)
  int64_t n_ctx = 0;         // per sequence
  int32_t n_parallel = 1;
  model::Capabilities capabilities = 0;
};

class ExternalEngine final : public infer::Engine {
 public:
  // Starts the process and waits until it is ready (ExternalProcess::start's
  // errors). `tokenizer` (the model file's) must outlive the engine.
  static Result<std::unique_ptr<ExternalEngine>> start(ExternalEngineStart&& start, const text::Tokenizer& tokenizer,
                                                       const ExternalClientFactory& client_factory);
  ~ExternalEngine() override;

  model::Capabilities capabilities() const override { return start_.capabilities; }
  infer::EngineMemory memory() const override;
  infer::EngineStats stats() const override;
  int64_t n_ctx() const override { return start_.n_ctx; }
  Result<std::shared_ptr<infer::SequenceHandle>> submit(infer::SequenceRequest&& request,
                                                        std::shared_ptr<infer::SequenceObserver> observer) override;
  int32_t drain(int64_t timeout_ms, std::string_view reason) override;

  // The process, for status and tests.
  const ExternalProcess& process() const { return *process_; }

 private:
  class Sequence;
  friend class Sequence;
  ExternalEngine(ExternalEngineStart&& start, const text::Tokenizer& tokenizer)
      : start_(std::move(start)), tokenizer_(tokenizer) {}

  // Measures the process's runtime memory (at each start).
  void measure_overhead();
  // What a cancelled sequence finishes with: ok (the requester cancelled), or
  // kUnavailable with the drain's reason.
  Status cancel_status() const;
  // A sequence ended (on the client's thread).
  void finished(Sequence* sequence, int64_t n_prompt_tokens, int64_t n_generated_tokens, double prefill_ms,
                double decode_ms);

  const ExternalEngineStart start_;
  const text::Tokenizer& tokenizer_;
  std::unique_ptr<ExternalEngineClient> client_;  // declared before process_: destroyed after it
  std::unique_ptr<ExternalProcess> process_;
  std::atomic<int64_t> measured_overhead_bytes_{0};

  mutable std::mutex mutex_;
  std::condition_variable idle_cv_;                 // running_ emptied
  bool draining_ = false;                           // guarded by mutex_
  std::string drain_reason_;                        // guarded by mutex_
  std::vector<std::shared_ptr<Sequence>> running_;  // guarded by mutex_
  infer::EngineStats stats_;                        // guarded by mutex_ (n_running derived)
  double prefill_s_total_ = 0.0;                    // guarded by mutex_
  double decode_s_total_ = 0.0;                     // guarded by mutex_
  int64_t n_rated_prompt_tokens_ = 0;               // guarded by mutex_
  int64_t n_rated_decode_tokens_ = 0;               // guarded by mutex_
};

}  // namespace hearth::node
