// Element-wise and vector kernels of the forward pass (SIMD-dispatched).
// Lengths are element counts; pointers need no particular alignment.
#pragma once

#include <cstdint>

namespace hearth::tensor {

float dot_f32(const float* a, const float* b, int64_t n);
// a holds IEEE halves (the KV cache), b floats.
float dot_f16_f32(const uint16_t* a, const float* b, int64_t n);
// y[i] += alpha * x[i], x in halves.
void axpy_f16(float alpha, const uint16_t* x, float* y, int64_t n);
// Many rows at once (attention over a block of the KV cache), bit-identical to
// calling the one-row kernels row by row, without a dispatch per row and with
// y kept in registers across rows:
//   out[r] = dot_f16_f32(rows + r * row_stride, b, n) * scale, r < n_rows;
//   for r < n_rows in order: axpy_f16(alpha[r], rows + r * row_stride, y, n).
void dot_f16_f32_rows(const uint16_t* rows, int64_t row_stride, int64_t n_rows, const float* b, int64_t n, float scale,
                      float* out);
void axpy_f16_rows(const float* alpha, const uint16_t* rows, int64_t row_stride, int64_t n_rows, float* y, int64_t n);
void convert_f32_to_f16(const float* src, uint16_t* dst, int64_t n);
void convert_f16_to_f32(const uint16_t* src, float* dst, int64_t n);

// out[i] = x[i] / sqrt(mean(x^2) + eps) * weight[i]. out may alias x.
void rms_norm(const float* x, const float* weight, float eps, float* out, int64_t n);
// out[i] = silu(gate[i]) * up[i] with silu(v) = v / (1 + exp(-v)). out may alias gate.
void silu_mul(const float* gate, const float* up, float* out, int64_t n);
// In place: x[i] = exp(x[i] - max) / sum.
void softmax(float* x, int64_t n);
// y[i] += x[i]
void add_inplace(float* y, const float* x, int64_t n);
// x[i] = x[i] / 2 * (1 + erf(x[i] / sqrt(2))): exact GELU (BERT's "gelu"),
// erf within 5e-7 absolute (Abramowitz & Stegun 7.1.26).
void gelu_erf(float* x, int64_t n);

}  // namespace hearth::tensor
