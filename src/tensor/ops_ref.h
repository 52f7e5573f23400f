// Scalar references of the ops.h kernels: plain loops with double accumulation
// where a sum is involved. Tests compare the SIMD kernels against these.
#pragma once

#include <cstdint>

namespace hearth::tensor {

double dot_f32_ref(const float* a, const float* b, int64_t n);
double dot_f16_f32_ref(const uint16_t* a, const float* b, int64_t n);
void axpy_f16_ref(float alpha, const uint16_t* x, float* y, int64_t n);
void rms_norm_ref(const float* x, const float* weight, float eps, float* out, int64_t n);
void silu_mul_ref(const float* gate, const float* up, float* out, int64_t n);
void softmax_ref(float* x, int64_t n);

}  // namespace hearth::tensor
