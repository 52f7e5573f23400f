// RoPE frequency divisors: what a config's rope scaling does to each rotary
// pair's frequency, and what llama.cpp's converter stores for Llama 3.1+ as
// the tensor rope_freqs.weight (head_dim/2 F32 values).
//
// Pair i (i < head_dim/2) turns at inv_freq[i] = base^(-2i/head_dim) / divisor[i]:
//   - none: divisor 1;  linear: divisor = factor;
//   - llama3 (HF transformers' _compute_llama3_parameters, restated as the
//     divisor llama.cpp writes): with wavelen = 2*pi / inv_freq and
//     original_ctx from the config, wavelen < original_ctx/high_freq_factor
//     keeps the pair (1), wavelen > original_ctx/low_freq_factor divides it by
//     factor, and between, with s = (original_ctx/wavelen - low) / (high - low),
//     1 / ((1 - s)/factor + s), so inv_freq becomes (1-s)*inv_freq/factor + s*inv_freq.
// ref: transformers/modeling_rope_utils.py (_compute_llama3_parameters)
// ref: llama.cpp convert_hf_to_gguf.py (LlamaModel: rope_freqs for rope_type llama3)
#pragma once

#include <vector>

#include "model/llama_arch.h"

namespace hearth::model {

// head_dim/2 unscaled inverse frequencies base^(-2i/head_dim), in double.
std::vector<double> rope_base_inv_freq(const LlamaConfig& config);

// head_dim/2 divisors for config.rope_scaling (all 1 for kNone).
std::vector<double> rope_freq_divisors(const LlamaConfig& config);

}  // namespace hearth::model
