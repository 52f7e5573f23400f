// InferContext: runs one sequence through a LlamaModel on the CPU.
//
// The single-sequence face of the engine, for `hearth run`, the benchmark and
// the parity tests: a private KV block pool sized for n_ctx positions (F16 by
// default, F32 on request; see kv_block_pool.h) with the block table 0, 1, 2,
// ... and a BatchForward whose batches hold this one sequence. Everything is
// allocated at construction for at most n_batch_max tokens per pass: eval()
// allocates nothing except when all_logits asks for more rows of logits than
// any call before.
//
//   ThreadPool pool(2);
//   HEARTH_ASSIGN_OR_RETURN(auto model, LlamaModel::load(path));
//   HEARTH_ASSIGN_OR_RETURN(auto ctx, InferContext::create(*model, 4096, pool));
//   HEARTH_ASSIGN_OR_RETURN(std::span<const float> logits, ctx->eval(prompt_ids));
//   // logits.size() == n_vocab: the distribution of the token after the prompt.
//
// Prompts longer than n_batch_max are processed in chunks (prefill with
// matrix-matrix products); one token at a time is decode.
//
// Thread-safety: one thread drives a context; the pool must not be driven by
// anyone else during eval(). The model must outlive the context.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "infer/batch_forward.h"
#include "infer/kv_block_pool.h"
#include "infer/llama_model.h"

namespace hearth::infer {

class InferContext {
 public:
  static constexpr int64_t kDefaultBatchMax = 256;
  // The bounds create() accepts: they keep every size product far from int64
  // overflow (real contexts are below 2^21 positions, real batches a few
  // thousand tokens). A caller naming its own flags checks them first.
  static constexpr int64_t kMaxContext = int64_t{1} << 24;
  static constexpr int64_t kMaxBatch = int64_t{1} << 16;

  // Validates n_ctx in [1, kMaxContext], n_batch_max in [1, kMaxBatch] and kv_dtype (kInvalidArgument;
  // kUnimplemented for a type other than F16/F32) and turns a failed
  // allocation into kResourceExhausted. Use it for values a user chose.
  static Result<std::unique_ptr<InferContext>> create(const LlamaModel& model, int64_t n_ctx, ThreadPool& pool,
                                                      int64_t n_batch_max = kDefaultBatchMax,
                                                      tensor::DType kv_dtype = tensor::DType::kF16);
  // Preconditions: n_ctx >= 1, n_batch_max >= 1, kv_dtype kF16 or kF32.
  // Scratch is sized for min(n_batch_max, n_ctx) tokens per pass.
  InferContext(const LlamaModel& model, int64_t n_ctx, ThreadPool& pool, int64_t n_batch_max = kDefaultBatchMax,
               tensor::DType kv_dtype = tensor::DType::kF16);

  InferContext(const InferContext&) = delete;
  InferContext& operator=(const InferContext&) = delete;

  // Appends `tokens` at positions n_past() .. and returns the logits of the
  // last one (n_vocab floats) or, with all_logits, of every one
  // (tokens.size() x n_vocab, row-major). The span is valid until the next
  // call that changes the context.
  // Errors, checked before anything changes: kInvalidArgument for no tokens,
  // kOutOfRange for an id outside [0, n_vocab) or for n_past + n_tokens > n_ctx.
  Result<std::span<const float>> eval(std::span<const int32_t> tokens, bool all_logits = false);

  // Forgets the sequence.
  void clear();
  // Keeps the first n positions (prompt reuse). kOutOfRange unless 0 <= n <= n_past.
  Status truncate(int64_t n);

  const LlamaModel& model() const { return model_; }
  int64_t n_ctx() const { return n_ctx_; }
  int64_t n_past() const { return static_cast<int64_t>(tokens_.size()); }
  int64_t n_vocab() const { return config_.n_vocab; }
  int64_t n_batch_max() const { return n_batch_max_; }
  // The ids at positions [0, n_past), as evaluated.
  std::span<const int32_t> tokens() const { return tokens_; }

  tensor::DType kv_dtype() const { return cache_.dtype(); }
  int64_t kv_cache_bytes() const { return cache_.n_bytes(); }
  // Positions per KV block: the pool of n_ctx positions is ceil(n_ctx / this) blocks.
  static constexpr int64_t kKvBlockTokens = 16;
  // Bytes of the forward pass's buffers (activations, scores, logits).
  int64_t scratch_bytes() const;

 private:
  const LlamaModel& model_;
  const model::LlamaConfig& config_;
  int64_t n_ctx_;
  int64_t n_batch_max_;
  KvBlockPool cache_;
  std::vector<int32_t> blocks_;  // 0, 1, 2, ...: every block of the pool, in order
  BatchForward forward_;
  std::vector<int32_t> tokens_;
  std::vector<float> all_logits_;  // n_tokens x n_vocab after an all_logits eval
};

}  // namespace hearth::infer
