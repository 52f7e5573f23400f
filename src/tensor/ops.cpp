// Forward-pass kernels. First version: scalar, forwarding to the references.
#include "tensor/ops.h"

#include "tensor/fp16.h"
#include "tensor/ops_ref.h"

namespace hearth::tensor {

float dot_f32(const float* a, const float* b, int64_t n) { return static_cast<float>(dot_f32_ref(a, b, n)); }
float dot_f16_f32(const uint16_t* a, const float* b, int64_t n) {
  return static_cast<float>(dot_f16_f32_ref(a, b, n));
}
void axpy_f16(float alpha, const uint16_t* x, float* y, int64_t n) { axpy_f16_ref(alpha, x, y, n); }
void convert_f32_to_f16(const float* src, uint16_t* dst, int64_t n) {
  for (int64_t idx = 0; idx < n; ++idx) dst[idx] = f32_to_f16(src[idx]);
}
void convert_f16_to_f32(const uint16_t* src, float* dst, int64_t n) {
  for (int64_t idx = 0; idx < n; ++idx) dst[idx] = f16_to_f32(src[idx]);
}
void rms_norm(const float* x, const float* weight, float eps, float* out, int64_t n) {
  rms_norm_ref(x, weight, eps, out, n);
}
void silu_mul(const float* gate, const float* up, float* out, int64_t n) { silu_mul_ref(gate, up, out, n); }
void softmax(float* x, int64_t n) { softmax_ref(x, n); }
void add_inplace(float* y, const float* x, int64_t n) {
  for (int64_t idx = 0; idx < n; ++idx) y[idx] += x[idx];
}

}  // namespace hearth::tensor
