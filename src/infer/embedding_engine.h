// EmbeddingEngine: an embedding model built on a decoder family (a file whose
// "<arch>.pooling_type" names a pooling: Qwen3-Embedding pools the last
// token) as an Engine with the embed capability.
//
//   EmbeddingEngineOptions options;  // n_ctx, max_batch_tokens, threads
//   HEARTH_ASSIGN_OR_RETURN(auto engine, EmbeddingEngine::create(std::move(model), options));
//   EmbedRequest request;
//   request.inputs = {tokenizer->encode("first"), tokenizer->encode("second")};
//   engine->embed(std::move(request), [](Result<EmbedResult> result) { ... });  // on the engine thread
//
// One engine thread runs the forward pass. Decoder families (Qwen3-Embedding):
// BatchForward over a private KV pool, causal attention, as the model was
// trained; each step packs the next inputs of the queue, whole or in chunks,
// into at most max_batch_tokens tokens, so many short inputs share one pass
// and a long one spans several. Encoder families (bert: all-MiniLM, bge):
// EncoderForward, bidirectional attention, no KV pool; each step packs whole
// inputs into max_batch_tokens (an input longer than that runs alone), and
// n_ctx may not exceed the model's position embeddings (n_ctx_train).
// The final hidden states (after the output norm) are pooled per input (mean
// of every position, the first (cls) or the last) and L2-normalized.
// Requests are served in arrival order; a step takes its turn on the node's
// compute threads at the highest priority among the requests it packs.
//
// Memory: the KV pool (decoders only) holds n_ctx + max_batch_tokens
// positions (plus one block per input of a step), so the longest input fits
// next to a full step; embedding_pool_tokens() is the planner's number for
// it. An encoder holds no pool; its scratch grows with the largest step.
//
// Thread-safety: every method from any thread. Callbacks run on the engine
// thread and must not block.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "infer/compute_pool.h"
#include "infer/engine.h"
#include "infer/llama_model.h"
#include "tensor/dtype.h"

namespace hearth::infer {

struct EmbeddingEngineOptions {
  int64_t n_ctx = 4096;            // longest input, in tokens
  int64_t max_batch_tokens = 512;  // tokens in one step
  int32_t max_queued = 64;         // requests waiting before embed refuses
  int64_t kv_block_tokens = 16;
  tensor::DType kv_dtype = tensor::DType::kF16;
  // The node's compute threads, shared with its other engines (compute_pool.h): each step
  // takes a turn, interactive if any request in it is. Null: a pool of its own of n_threads
  // (0: hardware concurrency).
  std::shared_ptr<ComputePool> compute = nullptr;
  int n_threads = 0;
};

// Positions in the KV pool the engine allocates for these options (whole
// blocks): n_ctx + max_batch_tokens, plus one block per possible input of a
// step.
int64_t embedding_pool_tokens(const EmbeddingEngineOptions& options);

class EmbeddingEngine final : public Engine {
 public:
  // kInvalidArgument naming an option out of range, or a model that pools
  // nothing (config().pooling == 0); kResourceExhausted when the pool cannot
  // be allocated. Starts the engine thread.
  static Result<std::unique_ptr<EmbeddingEngine>> create(std::unique_ptr<LlamaModel> model,
                                                         const EmbeddingEngineOptions& options);
  // Fails what is queued with kUnavailable and joins the engine thread.
  ~EmbeddingEngine() override;

  model::Capabilities capabilities() const override;
  EngineMemory memory() const override;
  EngineStats stats() const override;
  int64_t n_ctx() const override;
  int64_t n_embd() const;
  Status embed(EmbedRequest&& request, EmbedCallback done) override;
  // A bert model with rank pooling (pooling_type 4): the classification head
  // over each input's first position; capabilities() is then kRerank alone.
  Status rerank(RerankRequest&& request, RerankCallback done) override;
  int32_t drain(int64_t timeout_ms, std::string_view reason) override;

  class Impl;

 private:
  explicit EmbeddingEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace hearth::infer
