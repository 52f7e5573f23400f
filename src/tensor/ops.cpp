// Forward-pass kernels (ops.h), compiled once per SIMD target by Highway and
// dispatched at runtime. Tails shorter than a vector use the scalar formulas.
#include "tensor/ops.h"

#include <cmath>
#include <limits>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tensor/ops.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/contrib/math/math-inl.h"
#include "hwy/highway.h"
#include "tensor/f16_vec-inl.h"
#include "tensor/fp16.h"

HWY_BEFORE_NAMESPACE();
namespace hearth::tensor::HWY_NAMESPACE {
namespace {

namespace hn = hwy::HWY_NAMESPACE;
using DF = hn::ScalableTag<float>;

float dot_f32_impl(const float* HWY_RESTRICT a, const float* HWY_RESTRICT b, int64_t n) {
  const DF df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  auto sum0 = hn::Zero(df), sum1 = hn::Zero(df), sum2 = hn::Zero(df), sum3 = hn::Zero(df);
  int64_t idx = 0;
  for (; idx + 4 * lanes <= n; idx += 4 * lanes) {
    sum0 = hn::MulAdd(hn::LoadU(df, a + idx), hn::LoadU(df, b + idx), sum0);
    sum1 = hn::MulAdd(hn::LoadU(df, a + idx + lanes), hn::LoadU(df, b + idx + lanes), sum1);
    sum2 = hn::MulAdd(hn::LoadU(df, a + idx + 2 * lanes), hn::LoadU(df, b + idx + 2 * lanes), sum2);
    sum3 = hn::MulAdd(hn::LoadU(df, a + idx + 3 * lanes), hn::LoadU(df, b + idx + 3 * lanes), sum3);
  }
  for (; idx + lanes <= n; idx += lanes) sum0 = hn::MulAdd(hn::LoadU(df, a + idx), hn::LoadU(df, b + idx), sum0);
  float sum = hn::GetLane(hn::SumOfLanes(df, hn::Add(hn::Add(sum0, sum1), hn::Add(sum2, sum3))));
  for (; idx < n; ++idx) sum += a[idx] * b[idx];
  return sum;
}

float dot_f16_f32_impl(const uint16_t* HWY_RESTRICT a, const float* HWY_RESTRICT b, int64_t n) {
  const DF df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  auto sum0 = hn::Zero(df), sum1 = hn::Zero(df);
  int64_t idx = 0;
  for (; idx + 2 * lanes <= n; idx += 2 * lanes) {
    sum0 = hn::MulAdd(load_f16(df, a + idx), hn::LoadU(df, b + idx), sum0);
    sum1 = hn::MulAdd(load_f16(df, a + idx + lanes), hn::LoadU(df, b + idx + lanes), sum1);
  }
  for (; idx + lanes <= n; idx += lanes) sum0 = hn::MulAdd(load_f16(df, a + idx), hn::LoadU(df, b + idx), sum0);
  float sum = hn::GetLane(hn::SumOfLanes(df, hn::Add(sum0, sum1)));
  for (; idx < n; ++idx) sum += f16_to_f32(a[idx]) * b[idx];
  return sum;
}

void axpy_f16_impl(float alpha, const uint16_t* HWY_RESTRICT x, float* HWY_RESTRICT y, int64_t n) {
  const DF df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  const auto alpha_vec = hn::Set(df, alpha);
  int64_t idx = 0;
  for (; idx + lanes <= n; idx += lanes) {
    hn::StoreU(hn::MulAdd(alpha_vec, load_f16(df, x + idx), hn::LoadU(df, y + idx)), df, y + idx);
  }
  for (; idx < n; ++idx) y[idx] += alpha * f16_to_f32(x[idx]);
}

void dot_f16_f32_rows_impl(const uint16_t* HWY_RESTRICT rows, int64_t row_stride, int64_t n_rows,
                           const float* HWY_RESTRICT b, int64_t n, float scale, float* HWY_RESTRICT out) {
  for (int64_t row_idx = 0; row_idx < n_rows; ++row_idx) {
    out[row_idx] = dot_f16_f32_impl(rows + row_idx * row_stride, b, n) * scale;
  }
}

void axpy_f16_rows_impl(const float* HWY_RESTRICT alpha, const uint16_t* HWY_RESTRICT rows, int64_t row_stride,
                        int64_t n_rows, float* HWY_RESTRICT y, int64_t n) {
  const DF df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  int64_t idx = 0;
  // Each y element sees the same multiply-adds in the same order as row-by-row axpy_f16.
  for (; idx + 2 * lanes <= n; idx += 2 * lanes) {
    auto y0 = hn::LoadU(df, y + idx);
    auto y1 = hn::LoadU(df, y + idx + lanes);
    for (int64_t row_idx = 0; row_idx < n_rows; ++row_idx) {
      const uint16_t* x = rows + row_idx * row_stride + idx;
      const auto alpha_vec = hn::Set(df, alpha[row_idx]);
      y0 = hn::MulAdd(alpha_vec, load_f16(df, x), y0);
      y1 = hn::MulAdd(alpha_vec, load_f16(df, x + lanes), y1);
    }
    hn::StoreU(y0, df, y + idx);
    hn::StoreU(y1, df, y + idx + lanes);
  }
  for (; idx + lanes <= n; idx += lanes) {
    auto y0 = hn::LoadU(df, y + idx);
    for (int64_t row_idx = 0; row_idx < n_rows; ++row_idx) {
      y0 = hn::MulAdd(hn::Set(df, alpha[row_idx]), load_f16(df, rows + row_idx * row_stride + idx), y0);
    }
    hn::StoreU(y0, df, y + idx);
  }
  for (; idx < n; ++idx) {
    for (int64_t row_idx = 0; row_idx < n_rows; ++row_idx) {
      y[idx] += alpha[row_idx] * f16_to_f32(rows[row_idx * row_stride + idx]);
    }
  }
}

void convert_f32_to_f16_impl(const float* HWY_RESTRICT src, uint16_t* HWY_RESTRICT dst, int64_t n) {
  const DF df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  int64_t idx = 0;
  for (; idx + lanes <= n; idx += lanes) store_f16(df, hn::LoadU(df, src + idx), dst + idx);
  for (; idx < n; ++idx) dst[idx] = f32_to_f16(src[idx]);
}

void convert_f16_to_f32_impl(const uint16_t* HWY_RESTRICT src, float* HWY_RESTRICT dst, int64_t n) {
  const DF df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  int64_t idx = 0;
  for (; idx + lanes <= n; idx += lanes) hn::StoreU(load_f16(df, src + idx), df, dst + idx);
  for (; idx < n; ++idx) dst[idx] = f16_to_f32(src[idx]);
}

void rms_norm_impl(const float* x, const float* weight, float eps, float* out, int64_t n) {
  if (n <= 0) return;
  const DF df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  auto sum0 = hn::Zero(df), sum1 = hn::Zero(df);
  int64_t idx = 0;
  for (; idx + 2 * lanes <= n; idx += 2 * lanes) {
    const auto v0 = hn::LoadU(df, x + idx);
    const auto v1 = hn::LoadU(df, x + idx + lanes);
    sum0 = hn::MulAdd(v0, v0, sum0);
    sum1 = hn::MulAdd(v1, v1, sum1);
  }
  float sum_squares = hn::GetLane(hn::SumOfLanes(df, hn::Add(sum0, sum1)));
  for (; idx < n; ++idx) sum_squares += x[idx] * x[idx];
  const float inv_rms = 1.0f / std::sqrt(sum_squares / static_cast<float>(n) + eps);
  const auto scale = hn::Set(df, inv_rms);
  idx = 0;
  for (; idx + lanes <= n; idx += lanes) {
    hn::StoreU(hn::Mul(hn::Mul(hn::LoadU(df, x + idx), scale), hn::LoadU(df, weight + idx)), df, out + idx);
  }
  for (; idx < n; ++idx) out[idx] = x[idx] * inv_rms * weight[idx];
}

// exp(v) within Highway Exp's valid range [-FLT_MAX, 104] (1 ulp there; 0 for
// v < -104, so -inf from a mask gives exactly 0). v is capped at 88, where exp
// still fits a float; callers only pass large v to silu, where e^88 already
// makes the result |g| * e^-88 < 1e-35 instead of 0.
template <class V>
HWY_INLINE V exp_clamped(DF df, V v) {
  const auto low = hn::Set(df, -std::numeric_limits<float>::max());
  return hn::Exp(df, hn::Min(hn::Max(v, low), hn::Set(df, 88.0f)));
}

void silu_mul_impl(const float* gate, const float* up, float* out, int64_t n) {
  const DF df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  const auto one = hn::Set(df, 1.0f);
  int64_t idx = 0;
  for (; idx + lanes <= n; idx += lanes) {
    const auto g = hn::LoadU(df, gate + idx);
    const auto silu = hn::Div(g, hn::Add(one, exp_clamped(df, hn::Neg(g))));
    hn::StoreU(hn::Mul(silu, hn::LoadU(df, up + idx)), df, out + idx);
  }
  for (; idx < n; ++idx) {
    const float g = gate[idx];
    out[idx] = g / (1.0f + std::exp(-g)) * up[idx];
  }
}

void softmax_impl(float* x, int64_t n) {
  if (n <= 0) return;
  const DF df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  auto max_vec = hn::Set(df, x[0]);
  int64_t idx = 0;
  for (; idx + lanes <= n; idx += lanes) max_vec = hn::Max(max_vec, hn::LoadU(df, x + idx));
  float max = hn::GetLane(hn::MaxOfLanes(df, max_vec));
  for (; idx < n; ++idx) max = std::fmax(max, x[idx]);
  const auto max_splat = hn::Set(df, max);
  auto sum_vec = hn::Zero(df);
  idx = 0;
  for (; idx + lanes <= n; idx += lanes) {
    const auto e = exp_clamped(df, hn::Sub(hn::LoadU(df, x + idx), max_splat));
    hn::StoreU(e, df, x + idx);
    sum_vec = hn::Add(sum_vec, e);
  }
  float sum = hn::GetLane(hn::SumOfLanes(df, sum_vec));
  for (; idx < n; ++idx) {
    x[idx] = std::exp(x[idx] - max);
    sum += x[idx];
  }
  const float inv_sum = 1.0f / sum;
  const auto inv_sum_vec = hn::Set(df, inv_sum);
  idx = 0;
  for (; idx + lanes <= n; idx += lanes) hn::StoreU(hn::Mul(hn::LoadU(df, x + idx), inv_sum_vec), df, x + idx);
  for (; idx < n; ++idx) x[idx] *= inv_sum;
}

// erf by Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7; a few
// float roundings more here): erf(|x|) = 1 - poly(t) e^{-x^2}, t = 1 / (1 + p|x|).
constexpr float kErfP = 0.3275911f;
constexpr float kErfA[5] = {0.254829592f, -0.284496736f, 1.421413741f, -1.453152027f, 1.061405429f};
constexpr float kInvSqrt2 = 0.70710678118654752f;

void gelu_erf_impl(float* HWY_RESTRICT x, int64_t n) {
  const DF df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  const auto one = hn::Set(df, 1.0f);
  const auto half = hn::Set(df, 0.5f);
  int64_t idx = 0;
  for (; idx + lanes <= n; idx += lanes) {
    const auto v = hn::LoadU(df, x + idx);
    const auto z = hn::Mul(v, hn::Set(df, kInvSqrt2));
    const auto az = hn::Abs(z);
    const auto t = hn::Div(one, hn::MulAdd(hn::Set(df, kErfP), az, one));
    auto poly = hn::Set(df, kErfA[4]);
    poly = hn::MulAdd(poly, t, hn::Set(df, kErfA[3]));
    poly = hn::MulAdd(poly, t, hn::Set(df, kErfA[2]));
    poly = hn::MulAdd(poly, t, hn::Set(df, kErfA[1]));
    poly = hn::MulAdd(poly, t, hn::Set(df, kErfA[0]));
    poly = hn::Mul(poly, t);
    const auto erf_abs = hn::NegMulAdd(poly, exp_clamped(df, hn::Neg(hn::Mul(az, az))), one);
    const auto erf = hn::CopySign(erf_abs, z);
    hn::StoreU(hn::Mul(hn::Mul(half, v), hn::Add(one, erf)), df, x + idx);
  }
  for (; idx < n; ++idx) x[idx] = 0.5f * x[idx] * (1.0f + std::erf(x[idx] * kInvSqrt2));
}

void add_inplace_impl(float* HWY_RESTRICT y, const float* HWY_RESTRICT x, int64_t n) {
  const DF df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  int64_t idx = 0;
  for (; idx + lanes <= n; idx += lanes) {
    hn::StoreU(hn::Add(hn::LoadU(df, y + idx), hn::LoadU(df, x + idx)), df, y + idx);
  }
  for (; idx < n; ++idx) y[idx] += x[idx];
}

}  // namespace
}  // namespace hearth::tensor::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace hearth::tensor {

HWY_EXPORT(dot_f32_impl);
HWY_EXPORT(dot_f16_f32_impl);
HWY_EXPORT(axpy_f16_impl);
HWY_EXPORT(dot_f16_f32_rows_impl);
HWY_EXPORT(axpy_f16_rows_impl);

void dot_f16_f32_rows(const uint16_t* rows, int64_t row_stride, int64_t n_rows, const float* b, int64_t n, float scale,
                      float* out) {
  HWY_DYNAMIC_DISPATCH(dot_f16_f32_rows_impl)(rows, row_stride, n_rows, b, n, scale, out);
}
void axpy_f16_rows(const float* alpha, const uint16_t* rows, int64_t row_stride, int64_t n_rows, float* y, int64_t n) {
  HWY_DYNAMIC_DISPATCH(axpy_f16_rows_impl)(alpha, rows, row_stride, n_rows, y, n);
}
HWY_EXPORT(convert_f32_to_f16_impl);
HWY_EXPORT(convert_f16_to_f32_impl);
HWY_EXPORT(rms_norm_impl);
HWY_EXPORT(silu_mul_impl);
HWY_EXPORT(softmax_impl);
HWY_EXPORT(add_inplace_impl);
HWY_EXPORT(gelu_erf_impl);

float dot_f32(const float* a, const float* b, int64_t n) { return HWY_DYNAMIC_DISPATCH(dot_f32_impl)(a, b, n); }
float dot_f16_f32(const uint16_t* a, const float* b, int64_t n) {
  return HWY_DYNAMIC_DISPATCH(dot_f16_f32_impl)(a, b, n);
}
void axpy_f16(float alpha, const uint16_t* x, float* y, int64_t n) {
  HWY_DYNAMIC_DISPATCH(axpy_f16_impl)(alpha, x, y, n);
}
void convert_f32_to_f16(const float* src, uint16_t* dst, int64_t n) {
  HWY_DYNAMIC_DISPATCH(convert_f32_to_f16_impl)(src, dst, n);
}
void convert_f16_to_f32(const uint16_t* src, float* dst, int64_t n) {
  HWY_DYNAMIC_DISPATCH(convert_f16_to_f32_impl)(src, dst, n);
}
void rms_norm(const float* x, const float* weight, float eps, float* out, int64_t n) {
  HWY_DYNAMIC_DISPATCH(rms_norm_impl)(x, weight, eps, out, n);
}
void silu_mul(const float* gate, const float* up, float* out, int64_t n) {
  HWY_DYNAMIC_DISPATCH(silu_mul_impl)(gate, up, out, n);
}
void softmax(float* x, int64_t n) { HWY_DYNAMIC_DISPATCH(softmax_impl)(x, n); }
void add_inplace(float* y, const float* x, int64_t n) { HWY_DYNAMIC_DISPATCH(add_inplace_impl)(y, x, n); }
void gelu_erf(float* x, int64_t n) { HWY_DYNAMIC_DISPATCH(gelu_erf_impl)(x, n); }

}  // namespace hearth::tensor
#endif  // HWY_ONCE
