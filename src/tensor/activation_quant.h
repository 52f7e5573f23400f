// Activations of matmul quantized to 8 bits, once per call, so the kernels can
// take integer dot products (internal to tensor/, public for the tests).
//
// Q8_0, Q5_0 and IQ4_NL weights pair with ActBlockQ8_0: Q8_0 values with a
// float scale instead of GGUF's f16 one (one conversion less per block and
// token, and no rounding of the scale). Q4_1 and Q5_1 weights pair with
// ActBlockQ8_1: the same values plus d * (sum of qs) for their offset m. Q4_0 weights pair with the same values stored
// as ActPairQ8_0, laid out for the Q4_0 kernels. K-type weights pair with BlockQ8_K.
#pragma once

#include <cstdint>

#include "tensor/quant_blocks.h"

namespace hearth::tensor {

struct ActBlockQ8_0 {
  float d;
  int8_t qs[kQ8_0BlockElems];  // value[i] = qs[i] * d
};
static_assert(sizeof(ActBlockQ8_0) == 36);

struct ActBlockQ8_1 {
  float d;
  float d_sum;  // d * (sum of qs): sum_i (q_i d_w + m) x_i = d_w sum q_i x_i + m d_sum
  int8_t qs[kQ8_0BlockElems];
};
static_assert(sizeof(ActBlockQ8_1) == 40);

// The values of ActBlockQ8_0 plus the integer sum of qs: the interleaved
// (kRows8) kernels multiply unsigned weight bytes u = q + offset and subtract
// offset * sum (offset 8 for Q4_0, 128 for Q8_0), exactly, in integers.
struct ActBlockQ8_0Sum {
  float d;
  int32_t sum;  // sum of qs
  int8_t qs[kQ8_0BlockElems];
};
static_assert(sizeof(ActBlockQ8_0Sum) == 40);

// Two consecutive blocks 2p, 2p+1 of ActBlockQ8_0 values, rearranged so a Q4_0
// kernel can decode two weight blocks with one 32-byte load: the low nibbles of
// both weight blocks meet qs_low, the high nibbles qs_high. d_sum8 lets the
// kernels multiply the unsigned nibbles q and correct for the -8 offset:
// sum (q - 8) x = sum q x - 8 sum x. A row with an odd block count has a last
// pair whose second block is zero. d_spread and sum8 carry the same facts in
// the lane order of the AVX2 kernel (one 32-byte register per pair), so it
// needs no per-pair shuffles: sum8 is subtracted from its 16-bit partial sums,
// d_spread multiplies its per-lane weight scales.
struct ActPairQ8_0 {
  float d[2];
  float d_sum8[2];     // d * (8 * sum of the block's qs)
  int8_t qs_low[32];   // values 0..15 of block 2p, then values 0..15 of block 2p+1
  int8_t qs_high[32];  // values 16..31 of block 2p, then of block 2p+1
  float d_spread[8];   // d[0] in lanes 0..3, d[1] in lanes 4..7
  int16_t sum8[16];    // lane j: 8 * (qs_low[2j] + qs_low[2j+1] + qs_high[2j] + qs_high[2j+1])
};
static_assert(sizeof(ActPairQ8_0) == 144);

inline int64_t act_pairs_q8_0(int64_t n) { return (n / kQ8_0BlockElems + 1) / 2; }

// Per block of 32: d = max|x| / 127, qs = round_half_even(x * (1 / d)) (0 when d is 0).
// Precondition: n % 32 == 0.
void quantize_activations_q8_0_ref(const float* x, ActBlockQ8_0* dst, int64_t n);
// SIMD-dispatched; equal to quantize_activations_q8_0_ref bit for bit.
void quantize_activations_q8_0(const float* x, ActBlockQ8_0* dst, int64_t n);
// The same values as quantize_activations_q8_0_ref in the pair layout
// (act_pairs_q8_0(n) pairs). Reference and SIMD-dispatched version, bit-identical.
void quantize_activations_q8_0_pairs_ref(const float* x, ActPairQ8_0* dst, int64_t n);
void quantize_activations_q8_0_pairs(const float* x, ActPairQ8_0* dst, int64_t n);
// The values of quantize_activations_q8_0_ref plus d_sum = d * float(sum of qs).
// Reference and SIMD-dispatched version, bit-identical.
void quantize_activations_q8_1_ref(const float* x, ActBlockQ8_1* dst, int64_t n);
void quantize_activations_q8_1(const float* x, ActBlockQ8_1* dst, int64_t n);
// The values of quantize_activations_q8_0_ref plus sum = sum of qs.
// Reference and SIMD-dispatched version, bit-identical.
void quantize_activations_q8_0_sum_ref(const float* x, ActBlockQ8_0Sum* dst, int64_t n);
void quantize_activations_q8_0_sum(const float* x, ActBlockQ8_0Sum* dst, int64_t n);
// SIMD-dispatched; equal to quantize_row_ref(DType::kQ8_K, ...) bit for bit.
// Precondition: n % 256 == 0.
void quantize_activations_q8_k(const float* x, BlockQ8_K* dst, int64_t n);

}  // namespace hearth::tensor
