// 8-bit quantization of matmul activations (see activation_quant.h), one
// Highway implementation for every target plus the scalar reference.
#include "tensor/activation_quant.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tensor/activation_quant.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace hearth::tensor::HWY_NAMESPACE {
namespace {

namespace hn = hwy::HWY_NAMESPACE;

// Quantizes n_elems values (a multiple of the vector length) with one scale;
// returns the float scale d = max|x| / 127.
HWY_INLINE float quantize_block(const float* HWY_RESTRICT x, int8_t* HWY_RESTRICT qs, int64_t n_elems) {
  const hn::ScalableTag<float> df;
  const hn::RebindToSigned<decltype(df)> di32;
  const hn::Rebind<int8_t, decltype(df)> di8;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  auto amax = hn::Zero(df);
  for (int64_t idx = 0; idx < n_elems; idx += lanes) amax = hn::Max(amax, hn::Abs(hn::LoadU(df, x + idx)));
  const float d = hn::GetLane(hn::MaxOfLanes(df, amax)) / 127.0f;
  const float inv_d = d != 0.0f ? 1.0f / d : 0.0f;
  const auto inv_d_vec = hn::Set(df, inv_d);
  const auto q_max = hn::Set(di32, 127);
  const auto q_min = hn::Set(di32, -127);
  for (int64_t idx = 0; idx < n_elems; idx += lanes) {
    const auto q = hn::NearestInt(hn::Mul(hn::LoadU(df, x + idx), inv_d_vec));
    hn::StoreU(hn::DemoteTo(di8, hn::Min(hn::Max(q, q_min), q_max)), di8, qs + idx);
  }
  return d;
}

void quantize_q8_0_impl(const float* x, ActBlockQ8_0* dst, int64_t n) {
  for (int64_t block_idx = 0; block_idx < n / kQ8_0BlockElems; ++block_idx) {
    dst[block_idx].d = quantize_block(x + block_idx * kQ8_0BlockElems, dst[block_idx].qs, kQ8_0BlockElems);
  }
}

void quantize_q8_1_impl(const float* x, ActBlockQ8_1* dst, int64_t n) {
  for (int64_t block_idx = 0; block_idx < n / kQ8_0BlockElems; ++block_idx) {
    ActBlockQ8_1& block = dst[block_idx];
    block.d = quantize_block(x + block_idx * kQ8_0BlockElems, block.qs, kQ8_0BlockElems);
    int sum = 0;
    for (int elem_idx = 0; elem_idx < kQ8_0BlockElems; ++elem_idx) sum += block.qs[elem_idx];
    block.d_sum = block.d * static_cast<float>(sum);
  }
}

void quantize_q8_0_sum_impl(const float* x, ActBlockQ8_0Sum* dst, int64_t n) {
  for (int64_t block_idx = 0; block_idx < n / kQ8_0BlockElems; ++block_idx) {
    ActBlockQ8_0Sum& block = dst[block_idx];
    block.d = quantize_block(x + block_idx * kQ8_0BlockElems, block.qs, kQ8_0BlockElems);
    int32_t sum = 0;
    for (int elem_idx = 0; elem_idx < kQ8_0BlockElems; ++elem_idx) sum += block.qs[elem_idx];
    block.sum = sum;
  }
}

void quantize_q8_0_pairs_impl(const float* x, ActPairQ8_0* dst, int64_t n) {
  const int64_t n_blocks = n / kQ8_0BlockElems;
  HWY_ALIGN int8_t qs[kQ8_0BlockElems];
  for (int64_t block_idx = 0; block_idx < 2 * act_pairs_q8_0(n); ++block_idx) {
    ActPairQ8_0& pair = dst[block_idx / 2];
    const int64_t slot = block_idx % 2;
    float d = 0.0f;
    if (block_idx < n_blocks) {
      d = quantize_block(x + block_idx * kQ8_0BlockElems, qs, kQ8_0BlockElems);
    } else {
      std::fill(qs, qs + kQ8_0BlockElems, int8_t{0});
    }
    int sum = 0;
    for (int elem_idx = 0; elem_idx < kQ8_0BlockElems; ++elem_idx) sum += qs[elem_idx];
    pair.d[slot] = d;
    pair.d_sum8[slot] = d * static_cast<float>(8 * sum);
    std::copy(qs, qs + 16, pair.qs_low + 16 * slot);
    std::copy(qs + 16, qs + 32, pair.qs_high + 16 * slot);
    std::fill(pair.d_spread + 4 * slot, pair.d_spread + 4 * slot + 4, d);
    for (int lane_idx = 8 * static_cast<int>(slot); lane_idx < 8 * slot + 8; ++lane_idx) {
      pair.sum8[lane_idx] = static_cast<int16_t>(8 * (pair.qs_low[2 * lane_idx] + pair.qs_low[2 * lane_idx + 1] +
                                                      pair.qs_high[2 * lane_idx] + pair.qs_high[2 * lane_idx + 1]));
    }
  }
}

void quantize_q8_k_impl(const float* x, BlockQ8_K* dst, int64_t n) {
  for (int64_t block_idx = 0; block_idx < n / kQKBlockElems; ++block_idx) {
    BlockQ8_K& block = dst[block_idx];
    block.d = quantize_block(x + block_idx * kQKBlockElems, block.qs, kQKBlockElems);
    for (int group_idx = 0; group_idx < kQKBlockElems / 16; ++group_idx) {
      int sum = 0;
      for (int elem_idx = 16 * group_idx; elem_idx < 16 * group_idx + 16; ++elem_idx) sum += block.qs[elem_idx];
      block.bsums[group_idx] = static_cast<int16_t>(sum);
    }
  }
}

}  // namespace
}  // namespace hearth::tensor::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace hearth::tensor {

HWY_EXPORT(quantize_q8_0_impl);
HWY_EXPORT(quantize_q8_k_impl);
HWY_EXPORT(quantize_q8_0_pairs_impl);
HWY_EXPORT(quantize_q8_1_impl);
HWY_EXPORT(quantize_q8_0_sum_impl);

void quantize_activations_q8_0_sum(const float* x, ActBlockQ8_0Sum* dst, int64_t n) {
  assert(n % kQ8_0BlockElems == 0);
  HWY_DYNAMIC_DISPATCH(quantize_q8_0_sum_impl)(x, dst, n);
}

void quantize_activations_q8_0_sum_ref(const float* x, ActBlockQ8_0Sum* dst, int64_t n) {
  assert(n % kQ8_0BlockElems == 0);
  for (int64_t block_idx = 0; block_idx < n / kQ8_0BlockElems; ++block_idx) {
    ActBlockQ8_0 block;
    quantize_activations_q8_0_ref(x + block_idx * kQ8_0BlockElems, &block, kQ8_0BlockElems);
    int32_t sum = 0;
    for (int elem_idx = 0; elem_idx < kQ8_0BlockElems; ++elem_idx) {
      dst[block_idx].qs[elem_idx] = block.qs[elem_idx];
      sum += block.qs[elem_idx];
    }
    dst[block_idx].d = block.d;
    dst[block_idx].sum = sum;
  }
}

void quantize_activations_q8_1(const float* x, ActBlockQ8_1* dst, int64_t n) {
  assert(n % kQ8_0BlockElems == 0);
  HWY_DYNAMIC_DISPATCH(quantize_q8_1_impl)(x, dst, n);
}

void quantize_activations_q8_1_ref(const float* x, ActBlockQ8_1* dst, int64_t n) {
  assert(n % kQ8_0BlockElems == 0);
  for (int64_t block_idx = 0; block_idx < n / kQ8_0BlockElems; ++block_idx) {
    ActBlockQ8_0 block;
    quantize_activations_q8_0_ref(x + block_idx * kQ8_0BlockElems, &block, kQ8_0BlockElems);
    int sum = 0;
    for (int elem_idx = 0; elem_idx < kQ8_0BlockElems; ++elem_idx) {
      dst[block_idx].qs[elem_idx] = block.qs[elem_idx];
      sum += block.qs[elem_idx];
    }
    dst[block_idx].d = block.d;
    dst[block_idx].d_sum = block.d * static_cast<float>(sum);
  }
}

void quantize_activations_q8_0_pairs(const float* x, ActPairQ8_0* dst, int64_t n) {
  assert(n % kQ8_0BlockElems == 0);
  HWY_DYNAMIC_DISPATCH(quantize_q8_0_pairs_impl)(x, dst, n);
}

void quantize_activations_q8_0_pairs_ref(const float* x, ActPairQ8_0* dst, int64_t n) {
  assert(n % kQ8_0BlockElems == 0);
  const int64_t n_blocks = n / kQ8_0BlockElems;
  for (int64_t block_idx = 0; block_idx < 2 * act_pairs_q8_0(n); ++block_idx) {
    ActBlockQ8_0 block{};
    if (block_idx < n_blocks) quantize_activations_q8_0_ref(x + block_idx * kQ8_0BlockElems, &block, kQ8_0BlockElems);
    ActPairQ8_0& pair = dst[block_idx / 2];
    const int64_t slot = block_idx % 2;
    int sum = 0;
    for (int elem_idx = 0; elem_idx < kQ8_0BlockElems; ++elem_idx) sum += block.qs[elem_idx];
    pair.d[slot] = block.d;
    pair.d_sum8[slot] = block.d * static_cast<float>(8 * sum);
    for (int elem_idx = 0; elem_idx < 16; ++elem_idx) {
      pair.qs_low[16 * slot + elem_idx] = block.qs[elem_idx];
      pair.qs_high[16 * slot + elem_idx] = block.qs[16 + elem_idx];
    }
    for (int lane_idx = 0; lane_idx < 8; ++lane_idx) {
      // Lane lane_idx of this block covers its values 2l, 2l+1, 16+2l, 16+2l+1.
      const int first = 2 * lane_idx;
      pair.sum8[8 * slot + lane_idx] = static_cast<int16_t>(
          8 * (block.qs[first] + block.qs[first + 1] + block.qs[16 + first] + block.qs[16 + first + 1]));
      if (lane_idx < 4) pair.d_spread[4 * slot + lane_idx] = block.d;
    }
  }
}

void quantize_activations_q8_0(const float* x, ActBlockQ8_0* dst, int64_t n) {
  assert(n % kQ8_0BlockElems == 0);
  HWY_DYNAMIC_DISPATCH(quantize_q8_0_impl)(x, dst, n);
}

void quantize_activations_q8_k(const float* x, BlockQ8_K* dst, int64_t n) {
  assert(n % kQKBlockElems == 0);
  HWY_DYNAMIC_DISPATCH(quantize_q8_k_impl)(x, dst, n);
}

void quantize_activations_q8_0_ref(const float* x, ActBlockQ8_0* dst, int64_t n) {
  assert(n % kQ8_0BlockElems == 0);
  for (int64_t block_idx = 0; block_idx < n / kQ8_0BlockElems; ++block_idx) {
    const float* in = x + block_idx * kQ8_0BlockElems;
    float amax = 0.0f;
    for (int elem_idx = 0; elem_idx < kQ8_0BlockElems; ++elem_idx) amax = std::max(amax, std::fabs(in[elem_idx]));
    const float d = amax / 127.0f;
    const float inv_d = d != 0.0f ? 1.0f / d : 0.0f;
    dst[block_idx].d = d;
    for (int elem_idx = 0; elem_idx < kQ8_0BlockElems; ++elem_idx) {
      const float scaled = in[elem_idx] * inv_d;
      // |scaled| <= 127 up to rounding for finite input; NaN input quantizes to 0.
      const float rounded = std::isnan(scaled) ? 0.0f : std::nearbyint(std::clamp(scaled, -127.0f, 127.0f));
      dst[block_idx].qs[elem_idx] = static_cast<int8_t>(rounded);
    }
  }
}

}  // namespace hearth::tensor
#endif  // HWY_ONCE
