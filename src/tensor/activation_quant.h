// Activations of matmul quantized to 8 bits, once per call, so the kernels can
// take integer dot products (internal to tensor/, public for the tests).
//
// Q4_0 and Q8_0 weights pair with ActBlockQ8_0: Q8_0 values with a float scale
// instead of GGUF's f16 one (one conversion less per block and token, and no
// rounding of the scale). K-type weights pair with BlockQ8_K.
#pragma once

#include <cstdint>

#include "tensor/quant_blocks.h"

namespace hearth::tensor {

struct ActBlockQ8_0 {
  float d;
  int8_t qs[kQ8_0BlockElems];  // value[i] = qs[i] * d
};
static_assert(sizeof(ActBlockQ8_0) == 36);

// Per block of 32: d = max|x| / 127, qs = round_half_even(x * (1 / d)) (0 when d is 0).
// Precondition: n % 32 == 0.
void quantize_activations_q8_0_ref(const float* x, ActBlockQ8_0* dst, int64_t n);
// SIMD-dispatched; equal to quantize_activations_q8_0_ref bit for bit.
void quantize_activations_q8_0(const float* x, ActBlockQ8_0* dst, int64_t n);
// SIMD-dispatched; equal to quantize_row_ref(DType::kQ8_K, ...) bit for bit.
// Precondition: n % 256 == 0.
void quantize_activations_q8_k(const float* x, BlockQ8_K* dst, int64_t n);

}  // namespace hearth::tensor
