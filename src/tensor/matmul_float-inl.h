// matmul kernels of the float weight types (F32, F16, BF16) against float
// activations: widen a vector of weights once, multiply-add it into every token.
//
// Included once per target by matmul_kernels.cpp.
#if defined(HEARTH_TENSOR_MATMUL_FLOAT_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef HEARTH_TENSOR_MATMUL_FLOAT_INL_H_
#undef HEARTH_TENSOR_MATMUL_FLOAT_INL_H_
#else
#define HEARTH_TENSOR_MATMUL_FLOAT_INL_H_
#endif

#include "hwy/highway.h"
#include "tensor/f16_vec-inl.h"
#include "tensor/fp16.h"
#include "tensor/matmul_kernels.h"
#include "tensor/matmul_simd-inl.h"

HWY_BEFORE_NAMESPACE();
namespace hearth::tensor::HWY_NAMESPACE {

struct F32Weights {
  using Element = float;
  template <class DF>
  static HWY_INLINE hn::Vec<DF> load(DF df, const float* p) {
    return hn::LoadU(df, p);
  }
  static float scalar(float value) { return value; }
};

struct F16Weights {
  using Element = uint16_t;
  template <class DF>
  static HWY_INLINE hn::Vec<DF> load(DF df, const uint16_t* p) {
    return load_f16(df, p);
  }
  static float scalar(uint16_t value) { return f16_to_f32(value); }
};

struct BF16Weights {
  using Element = uint16_t;
  template <class DF>
  static HWY_INLINE hn::Vec<DF> load(DF df, const uint16_t* p) {
    return load_bf16(df, p);
  }
  static float scalar(uint16_t value) { return bf16_to_f32(value); }
};

template <int kTokens, class Weights>
void rows_float(const MatmulTile& tile, int64_t token0) {
  using Element = typename Weights::Element;
  const hn::ScalableTag<float> df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  const float* x[kTokens];
  for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
    x[token_idx] = reinterpret_cast<const float*>(tile.act + (token0 + token_idx) * tile.act_row_bytes);
  }
  for (int64_t row_idx = 0; row_idx < tile.n_rows; ++row_idx) {
    const Element* w = reinterpret_cast<const Element*>(tile.w + row_idx * tile.w_row_bytes);
    // Two accumulator sets so consecutive vectors do not wait on each other's FMA.
    hn::Vec<decltype(df)> acc_even[kTokens], acc_odd[kTokens];
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      acc_even[token_idx] = hn::Zero(df);
      acc_odd[token_idx] = hn::Zero(df);
    }
    int64_t col = 0;
    for (; col + 2 * lanes <= tile.n_cols; col += 2 * lanes) {
      prefetch_weights(w + col, static_cast<size_t>(2 * lanes) * sizeof(Element));
      const auto w_even = Weights::load(df, w + col);
      const auto w_odd = Weights::load(df, w + col + lanes);
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
        acc_even[token_idx] = hn::MulAdd(w_even, hn::LoadU(df, x[token_idx] + col), acc_even[token_idx]);
        acc_odd[token_idx] = hn::MulAdd(w_odd, hn::LoadU(df, x[token_idx] + col + lanes), acc_odd[token_idx]);
      }
    }
    for (; col + lanes <= tile.n_cols; col += lanes) {
      const auto w_vec = Weights::load(df, w + col);
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
        acc_even[token_idx] = hn::MulAdd(w_vec, hn::LoadU(df, x[token_idx] + col), acc_even[token_idx]);
      }
    }
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      float sum = hn::GetLane(hn::SumOfLanes(df, hn::Add(acc_even[token_idx], acc_odd[token_idx])));
      for (int64_t tail = col; tail < tile.n_cols; ++tail) sum += Weights::scalar(w[tail]) * x[token_idx][tail];
      tile.y[(token0 + token_idx) * tile.y_stride + row_idx] = sum;
    }
  }
}

}  // namespace hearth::tensor::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // HEARTH_TENSOR_MATMUL_FLOAT_INL_H_
