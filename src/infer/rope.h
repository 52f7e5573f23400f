// Rotary position embedding (RoPE) for the llama family.
//
// Pair i of a head (i < head_dim/2) is rotated by theta = pos * inv_freq[i],
// inv_freq[i] = base^(-2i/head_dim), with the frequencies rescaled as the
// model's rope scaling keys say (none, linear, llama3: the divisors of
// model/arch/rope_factors.h). A model may instead carry per-pair factors (GGUF tensor rope_freqs.weight,
// how llama.cpp's converter stores Llama 3.1/3.2 scaling): inv_freq[i] /= factor[i].
// The pair is (2i, 2i+1) in normal mode (llama GGUF files, whose Q/K rows the
// converter permuted) and (i, i + head_dim/2) in neox mode (qwen2).
#pragma once

#include <cstdint>
#include <vector>

#include "model/llama_arch.h"

namespace hearth::infer {

// head_dim/2 inverse frequencies after scaling, in double.
std::vector<double> rope_inv_freq(const model::LlamaConfig& config);

class Rope {
 public:
  // freq_factors: head_dim/2 divisors of the frequencies, or nullptr.
  explicit Rope(const model::LlamaConfig& config, const float* freq_factors = nullptr);

  int64_t n_pairs() const { return static_cast<int64_t>(inv_freq_.size()); }

  // cos_out/sin_out[t * n_pairs + i] for positions first_pos + t, t < n_tokens.
  void compute_angles(int64_t first_pos, int64_t n_tokens, float* cos_out, float* sin_out) const;

  // Rotates n_heads consecutive heads of one token in place, using one
  // token's n_pairs cos/sin values from compute_angles.
  void apply(float* heads, int64_t n_heads, const float* cos_row, const float* sin_row) const;

 private:
  std::vector<double> inv_freq_;
  bool neox_;
};

}  // namespace hearth::infer
