// matmul kernels of the 32-value block types (Q4_0, Q8_0 weights) against
// ActBlockQ8_0 activations: per block, an integer dot product scaled by
// d_weight * d_activation and accumulated in float.
//
// Included once per target by matmul_kernels.cpp (after matmul_simd-inl.h).
#if defined(HEARTH_TENSOR_MATMUL_Q8_0_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef HEARTH_TENSOR_MATMUL_Q8_0_INL_H_
#undef HEARTH_TENSOR_MATMUL_Q8_0_INL_H_
#else
#define HEARTH_TENSOR_MATMUL_Q8_0_INL_H_
#endif

#include "hwy/highway.h"
#include "tensor/activation_quant.h"
#include "tensor/fp16.h"
#include "tensor/matmul_kernels.h"
#include "tensor/matmul_simd-inl.h"
#include "tensor/quant_blocks.h"

HWY_BEFORE_NAMESPACE();
namespace hearth::tensor::HWY_NAMESPACE {

#if HEARTH_MATMUL_AVX2

// The 32 weights of a block as signed bytes, in element order.
HWY_INLINE __m256i load_block_weights(const BlockQ4_0& block) {
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block.qs));
  const __m256i nibbles = _mm256_set_m128i(_mm_srli_epi16(packed, 4), packed);  // elements 16..31 in the upper half
  return _mm256_sub_epi8(_mm256_and_si256(nibbles, _mm256_set1_epi8(0x0F)), _mm256_set1_epi8(8));
}

HWY_INLINE __m256i load_block_weights(const BlockQ8_0& block) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qs));
}

template <int kTokens, class Block>
HWY_INLINE void accumulate_q8_0_block(const Block& block, const ActBlockQ8_0* const* act, int64_t block_idx,
                                      __m256* acc) {
  const __m256i w = load_block_weights(block);
  const __m256i abs_w = _mm256_sign_epi8(w, w);
  const float d_w = _cvtsh_ss(block.d);
  for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
    const ActBlockQ8_0& a = act[token_idx][block_idx];
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs));
    acc[token_idx] =
        _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot_s8_avx2(w, abs_w, x)), _mm256_set1_ps(d_w * a.d), acc[token_idx]);
  }
}

template <int kTokens, class Block>
void rows_q8_0_family(const MatmulTile& tile, int64_t token0) {
  const int64_t n_blocks = tile.n_cols / kQ8_0BlockElems;
  const ActBlockQ8_0* act[kTokens];
  for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
    act[token_idx] = reinterpret_cast<const ActBlockQ8_0*>(tile.act + (token0 + token_idx) * tile.act_row_bytes);
  }
  for (int64_t row_idx = 0; row_idx < tile.n_rows; ++row_idx) {
    const Block* w = reinterpret_cast<const Block*>(tile.w + row_idx * tile.w_row_bytes);
    // Two accumulator sets: consecutive blocks do not wait on each other's FMA.
    __m256 acc_even[kTokens], acc_odd[kTokens];
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      acc_even[token_idx] = _mm256_setzero_ps();
      acc_odd[token_idx] = _mm256_setzero_ps();
    }
    int64_t block_idx = 0;
    for (; block_idx + 1 < n_blocks; block_idx += 2) {
      accumulate_q8_0_block<kTokens>(w[block_idx], act, block_idx, acc_even);
      accumulate_q8_0_block<kTokens>(w[block_idx + 1], act, block_idx + 1, acc_odd);
    }
    if (block_idx < n_blocks) accumulate_q8_0_block<kTokens>(w[block_idx], act, block_idx, acc_even);
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      tile.y[(token0 + token_idx) * tile.y_stride + row_idx] =
          hsum_avx2(_mm256_add_ps(acc_even[token_idx], acc_odd[token_idx]));
    }
  }
}

#else  // Highway 128-bit

HWY_INLINE void load_block_weights(const BlockQ4_0& block, hn::Vec<D8>& low, hn::Vec<D8>& high) {
  const DU8 du8;
  const auto packed = hn::LoadU(du8, block.qs);
  const auto eight = hn::Set(du8, 8);
  low = hn::BitCast(D8(), hn::Sub(hn::And(packed, hn::Set(du8, 0x0F)), eight));  // wraps to the signed value
  high = hn::BitCast(D8(), hn::Sub(hn::ShiftRight<4>(packed), eight));
}

HWY_INLINE void load_block_weights(const BlockQ8_0& block, hn::Vec<D8>& low, hn::Vec<D8>& high) {
  low = hn::LoadU(D8(), block.qs);
  high = hn::LoadU(D8(), block.qs + 16);
}

template <int kTokens, class Block>
void rows_q8_0_family(const MatmulTile& tile, int64_t token0) {
  const DF32 df;
  const D32 d32;
  const int64_t n_blocks = tile.n_cols / kQ8_0BlockElems;
  const ActBlockQ8_0* act[kTokens];
  for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
    act[token_idx] = reinterpret_cast<const ActBlockQ8_0*>(tile.act + (token0 + token_idx) * tile.act_row_bytes);
  }
  for (int64_t row_idx = 0; row_idx < tile.n_rows; ++row_idx) {
    const Block* w = reinterpret_cast<const Block*>(tile.w + row_idx * tile.w_row_bytes);
    hn::Vec<DF32> acc[kTokens];
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) acc[token_idx] = hn::Zero(df);
    for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
      hn::Vec<D8> low, high;
      load_block_weights(w[block_idx], low, high);
      const float d_w = f16_to_f32(w[block_idx].d);
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
        const ActBlockQ8_0& a = act[token_idx][block_idx];
        auto sum = dot_s8x16(low, hn::LoadU(D8(), a.qs), hn::Zero(d32));
        sum = dot_s8x16(high, hn::LoadU(D8(), a.qs + 16), sum);
        acc[token_idx] = hn::MulAdd(hn::ConvertTo(df, sum), hn::Set(df, d_w * a.d), acc[token_idx]);
      }
    }
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      tile.y[(token0 + token_idx) * tile.y_stride + row_idx] = hn::GetLane(hn::SumOfLanes(df, acc[token_idx]));
    }
  }
}

#endif  // HEARTH_MATMUL_AVX2

}  // namespace hearth::tensor::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // HEARTH_TENSOR_MATMUL_Q8_0_INL_H_
