// MoeFeedForward: the mixture-of-experts FFN of one layer (qwen3moe) for the
// tokens of a batch.
//
// Per token: router logits = W_router xn (n_expert values), probabilities =
// softmax(logits) in float; the n_expert_used most probable experts run
// (ties: the lower expert index first), each weighted by its probability over
// the sum of the chosen ones (HF's norm_topk_prob; llama.cpp's norm_w):
//   out = sum_{e chosen} w_e * down_e(silu(gate_e xn) * up_e xn)
// Tokens are grouped by expert, so an expert's matrices are read once per
// pass however many tokens chose it, and only the chosen experts are read. A
// token's result depends only on its own input (its experts are added in
// expert index order and every product is row-independent), never on the rest
// of the batch.
//
// Thread-safety: one thread drives it with a pool nobody else drives meanwhile.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/thread_pool.h"
#include "model/llama_arch.h"

namespace hearth::infer {

class MoeFeedForward {
 public:
  // Scratch for up to max_batch_tokens tokens. Precondition: config.n_expert >= 1.
  MoeFeedForward(const model::LlamaConfig& config, int64_t max_batch_tokens);

  // xn: [n_tokens x n_embd] inputs (the FFN norm's output); out: [n_tokens x
  // n_embd], overwritten. The layer's ffn_gate_inp and w_*_exps must be bound.
  // Precondition: 1 <= n_tokens <= max_batch_tokens.
  void run(const model::LlamaLayerWeights& layer, const float* xn, int64_t n_tokens, float* out, ThreadPool& pool);

  // The experts the last run() chose for `token_idx`, most probable first, and their weights.
  std::span<const int32_t> chosen_experts(int64_t token_idx) const;
  std::span<const float> chosen_weights(int64_t token_idx) const;

  int64_t scratch_bytes() const { return scratch_bytes_for(config_, max_batch_tokens_); }
  // What the constructor allocates (the planner's term for it).
  static int64_t scratch_bytes_for(const model::LlamaConfig& config, int64_t max_batch_tokens);

 private:
  // Softmax of router_'s logits in place, the choices, and the grouping by expert.
  void route(int64_t n_tokens);

  const model::LlamaConfig& config_;
  int64_t max_batch_tokens_;
  // [max_batch_tokens x n_expert] router logits, then probabilities.
  std::vector<float> router_;
  // [max_batch_tokens x n_expert_used]: each token's chosen experts and weights.
  std::vector<int32_t> chosen_;
  std::vector<float> weights_;
  // Tokens grouped by expert: the (token, choice) slots of expert e are
  // by_expert_[first_[e] .. first_[e + 1]).
  std::vector<int32_t> first_;     // n_expert + 1
  std::vector<int32_t> by_expert_;  // max_batch_tokens x n_expert_used: token * n_expert_used + choice
  std::vector<int32_t> fill_;       // n_expert + 1: the counting sort's cursors
  // One expert's tokens: gathered inputs, gate/up activations, outputs.
  std::vector<float> in_;    // max_batch_tokens x n_embd
  std::vector<float> gate_;  // max_batch_tokens x n_ff_exp
  std::vector<float> up_;    // max_batch_tokens x n_ff_exp
  std::vector<float> down_;  // max_batch_tokens x n_embd
};

}  // namespace hearth::infer
