// Scalar references of the forward-pass kernels (see ops_ref.h).
#include "tensor/ops_ref.h"

#include <cmath>

#include "tensor/fp16.h"

namespace hearth::tensor {

double dot_f32_ref(const float* a, const float* b, int64_t n) {
  double sum = 0.0;
  for (int64_t idx = 0; idx < n; ++idx) sum += static_cast<double>(a[idx]) * b[idx];
  return sum;
}

double dot_f16_f32_ref(const uint16_t* a, const float* b, int64_t n) {
  double sum = 0.0;
  for (int64_t idx = 0; idx < n; ++idx) sum += static_cast<double>(f16_to_f32(a[idx])) * b[idx];
  return sum;
}

void axpy_f16_ref(float alpha, const uint16_t* x, float* y, int64_t n) {
  for (int64_t idx = 0; idx < n; ++idx) {
    y[idx] = static_cast<float>(y[idx] + static_cast<double>(alpha) * f16_to_f32(x[idx]));
  }
}

void rms_norm_ref(const float* x, const float* weight, float eps, float* out, int64_t n) {
  double sum_squares = 0.0;
  for (int64_t idx = 0; idx < n; ++idx) sum_squares += static_cast<double>(x[idx]) * x[idx];
  const double inv_rms = n > 0 ? 1.0 / std::sqrt(sum_squares / static_cast<double>(n) + eps) : 0.0;
  for (int64_t idx = 0; idx < n; ++idx) out[idx] = static_cast<float>(x[idx] * inv_rms * weight[idx]);
}

void silu_mul_ref(const float* gate, const float* up, float* out, int64_t n) {
  for (int64_t idx = 0; idx < n; ++idx) {
    const double g = gate[idx];
    out[idx] = static_cast<float>(g / (1.0 + std::exp(-g)) * up[idx]);
  }
}

void softmax_ref(float* x, int64_t n) {
  if (n <= 0) return;
  // A plain compare: GCC 12's aarch64 vectorizer crashes on an fmax reduction here.
  float max = x[0];
  for (int64_t idx = 1; idx < n; ++idx) {
    if (x[idx] > max) max = x[idx];
  }
  double sum = 0.0;
  for (int64_t idx = 0; idx < n; ++idx) sum += std::exp(static_cast<double>(x[idx]) - max);
  for (int64_t idx = 0; idx < n; ++idx) x[idx] = static_cast<float>(std::exp(static_cast<double>(x[idx]) - max) / sum);
}

}  // namespace hearth::tensor
