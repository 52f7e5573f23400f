#include "infer/moe_ffn.h"

#include <algorithm>
#include <cassert>
#include <cstring>

#include "tensor/matmul.h"
#include "tensor/ops.h"

namespace hearth::infer {
namespace {

size_t elems(int64_t rows, int64_t width) { return static_cast<size_t>(rows * width); }

}  // namespace

MoeFeedForward::MoeFeedForward(const model::LlamaConfig& config, int64_t max_batch_tokens)
    : config_(config), max_batch_tokens_(max_batch_tokens) {
  assert(config.n_expert >= 1 && config.n_expert_used >= 1 && config.n_expert_used <= config.n_expert);
  router_.resize(elems(max_batch_tokens, config.n_expert));
  chosen_.resize(elems(max_batch_tokens, config.n_expert_used));
  weights_.resize(elems(max_batch_tokens, config.n_expert_used));
  first_.resize(static_cast<size_t>(config.n_expert + 1));
  fill_.resize(static_cast<size_t>(config.n_expert + 1));
  by_expert_.resize(elems(max_batch_tokens, config.n_expert_used));
  in_.resize(elems(max_batch_tokens, config.n_embd));
  gate_.resize(elems(max_batch_tokens, config.n_ff_exp));
  up_.resize(elems(max_batch_tokens, config.n_ff_exp));
  down_.resize(elems(max_batch_tokens, config.n_embd));
}

int64_t MoeFeedForward::scratch_bytes_for(const model::LlamaConfig& config, int64_t max_batch_tokens) {
  const int64_t floats = max_batch_tokens * (config.n_expert + config.n_expert_used + 2 * config.n_embd +
                                             2 * config.n_ff_exp);
  const int64_t ints = max_batch_tokens * 2 * config.n_expert_used + 2 * (config.n_expert + 1);
  return floats * static_cast<int64_t>(sizeof(float)) + ints * static_cast<int64_t>(sizeof(int32_t));
}

std::span<const int32_t> MoeFeedForward::chosen_experts(int64_t token_idx) const {
  return {chosen_.data() + token_idx * config_.n_expert_used, static_cast<size_t>(config_.n_expert_used)};
}

std::span<const float> MoeFeedForward::chosen_weights(int64_t token_idx) const {
  return {weights_.data() + token_idx * config_.n_expert_used, static_cast<size_t>(config_.n_expert_used)};
}

void MoeFeedForward::route(int64_t n_tokens) {
  const int64_t n_expert = config_.n_expert;
  const int64_t n_used = config_.n_expert_used;
  std::fill(first_.begin(), first_.end(), 0);
  for (int64_t token_idx = 0; token_idx < n_tokens; ++token_idx) {
    float* probs = router_.data() + token_idx * n_expert;
    tensor::softmax(probs, n_expert);
    // Selection of the n_used largest, earlier index first among equals.
    int32_t* chosen = chosen_.data() + token_idx * n_used;
    for (int64_t choice = 0; choice < n_used; ++choice) {
      int32_t best = -1;
      for (int32_t expert = 0; expert < n_expert; ++expert) {
        if (std::find(chosen, chosen + choice, expert) != chosen + choice) continue;
        if (best < 0 || probs[expert] > probs[best]) best = expert;
      }
      chosen[choice] = best;
    }
    float sum = 0.0f;
    for (int64_t choice = 0; choice < n_used; ++choice) sum += probs[chosen[choice]];
    float* weights = weights_.data() + token_idx * n_used;
    for (int64_t choice = 0; choice < n_used; ++choice) {
      weights[choice] = probs[chosen[choice]] / sum;
      ++first_[static_cast<size_t>(chosen[choice]) + 1];
    }
  }
  // Counting sort of the (token, choice) slots by expert, tokens in order within each expert.
  for (int64_t expert = 0; expert < n_expert; ++expert) first_[expert + 1] += first_[expert];
  std::copy(first_.begin(), first_.end(), fill_.begin());
  for (int64_t slot = 0; slot < n_tokens * n_used; ++slot) {
    const int32_t expert = chosen_[static_cast<size_t>(slot)];
    by_expert_[static_cast<size_t>(fill_[static_cast<size_t>(expert)]++)] = static_cast<int32_t>(slot);
  }
}

void MoeFeedForward::run(const model::LlamaLayerWeights& layer, const float* xn, int64_t n_tokens, float* out,
                         ThreadPool& pool) {
  assert(n_tokens >= 1 && n_tokens <= max_batch_tokens_);
  const int64_t n_embd = config_.n_embd;
  const int64_t n_ff_exp = config_.n_ff_exp;
  const int64_t n_used = config_.n_expert_used;
  tensor::matmul(layer.ffn_gate_inp, xn, n_tokens, router_.data(), pool);
  route(n_tokens);

  // Each token's output is the sum of its experts' in expert index order: clear, then add expert by expert.
  std::memset(out, 0, sizeof(float) * elems(n_tokens, n_embd));
  for (int64_t expert = 0; expert < config_.n_expert; ++expert) {
    const int32_t begin = first_[static_cast<size_t>(expert)];
    const int32_t end = first_[static_cast<size_t>(expert) + 1];
    const int64_t n_rows = end - begin;
    if (n_rows == 0) continue;
    for (int64_t row_idx = 0; row_idx < n_rows; ++row_idx) {
      const int64_t token_idx = by_expert_[static_cast<size_t>(begin + row_idx)] / n_used;
      std::copy(xn + token_idx * n_embd, xn + (token_idx + 1) * n_embd, in_.data() + row_idx * n_embd);
    }
    tensor::matmul(model::expert_matrix(layer.w_gate_exps, expert), in_.data(), n_rows, gate_.data(), pool);
    tensor::matmul(model::expert_matrix(layer.w_up_exps, expert), in_.data(), n_rows, up_.data(), pool);
    tensor::silu_mul(gate_.data(), up_.data(), gate_.data(), n_rows * n_ff_exp);
    tensor::matmul(model::expert_matrix(layer.w_down_exps, expert), gate_.data(), n_rows, down_.data(), pool);
    for (int64_t row_idx = 0; row_idx < n_rows; ++row_idx) {
      const int32_t slot = by_expert_[static_cast<size_t>(begin + row_idx)];
      const float weight = weights_[static_cast<size_t>(slot)];
      float* dst = out + (slot / n_used) * n_embd;
      const float* src = down_.data() + row_idx * n_embd;
      for (int64_t dim_idx = 0; dim_idx < n_embd; ++dim_idx) dst[dim_idx] += weight * src[dim_idx];
    }
  }
}

}  // namespace hearth::infer
