// EncoderForward: one forward pass of an encoder family (bert) over several
// whole inputs at once, returning every position's final hidden state.
//
//   EncoderForward encoder(*model, pool);
//   std::vector<EncoderInput> inputs = {{ids_a}, {ids_b, segments_b}};
//   std::span<const float> hidden = encoder.forward(inputs);  // rows of a, then of b; n_embd floats each
//
// The graph (model/arch/bert.cpp): token + absolute position + token-type
// embeddings, LayerNorm; per layer Q/K/V with biases, bidirectional attention
// within each input (every position sees its whole input and nothing of the
// others), output matrix + bias, residual, LayerNorm; up + bias, GELU (erf),
// down + bias, residual, LayerNorm. All inputs go through every matrix
// together, so the weights are read once per pass; an input is never split
// across passes (attention needs all of it).
//
// Every row is computed the same way whatever else is in the pass (the
// matrix kernels promise it per row; attention reads only the row's input).
//
// Scratch grows to the largest pass seen (scratch_bytes()).
// Thread-safety: one thread drives it; the pool must not be driven by anyone
// else during forward(). The model must outlive it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/thread_pool.h"
#include "infer/llama_model.h"

namespace hearth::infer {

struct EncoderInput {
  std::span<const int32_t> ids;
  std::span<const int32_t> segments;  // token types, one per id; empty: all 0
};

class EncoderForward {
 public:
  // Precondition: model->config().encoder.
  EncoderForward(const LlamaModel& model, ThreadPool& pool);

  EncoderForward(const EncoderForward&) = delete;
  EncoderForward& operator=(const EncoderForward&) = delete;

  // The final hidden states, inputs one after another (n_embd floats per
  // position); valid until the next call. Preconditions (callers check them
  // on input): at least one input, each with 1 <= ids.size() <= n_ctx_train,
  // ids in [0, n_vocab), segments empty or as many as ids and in
  // [0, n_token_types). Throws std::bad_alloc when scratch cannot grow.
  std::span<const float> forward(std::span<const EncoderInput> inputs);

  // Bytes of the pass's buffers as grown so far.
  int64_t scratch_bytes() const;

 private:
  void embed(std::span<const EncoderInput> inputs, int64_t n_tokens);
  void attention(std::span<const EncoderInput> inputs, int64_t n_tokens);
  // One long input's attention (rows [first, first + n)), head by head as two GEMMs.
  void long_attention(int64_t first, int64_t n);
  // x_ = LayerNorm(x_ + y) over n_tokens rows.
  void add_layer_norm(const float* y, const float* weight, const float* bias, int64_t n_tokens);
  void add_bias(float* rows, const float* bias, int64_t n_tokens, int64_t n_cols);
  void reserve(int64_t n_tokens, int64_t longest);

  const LlamaModel& model_;
  const model::LlamaConfig& config_;
  ThreadPool& pool_;
  int64_t capacity_tokens_ = 0;
  int64_t capacity_longest_ = 0;
  std::vector<float> x_;       // [n_tokens x n_embd] the residual stream
  std::vector<float> q_, k_, v_;
  std::vector<float> attn_;    // [n_tokens x n_embd] attention output before the output matrix
  std::vector<float> proj_;    // [n_tokens x n_embd]
  std::vector<float> ff_;      // [n_tokens x n_ff]
  std::vector<float> scores_;  // [n_threads x longest] one score row per thread
  std::vector<float> head_kv_;  // [n_threads x 2 x longest x head_dim] one head's K rows and V columns per thread
  std::vector<int64_t> starts_;  // first row of each input
  // long_attention's head: Q (scaled), K, V transposed, P = softmax(Q K^T), P V.
  std::vector<float> long_q_, long_k_, long_vt_, long_scores_, long_out_;
};

}  // namespace hearth::infer
