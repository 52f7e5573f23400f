// Scheduler: serves many generation requests on one model with continuous
// batching, a paged KV cache shared through a prefix cache, and two priority
// classes.
//
//   SchedulerOptions options;           // limits; see the fields
//   HEARTH_ASSIGN_OR_RETURN(auto scheduler, Scheduler::create(*model, *tokenizer, options));
//   SequenceRequest request;
//   request.prompt = tokenizer->encode(...);
//   request.params.max_tokens = 128;
//   HEARTH_ASSIGN_OR_RETURN(auto handle, scheduler->submit(std::move(request), observer));
//   ...
//   handle->cancel();                   // e.g. the client went away
//
// One engine thread owns the model's forward pass. Every step it packs the
// next token of each running sequence plus chunks of waiting prompts (chunked
// prefill) into one batch of at most max_batch_tokens tokens over at most
// max_seqs sequences, runs it, samples, and hands each sequence's new text to
// its observer.
//
// Memory: the KV cache is a pool of blocks of kv_block_tokens positions. A
// sequence is admitted only when the pool can hold its prompt plus max_tokens
// (counting blocks it shares through the prefix cache once), so a running
// sequence never runs out of cache; blocks are taken as positions are written
// and returned when the sequence ends.
//
// Prefix cache: every full block (prompt or generated) is remembered by the
// hash of its tokens and of everything before it; a later prompt starting
// with the same tokens maps those blocks instead of computing them again
// (usage reports them as cached tokens). Remembered blocks no sequence uses
// are evicted least recently used first when the pool needs room.
//
// Priority: interactive sequences are admitted and stepped before batch ones;
// while an interactive prompt is being prefilled, batch sequences sit out the
// step, so batch work fills idle capacity and yields at step granularity.
// Batch prompts are prefilled in chunks of batch_prefill_chunk tokens, which
// bounds how long an interactive request waits for the step under way.
//
// Outputs do not depend on batching: every kernel computes a token's row the
// same way whatever else is in the batch, so a seeded request produces the
// same text alone or among others.
//
// Test hook: SchedulerOptions::before_step, when set, is called on the engine
// thread before each step (admission, packing, forward pass, sampling) with no
// lock held; the step then reads the inbox, cancellations and drain requests
// afresh, so whatever a test did while holding the engine in the hook is seen
// by that step. It lets tests decide exactly how many steps run before a
// cancel or an arrival lands (tests/infer/step_gate.h). Its stop_token is
// requested when the scheduler is destroyed or drain() gives up waiting; the
// hook must then return promptly. Serving never sets it.
//
// Thread-safety: submit(), stats() and SequenceHandle::cancel() may be called
// from any thread. Observers are called on the engine thread and must not
// block (hand the event to your own executor and return).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "infer/compute_pool.h"
#include "infer/engine.h"
#include "infer/generator.h"
#include "infer/llama_model.h"
#include "infer/sequence.h"
#include "tensor/dtype.h"
#include "text/tokenizer.h"

namespace hearth::infer {

struct SchedulerOptions {
  int64_t n_ctx = 4096;            // positions per sequence (prompt + generated)
  int32_t max_seqs = 16;           // sequences in one step
  int64_t max_batch_tokens = 512;  // tokens in one step (decode tokens + prefill chunks)
  // Prompt tokens per step of all batch-priority sequences together: short
  // steps, so an interactive request arriving mid-step waits little.
  int64_t batch_prefill_chunk = 64;
  int32_t max_queued = 64;       // requests waiting for admission before submit refuses
  int64_t kv_block_tokens = 16;  // positions per KV block
  int64_t kv_pool_tokens = 0;    // KV pool capacity in positions; 0: n_ctx * max_seqs
  tensor::DType kv_dtype = tensor::DType::kF16;
  bool prefix_cache = true;
  // The node's compute threads, shared with its other engines (compute_pool.h): each step
  // takes a turn on them, interactive if any of its sequences is.
  // Null: the scheduler starts its own pool of n_threads (0: hardware concurrency).
  std::shared_ptr<ComputePool> compute = nullptr;
  int n_threads = 0;
  // Tests only (see the top of this file): called on the engine thread before
  // each step; may block until its stop_token is requested. Empty: no hook.
  std::function<void(std::stop_token)> before_step = {};
};

class Scheduler {
 public:
  // Checks the options (kInvalidArgument naming the option), allocates the KV
  // pool and scratch (kResourceExhausted) and starts the engine thread. The
  // model and tokenizer must outlive the scheduler.
  static Result<std::unique_ptr<Scheduler>> create(const LlamaModel& model, const text::Tokenizer& tokenizer,
                                                   const SchedulerOptions& options);
  // Cancels every sequence (observers get on_finish) and joins the engine thread.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues a request. Errors, before anything is queued: kInvalidArgument
  // (empty prompt, max_tokens < 1, empty stop string, bad sampling params,
  // n_top_logprobs > 20); kOutOfRange (an id outside the vocabulary, or
  // prompt + max_tokens beyond n_ctx: the message gives the numbers);
  // kResourceExhausted (max_queued requests already wait); kUnavailable
  // (shutting down). observer must not be null.
  Result<std::shared_ptr<SequenceHandle>> submit(SequenceRequest&& request, std::shared_ptr<SequenceObserver> observer);

  // Stops admitting (submit returns kUnavailable), lets running and queued
  // sequences finish, and returns when none is left or `timeout_ms` passed,
  // after which the rest are cancelled, finishing with kUnavailable and
  // `reason`. Returns the number cancelled.
  int32_t drain(int64_t timeout_ms, std::string_view reason = "the server is shutting down");

  EngineStats stats() const;
  // The KV pool and the forward pass's scratch as grown so far (weights_bytes
  // is 0: the model is the caller's).
  EngineMemory memory() const;
  const SchedulerOptions& options() const { return options_; }
  int64_t n_vocab() const;

 private:
  class Impl;
  Scheduler(const SchedulerOptions& options, std::unique_ptr<Impl> impl);
  SchedulerOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth::infer
