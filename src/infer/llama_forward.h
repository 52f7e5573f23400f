// InferContext: runs one sequence through a LlamaModel on the CPU.
//
// The context owns the sequence's KV cache (F16 by default, F32 on request;
// see kv_cache.h) and every scratch buffer of
// the forward pass, all allocated at construction for at most n_batch_max
// tokens per pass: eval() allocates nothing except when all_logits asks for
// more rows of logits than any call before.
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
#include "infer/kv_cache.h"
#include "infer/llama_model.h"
#include "infer/rope.h"

namespace hearth::infer {

class InferContext {
 public:
  static constexpr int64_t kDefaultBatchMax = 256;

  // Validates n_ctx >= 1, n_batch_max >= 1 and kv_dtype (kInvalidArgument;
  // kUnimplemented for a type other than F16/F32) and turns a failed
  // allocation into kResourceExhausted. Use it for values a user chose.
  static Result<std::unique_ptr<InferContext>> create(
      const LlamaModel& model, int64_t n_ctx, ThreadPool& pool,
      int64_t n_batch_max = kDefaultBatchMax, tensor::DType kv_dtype = tensor::DType::kF16);
  // Preconditions: n_ctx >= 1, n_batch_max >= 1, kv_dtype kF16 or kF32.
  // Scratch is sized for min(n_batch_max, n_ctx) tokens per pass.
  InferContext(const LlamaModel& model, int64_t n_ctx, ThreadPool& pool,
               int64_t n_batch_max = kDefaultBatchMax, tensor::DType kv_dtype = tensor::DType::kF16);

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
  int64_t n_ctx() const { return cache_.n_ctx(); }
  int64_t n_past() const { return cache_.n_past(); }
  int64_t n_vocab() const { return config_.n_vocab; }
  int64_t n_batch_max() const { return n_batch_max_; }
  // The ids at positions [0, n_past), as evaluated.
  std::span<const int32_t> tokens() const { return tokens_; }

  tensor::DType kv_dtype() const { return cache_.dtype(); }
  int64_t kv_cache_bytes() const { return cache_.n_bytes(); }
  // Bytes of the forward pass's buffers (activations, scores, logits).
  int64_t scratch_bytes() const;

 private:
  // One pass over n_tokens <= n_batch_max tokens at positions n_past ...
  // Writes n_tokens x n_vocab logits to logits_out when all_rows, else the
  // last token's n_vocab logits.
  void forward(const int32_t* ids, int64_t n_tokens, bool all_rows, float* logits_out);
  void forward_layer(int64_t layer_idx, int64_t first_pos, int64_t n_tokens);

  const LlamaModel& model_;
  const model::LlamaConfig& config_;
  ThreadPool& pool_;
  int64_t n_batch_max_;
  Rope rope_;
  KvCache cache_;
  std::vector<int32_t> tokens_;

  // Scratch, row-major [n_batch_max x width].
  std::vector<float> x_;       // residual stream, n_embd
  std::vector<float> xn_;      // normed input of a block, n_embd
  std::vector<float> q_;       // n_head * head_dim
  std::vector<float> k_;       // n_head_kv * head_dim
  std::vector<float> v_;       // n_head_kv * head_dim
  std::vector<float> attn_;    // n_head * head_dim
  std::vector<float> proj_;    // n_embd (attention output and FFN down projections)
  std::vector<float> gate_;    // n_ff
  std::vector<float> up_;      // n_ff
  std::vector<float> rope_cos_;  // n_pairs
  std::vector<float> rope_sin_;  // n_pairs
  std::vector<float> scores_;  // n_threads x n_ctx
  std::vector<float> logits_;  // n_vocab, or n_tokens x n_vocab after an all_logits eval
};

}  // namespace hearth::infer
