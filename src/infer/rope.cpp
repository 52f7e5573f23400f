#include "infer/rope.h"

#include <cmath>

#include "model/arch/rope_factors.h"

namespace hearth::infer {

std::vector<double> rope_inv_freq(const model::LlamaConfig& config) {
  std::vector<double> inv_freq = model::rope_base_inv_freq(config);
  const std::vector<double> divisors = model::rope_freq_divisors(config);
  for (size_t pair_idx = 0; pair_idx < inv_freq.size(); ++pair_idx) inv_freq[pair_idx] /= divisors[pair_idx];
  return inv_freq;
}

Rope::Rope(const model::LlamaConfig& config, const float* freq_factors)
    : inv_freq_(rope_inv_freq(config)), neox_(config.rope_neox) {
  if (freq_factors == nullptr) return;
  for (size_t pair_idx = 0; pair_idx < inv_freq_.size(); ++pair_idx) inv_freq_[pair_idx] /= freq_factors[pair_idx];
}

void Rope::compute_angles(int64_t first_pos, int64_t n_tokens, float* cos_out,
                          float* sin_out) const {
  const int64_t n = n_pairs();
  for (int64_t token_idx = 0; token_idx < n_tokens; ++token_idx) {
    const double pos = static_cast<double>(first_pos + token_idx);
    for (int64_t pair_idx = 0; pair_idx < n; ++pair_idx) {
      const double theta = pos * inv_freq_[pair_idx];
      cos_out[token_idx * n + pair_idx] = static_cast<float>(std::cos(theta));
      sin_out[token_idx * n + pair_idx] = static_cast<float>(std::sin(theta));
    }
  }
}

void Rope::apply(float* heads, int64_t n_heads, const float* cos_row, const float* sin_row) const {
  const int64_t n = n_pairs();
  const int64_t head_dim = 2 * n;
  // Normal mode pairs (2i, 2i+1); neox pairs (i, i + n).
  const int64_t first_stride = neox_ ? 1 : 2;
  const int64_t second_offset = neox_ ? n : 1;
  for (int64_t head_idx = 0; head_idx < n_heads; ++head_idx) {
    float* head = heads + head_idx * head_dim;
    for (int64_t pair_idx = 0; pair_idx < n; ++pair_idx) {
      float* a = head + pair_idx * first_stride;
      float* b = a + second_offset;
      const float x0 = *a;
      const float x1 = *b;
      *a = x0 * cos_row[pair_idx] - x1 * sin_row[pair_idx];
      *b = x0 * sin_row[pair_idx] + x1 * cos_row[pair_idx];
    }
  }
}

}  // namespace hearth::infer
