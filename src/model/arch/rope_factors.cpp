#include "model/arch/rope_factors.h"

#include <cmath>
#include <numbers>

namespace hearth::model {

std::vector<double> rope_base_inv_freq(const LlamaConfig& config) {
  const int64_t n_pairs = config.head_dim / 2;
  std::vector<double> inv_freq(static_cast<size_t>(n_pairs));
  for (int64_t pair_idx = 0; pair_idx < n_pairs; ++pair_idx) {
    inv_freq[static_cast<size_t>(pair_idx)] =
        std::pow(static_cast<double>(config.rope_theta),
                 -static_cast<double>(2 * pair_idx) / static_cast<double>(config.head_dim));
  }
  return inv_freq;
}

std::vector<double> rope_freq_divisors(const LlamaConfig& config) {
  const std::vector<double> inv_freq = rope_base_inv_freq(config);
  std::vector<double> divisors(inv_freq.size(), 1.0);
  const RopeScaling& scaling = config.rope_scaling;
  switch (scaling.type) {
    case RopeScalingType::kNone:
      break;
    case RopeScalingType::kLinear:
      for (double& divisor : divisors) divisor = scaling.factor;
      break;
    case RopeScalingType::kLlama3: {
      const double factor = scaling.factor;
      const double low = scaling.low_freq_factor;
      const double high = scaling.high_freq_factor;
      const double original_ctx = static_cast<double>(scaling.original_context);
      const double low_freq_wavelen = original_ctx / low;
      const double high_freq_wavelen = original_ctx / high;
      for (size_t pair_idx = 0; pair_idx < inv_freq.size(); ++pair_idx) {
        const double wavelen = 2.0 * std::numbers::pi / inv_freq[pair_idx];
        if (wavelen < high_freq_wavelen) continue;
        if (wavelen > low_freq_wavelen) {
          divisors[pair_idx] = factor;
          continue;
        }
        const double smooth = (original_ctx / wavelen - low) / (high - low);
        divisors[pair_idx] = 1.0 / ((1.0 - smooth) / factor + smooth);
      }
      break;
    }
  }
  return divisors;
}

}  // namespace hearth::model
