// BatchForward: one forward pass of a llama-family model over the tokens of
// several sequences at once.
//
// Each sequence brings a run of consecutive tokens (one for decode, a chunk of
// its prompt for prefill), the position of the first, and its block table in
// the shared KvBlockPool. All tokens go through every weight matrix together
// (the weights are read once per step whatever the batch size); attention
// then looks at each token's own sequence only. The pass stores the K/V rows
// of every token in the pool and returns the logits the sequences asked for.
//
// The family's differences (model/arch: Q/K biases, per-head Q/K norms, post
// norms, fused QKV and gate/up matrices, GELU, embedding scale, sliding-window
// layers with their own RoPE base, soft-capped scores and logits, a
// mixture-of-experts FFN: infer/moe_ffn.h) are switched on by the bound
// weights and the config's family fields; there is one graph.
//
// Every row is computed the same way whatever else is in the batch (the
// kernels treat each token independently), so results do not depend on
// batching or chunking.
//
// Scratch is allocated at construction for max_batch_tokens tokens; logits
// grow on first use to the largest number of rows asked for.
//
// Thread-safety: one thread drives it; the pool must not be driven by anyone
// else during forward(). Model and cache must outlive it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "base/thread_pool.h"
#include "infer/attention.h"
#include "infer/kv_block_pool.h"
#include "infer/llama_model.h"
#include "infer/moe_ffn.h"
#include "infer/rope.h"

namespace hearth::infer {

enum class LogitRows : uint8_t { kNone, kLast, kAll };

struct BatchSequence {
  std::span<const int32_t> tokens;  // ids for positions first_pos, first_pos + 1, ...
  int64_t first_pos = 0;
  std::span<const int32_t> blocks;  // block table covering every position up to the last token
  LogitRows logits = LogitRows::kNone;
};

class BatchForward {
 public:
  // Preconditions: max_batch_tokens >= 1, max_positions >= 1 (the longest
  // sequence the caller will run). Throws std::bad_alloc when scratch cannot
  // be allocated.
  BatchForward(const LlamaModel& model, KvBlockPool& cache, ThreadPool& pool, int64_t max_batch_tokens,
               int64_t max_positions);

  BatchForward(const BatchForward&) = delete;
  BatchForward& operator=(const BatchForward&) = delete;

  // Runs the pass. Returns the requested logit rows (n_vocab floats each) in
  // batch order: one row per kLast sequence, tokens.size() rows per kAll
  // sequence; valid until the next call. With `output` kHidden, the same rows
  // are the final hidden states after the output norm (n_embd floats each,
  // what embedding models pool) and the output matrix is not read.
  // Preconditions (callers check them on input): 1 <= total tokens <=
  // max_batch_tokens, every id in [0, n_vocab), first_pos + tokens.size() <=
  // max_positions, blocks allocated and covering those positions.
  enum class Output : uint8_t { kLogits, kHidden };
  std::span<const float> forward(std::span<const BatchSequence> batch, Output output = Output::kLogits);

  int64_t max_batch_tokens() const { return max_batch_tokens_; }
  int64_t max_positions() const { return max_positions_; }
  int64_t n_vocab() const { return config_.n_vocab; }
  // Bytes of the pass's buffers (activations, scores, logits).
  int64_t scratch_bytes() const;

 private:
  void forward_layer(int64_t layer_idx, int64_t n_tokens);
  void project_qkv(const model::LlamaLayerWeights& layer, int64_t n_tokens);
  void feed_forward(const model::LlamaLayerWeights& layer, int64_t n_tokens);

  const LlamaModel& model_;
  const model::LlamaConfig& config_;
  KvBlockPool& cache_;
  ThreadPool& pool_;
  int64_t max_batch_tokens_;
  int64_t max_positions_;
  Rope rope_;
  // The windowed layers' RoPE (gemma3: base 10000, unscaled); empty when the family has none.
  std::optional<Rope> local_rope_;
  // The mixture-of-experts FFN (qwen3moe) with its scratch; empty for dense models.
  std::optional<MoeFeedForward> moe_;

  // Per token of the current pass: where its K/V row goes and what it attends to.
  std::vector<AttentionQuery> queries_;
  // Scratch, row-major [max_batch_tokens x width].
  std::vector<float> x_;          // residual stream, n_embd
  std::vector<float> xn_;         // normed input of a block, n_embd
  std::vector<float> q_;          // n_head * head_dim
  std::vector<float> k_;          // n_head_kv * head_dim
  std::vector<float> v_;          // n_head_kv * head_dim
  std::vector<float> attn_;       // n_head * head_dim
  std::vector<float> proj_;       // n_embd (attention output and FFN down projections)
  std::vector<float> qkv_;        // q_dim + 2 kv_dim, fused QKV families only
  std::vector<float> gate_;       // n_ff (2 n_ff for a fused gate/up)
  std::vector<float> up_;         // n_ff
  std::vector<float> rope_cos_;   // n_pairs
  std::vector<float> rope_sin_;   // n_pairs
  std::vector<float> local_cos_;  // n_pairs, windowed layers only
  std::vector<float> local_sin_;
  std::vector<float> scores_;  // n_threads x max_positions
  std::vector<float> logits_;  // rows x n_vocab
};

}  // namespace hearth::infer
