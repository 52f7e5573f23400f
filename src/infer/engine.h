// Engine: what a node serves one loaded model with. The model manager, the
// planner's budget and the API see a model only through this interface, so an
// engine that is not hearth's token decoder (an embedding encoder, speech, OCR,
// an external process) plugs in without touching the scheduler.
//
//   infer::Engine& engine = *lease->engine;
//   if (!model::has_capability(engine.capabilities(), model::Capability::kGenerate)) { ...refuse... }
//   HEARTH_ASSIGN_OR_RETURN(auto handle, engine.submit(std::move(request), observer));
//   ...
//   engine.drain(timeout_ms, "the server is shutting down");   // before it is destroyed
//
// Capabilities: the set of request kinds the engine serves (model::Capability).
// A caller checks the capability before it submits; a method whose capability
// the engine lacks refuses with kFailedPrecondition.
//
// Memory: memory() is what the engine holds, term by term, in the same terms
// the planner plans a model with before loading it (weights, caches,
// scratch). The node's budget counts the plan; an engine never holds more
// than its plan once warmed up (the tests hold every engine to this).
//
// Thread-safety: every method may be called from any thread; an engine is
// destroyed only after drain() (or with no work submitted), by its owner.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "infer/ocr_request.h"
#include "infer/sequence.h"
#include "infer/speech_request.h"
#include "infer/transcription.h"
#include "model/arch/arch_spec.h"

namespace hearth::infer {

// The engine's own count of its allocations.
struct EngineMemory {
  int64_t weights_bytes = 0;  // weights, mapped or allocated
  int64_t cache_bytes = 0;    // caches sized at start (the KV pool)
  int64_t scratch_bytes = 0;  // working buffers, as grown so far
  int64_t total_bytes() const { return weights_bytes + cache_bytes + scratch_bytes; }
};

// Counters and measured rates, for status and routing. Fields an engine has
// no notion of stay 0.
struct EngineStats {
  int32_t n_running = 0;  // admitted sequences
  int32_t n_waiting = 0;  // queued, not yet admitted
  int64_t kv_blocks_total = 0;
  int64_t kv_blocks_used = 0;    // held by sequences
  int64_t kv_blocks_cached = 0;  // held only by the prefix cache (evictable)
  int64_t n_prompt_tokens_total = 0;
  int64_t n_cached_tokens_total = 0;
  int64_t n_generated_tokens_total = 0;
  int64_t n_steps_total = 0;
  // Measured rates: each step's time is split between its prompt tokens and
  // its decode tokens in proportion to their counts; 0 until measured.
  double prefill_tps = 0.0;  // prompt tokens computed per second of prefill
  double decode_tps = 0.0;   // decode tokens per second of decode, all sequences together
};

// kEmbed: token ids of each input (each at least one id, at most n_ctx).
struct EmbedRequest {
  std::vector<std::vector<int32_t>> inputs;
  // Batch requests (overnight jobs) yield the node's compute threads to interactive work.
  Priority priority = Priority::kInteractive;
};

struct EmbedResult {
  std::vector<std::vector<float>> vectors;  // one per input, in order, L2-normalized
  int64_t n_prompt_tokens = 0;              // the inputs' tokens together
};

// Receives a request's result once, on the engine's thread; must not block.
using EmbedCallback = std::function<void(Result<EmbedResult>)>;

// kRerank: each pair (a query and one document) as one input of token ids
// with each id's segment (token type: 0 for the query part, 1 for the
// document's, where the model has two).
struct RerankRequest {
  std::vector<std::vector<int32_t>> inputs;
  std::vector<std::vector<int32_t>> segments;  // one per input, as long as it; empty: all 0
};

struct RerankResult {
  std::vector<float> scores;   // one per input, in order: the classifier's first output (a logit)
  int64_t n_prompt_tokens = 0;
};

using RerankCallback = std::function<void(Result<RerankResult>)>;

class Engine {
 public:
  virtual ~Engine() = default;

  virtual model::Capabilities capabilities() const = 0;
  virtual EngineMemory memory() const = 0;
  virtual EngineStats stats() const = 0;
  // Positions per sequence (prompt + output) the engine was started with.
  virtual int64_t n_ctx() const = 0;

  // kGenerate: queues a sequence; its observer receives its tokens, then its
  // finish (see sequence.h). The errors of Scheduler::submit; an engine
  // without kGenerate refuses with kFailedPrecondition.
  virtual Result<std::shared_ptr<SequenceHandle>> submit(SequenceRequest&& request,
                                                         std::shared_ptr<SequenceObserver> observer);

  // kEmbed: queues the inputs; `done` receives their vectors (or the error
  // that ended the request: kUnavailable when the engine drains). Errors
  // before anything is queued: kInvalidArgument (no input, an empty one),
  // kOutOfRange (an id outside the vocabulary, an input longer than n_ctx:
  // the message names the input's index), kResourceExhausted (the queue is
  // full), kUnavailable (draining); an engine without kEmbed refuses with
  // kFailedPrecondition.
  virtual Status embed(EmbedRequest&& request, EmbedCallback done);

  // kOcr: queues the document; `done` receives its pages' text (or the error
  // that ended it: kInvalidArgument for a document that cannot be read, with
  // the reason; kOutOfRange for one beyond a limit, naming it; kUnavailable
  // when the engine drains). Errors before anything is queued:
  // kResourceExhausted (queue full), kUnavailable (draining); an engine
  // without kOcr refuses with kFailedPrecondition.
  virtual Status ocr(OcrRequest&& request, OcrCallback done);

  // kSpeak: queues the text; its observer receives the encoded audio as it is
  // produced, then one finish. Errors before anything is queued:
  // kInvalidArgument (an unknown voice, a speed the voice cannot take: the
  // message names it), kResourceExhausted (queue full), kUnavailable
  // (draining); an engine without kSpeak refuses with kFailedPrecondition.
  virtual Status speak(SpeechRequest&& request, std::shared_ptr<SpeechObserver> observer);
  // kTranscribe: queues the audio; `done` receives its transcript (or the
  // error that ended it: kUnavailable when cancelled or the engine drains,
  // kInvalidArgument for an option the model cannot honour). Errors before
  // anything is queued: kInvalidArgument (no samples), kResourceExhausted (the
  // queue is full), kUnavailable (draining); an engine without kTranscribe
  // refuses with kFailedPrecondition.
  virtual Status transcribe(TranscribeRequest&& request, TranscribeCallback done);
  // kRerank: as embed(), for (query, document) inputs; `done` receives a
  // score per input. Also kOutOfRange for a segment outside the model's
  // token types or a segments list whose length differs from its input's.
  virtual Status rerank(RerankRequest&& request, RerankCallback done);

  // Stops admitting work, lets what runs finish, and returns when none is left
  // or `timeout_ms` passed, after which the rest is cancelled with kUnavailable
  // and `reason`. Returns the number of requests cancelled. Once it returns,
  // the engine no longer reads its weights.
  virtual int32_t drain(int64_t timeout_ms, std::string_view reason) = 0;
};

// kFailedPrecondition saying that `what` needs `needed`, which an engine with
// `capabilities` lacks ("... serves only: embed").
Status missing_capability_error(std::string_view what, model::Capability needed, model::Capabilities capabilities);

}  // namespace hearth::infer
