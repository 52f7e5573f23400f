// matmul kernels of the 32-value block types: Q8_0 weights against
// ActBlockQ8_0 activations, Q4_0 weights against ActPairQ8_0 activations. Per
// block, an integer dot product scaled by d_weight * d_activation and
// accumulated in float. Q4_0 works on pairs of blocks: one 32-byte register
// holds the nibbles of two blocks, the unsigned nibbles q are multiplied
// directly and the -8 offset is subtracted as 8 * sum x: in the 16-bit
// partial sums on AVX2 (ActPairQ8_0::sum8), once per block as
// d_weight * (8 * d_activation * sum x) (ActPairQ8_0::d_sum8) elsewhere.
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

template <int kTokens>
HWY_INLINE void accumulate_q8_0_block(const BlockQ8_0& block, const ActBlockQ8_0* const* act, int64_t block_idx,
                                      __m256* acc) {
  const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qs));
  const __m256i abs_w = _mm256_sign_epi8(w, w);
  // The product d_w * a.d in all lanes by a vector multiply of broadcasts (the same
  // float as the scalar product): a broadcast from memory costs no ALU slot.
  const __m256 d_w = _mm256_set1_ps(_cvtsh_ss(block.d));
  for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
    const ActBlockQ8_0& a = act[token_idx][block_idx];
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs));
    acc[token_idx] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot_s8_avx2(w, abs_w, x)),
                                     _mm256_mul_ps(d_w, _mm256_broadcast_ss(&a.d)), acc[token_idx]);
  }
}

template <int kTokens>
void rows_q8_0(const MatmulTile& tile, int64_t token0) {
  const int64_t n_blocks = tile.n_cols / kQ8_0BlockElems;
  const ActBlockQ8_0* act[kTokens];
  for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
    act[token_idx] = reinterpret_cast<const ActBlockQ8_0*>(tile.act + (token0 + token_idx) * tile.act_row_bytes);
  }
  for (int64_t row_idx = 0; row_idx < tile.n_rows; ++row_idx) {
    const BlockQ8_0* w = reinterpret_cast<const BlockQ8_0*>(tile.w + row_idx * tile.w_row_bytes);
    // Two accumulator sets: consecutive blocks do not wait on each other's FMA.
    __m256 acc_even[kTokens], acc_odd[kTokens];
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      acc_even[token_idx] = _mm256_setzero_ps();
      acc_odd[token_idx] = _mm256_setzero_ps();
    }
    int64_t block_idx = 0;
    for (; block_idx + 1 < n_blocks; block_idx += 2) {
      prefetch_weights(w + block_idx, 2 * sizeof(BlockQ8_0));
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

// nibbles: weight block 2p in the lower 16 bytes, 2p+1 in the upper (zero when
// absent); d_w: their scales in lanes 0 and 1 (0 when absent).
template <int kTokens>
HWY_INLINE void accumulate_q4_0_pair(__m256i nibbles, __m128 d_w, const ActPairQ8_0* const* act, int64_t pair_idx,
                                     __m256* acc) {
  const __m256i low_mask = _mm256_set1_epi8(0x0F);
  const __m256i low = _mm256_and_si256(nibbles, low_mask);
  const __m256i high = _mm256_and_si256(_mm256_srli_epi16(nibbles, 4), low_mask);
  const __m256 d_w_spread =
      _mm256_permutevar8x32_ps(_mm256_castps128_ps256(d_w), _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1));
  for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
    const ActPairQ8_0& a = act[token_idx][pair_idx];
    // |each maddubs lane| <= 2 * 15 * 127, so their sum fits int16, and so
    // does the sum minus sum8 (|sum8| <= 8 * 4 * 128): each lane is sum (q - 8) x.
    const __m256i products = _mm256_sub_epi16(
        _mm256_add_epi16(_mm256_maddubs_epi16(low, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs_low))),
                         _mm256_maddubs_epi16(high, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs_high)))),
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.sum8)));
    const __m256i sums = _mm256_madd_epi16(products, _mm256_set1_epi16(1));  // lanes 0-3: block 2p, 4-7: 2p+1
    const __m256 scale = _mm256_mul_ps(d_w_spread, _mm256_loadu_ps(a.d_spread));
    acc[token_idx] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), scale, acc[token_idx]);
  }
}

template <int kTokens>
void rows_q4_0(const MatmulTile& tile, int64_t token0) {
  const int64_t n_blocks = tile.n_cols / kQ4_0BlockElems;
  const ActPairQ8_0* act[kTokens];
  for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
    act[token_idx] = reinterpret_cast<const ActPairQ8_0*>(tile.act + (token0 + token_idx) * tile.act_row_bytes);
  }
  for (int64_t row_idx = 0; row_idx < tile.n_rows; ++row_idx) {
    const BlockQ4_0* w = reinterpret_cast<const BlockQ4_0*>(tile.w + row_idx * tile.w_row_bytes);
    __m256 acc[kTokens];
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) acc[token_idx] = _mm256_setzero_ps();
    int64_t pair_idx = 0;
    for (; 2 * pair_idx + 1 < n_blocks; ++pair_idx) {
      const BlockQ4_0& first = w[2 * pair_idx];
      const BlockQ4_0& second = w[2 * pair_idx + 1];
      prefetch_weights(&first, 2 * sizeof(BlockQ4_0));
      const __m256i nibbles =
          _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(first.qs))),
                                  _mm_loadu_si128(reinterpret_cast<const __m128i*>(second.qs)), 1);
      const __m128 d_w = _mm_cvtph_ps(_mm_insert_epi16(_mm_cvtsi32_si128(first.d), second.d, 1));
      accumulate_q4_0_pair<kTokens>(nibbles, d_w, act, pair_idx, acc);
    }
    if (2 * pair_idx < n_blocks) {  // odd block count: the last block alone
      const BlockQ4_0& last = w[2 * pair_idx];
      const __m256i nibbles = _mm256_zextsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(last.qs)));
      const __m128 d_w = _mm_cvtph_ps(_mm_cvtsi32_si128(last.d));
      accumulate_q4_0_pair<kTokens>(nibbles, d_w, act, pair_idx, acc);
    }
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      tile.y[(token0 + token_idx) * tile.y_stride + row_idx] = hsum_avx2(acc[token_idx]);
    }
  }
}

#else  // Highway 128-bit

template <int kTokens>
void rows_q8_0(const MatmulTile& tile, int64_t token0) {
  const DF32 df;
  const D32 d32;
  const int64_t n_blocks = tile.n_cols / kQ8_0BlockElems;
  const ActBlockQ8_0* act[kTokens];
  for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
    act[token_idx] = reinterpret_cast<const ActBlockQ8_0*>(tile.act + (token0 + token_idx) * tile.act_row_bytes);
  }
  for (int64_t row_idx = 0; row_idx < tile.n_rows; ++row_idx) {
    const BlockQ8_0* w = reinterpret_cast<const BlockQ8_0*>(tile.w + row_idx * tile.w_row_bytes);
    hn::Vec<DF32> acc[kTokens];
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) acc[token_idx] = hn::Zero(df);
    for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
      prefetch_weights(w + block_idx, sizeof(BlockQ8_0));
      const auto low = hn::LoadU(D8(), w[block_idx].qs);
      const auto high = hn::LoadU(D8(), w[block_idx].qs + 16);
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

template <int kTokens>
void rows_q4_0(const MatmulTile& tile, int64_t token0) {
  const DF32 df;
  const D32 d32;
  const DU8 du8;
  const auto low_mask = hn::Set(du8, 0x0F);
  const int64_t n_blocks = tile.n_cols / kQ4_0BlockElems;
  const ActPairQ8_0* act[kTokens];
  for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
    act[token_idx] = reinterpret_cast<const ActPairQ8_0*>(tile.act + (token0 + token_idx) * tile.act_row_bytes);
  }
  for (int64_t row_idx = 0; row_idx < tile.n_rows; ++row_idx) {
    const BlockQ4_0* w = reinterpret_cast<const BlockQ4_0*>(tile.w + row_idx * tile.w_row_bytes);
    hn::Vec<DF32> acc[kTokens];
    float offset[kTokens] = {};
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) acc[token_idx] = hn::Zero(df);
    for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
      prefetch_weights(w + block_idx, sizeof(BlockQ4_0));
      const int64_t pair_idx = block_idx / 2;
      const int slot = static_cast<int>(block_idx % 2);
      const auto packed = hn::LoadU(du8, w[block_idx].qs);
      const auto low = hn::And(packed, low_mask);  // unsigned nibbles; -8 via d_sum8
      const auto high = hn::ShiftRight<4>(packed);
      const float d_w = f16_to_f32(w[block_idx].d);
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
        const ActPairQ8_0& a = act[token_idx][pair_idx];
        auto sum = dot_u7x16(low, a.qs_low + 16 * slot, hn::Zero(d32));
        sum = dot_u7x16(high, a.qs_high + 16 * slot, sum);
        acc[token_idx] = hn::MulAdd(hn::ConvertTo(df, sum), hn::Set(df, d_w * a.d[slot]), acc[token_idx]);
        offset[token_idx] += d_w * a.d_sum8[slot];
      }
    }
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      tile.y[(token0 + token_idx) * tile.y_stride + row_idx] =
          hn::GetLane(hn::SumOfLanes(df, acc[token_idx])) - offset[token_idx];
    }
  }
}

#endif  // HEARTH_MATMUL_AVX2

}  // namespace hearth::tensor::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // HEARTH_TENSOR_MATMUL_Q8_0_INL_H_
