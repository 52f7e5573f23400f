// matmul kernels of the low-bit 256-value types against BlockQ8_K activations:
// IQ4_XS (eight sub-blocks of 32, signed 6-bit scales, kIQ4Levels), Q3_K
// (sixteen sub-blocks of 16, signed 6-bit scales, 3-bit quants) and Q2_K
// (sixteen sub-blocks of 16, 4-bit scales and mins, 2-bit quants). As in
// matmul_k_quants-inl.h, integer sums of quant * activation are weighted by
// the integer sub-block scales; the constant parts (Q3_K's -4 offset, Q2_K's
// mins) come from the activations' 16-value sums (bsums), so the quants are
// used unsigned.
//
// Included once per target by matmul_kernels.cpp (after matmul_simd-inl.h and
// matmul_block32-inl.h).
#if defined(HEARTH_TENSOR_MATMUL_LOW_BIT_K_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef HEARTH_TENSOR_MATMUL_LOW_BIT_K_INL_H_
#undef HEARTH_TENSOR_MATMUL_LOW_BIT_K_INL_H_
#else
#define HEARTH_TENSOR_MATMUL_LOW_BIT_K_INL_H_
#endif

#include "hwy/highway.h"
#include "tensor/block32_unpack-inl.h"
#include "tensor/fp16.h"
#include "tensor/low_bit_k_unpack-inl.h"
#include "tensor/matmul_block32-inl.h"
#include "tensor/matmul_k_quants-inl.h"
#include "tensor/matmul_kernels.h"
#include "tensor/matmul_simd-inl.h"
#include "tensor/quant_blocks.h"

HWY_BEFORE_NAMESPACE();
namespace hearth::tensor::HWY_NAMESPACE {

#if HEARTH_MATMUL_AVX2

template <int kTokens>
void rows_iq4_xs(const MatmulTile& tile, int64_t token0) {
  const int64_t n_blocks = tile.n_cols / kQKBlockElems;
  const BlockQ8_K* act[kTokens];
  bind_q8_k_rows<kTokens>(tile, token0, act);
  for (int64_t row_idx = 0; row_idx < tile.n_rows; ++row_idx) {
    const BlockIQ4_XS* w = reinterpret_cast<const BlockIQ4_XS*>(tile.w + row_idx * tile.w_row_bytes);
    __m256 acc[kTokens];
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) acc[token_idx] = _mm256_setzero_ps();
    for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
      const BlockIQ4_XS& block = w[block_idx];
      prefetch_weights(&block, sizeof(BlockIQ4_XS));
      __m256i sums[kTokens];
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) sums[token_idx] = _mm256_setzero_si256();
      for (int sub_idx = 0; sub_idx < 8; ++sub_idx) {
        const __m256i q = iq4_levels_avx2(block.qs + 16 * sub_idx);
        const __m256i abs_q = _mm256_sign_epi8(q, q);
        const __m256i scale = _mm256_set1_epi16(static_cast<int16_t>(iq4_xs_scale(block, sub_idx)));
        for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
          const __m256i x =
              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(act[token_idx][block_idx].qs + 32 * sub_idx));
          // |pair| <= 2 * 127 * 127 fits int16; times |scale| <= 32, summed over 8 sub-blocks, fits int32.
          sums[token_idx] = _mm256_add_epi32(
              sums[token_idx], _mm256_madd_epi16(_mm256_maddubs_epi16(abs_q, _mm256_sign_epi8(x, q)), scale));
          keep_in_register(sums[token_idx]);
        }
      }
      const __m256 d = _mm256_set1_ps(_cvtsh_ss(block.d));
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
        acc[token_idx] =
            _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums[token_idx]),
                            _mm256_mul_ps(d, _mm256_broadcast_ss(&act[token_idx][block_idx].d)), acc[token_idx]);
      }
    }
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      tile.y[(token0 + token_idx) * tile.y_stride + row_idx] = hsum_avx2(acc[token_idx]);
    }
  }
}

// Shared by Q3_K and Q2_K: 32 unsigned quants of value group j (l = 0..31) of
// half h, scaled by sub-block 8h+2j (lower 16 lanes) and 8h+2j+1 (upper), summed
// into int32 lanes per token. `half_scales` holds half h's eight int16 scales in
// both 128-bit lanes; `scale_pick` is make_pair_scale_picks' entry for group j.
template <int kTokens>
HWY_INLINE void accumulate_16_scaled(__m256i quants, __m256i half_scales, __m256i scale_pick,
                                     const BlockQ8_K* const* act, int64_t block_idx, int x_offset, __m256i* sums) {
  const __m256i scale = _mm256_shuffle_epi8(half_scales, scale_pick);
  for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(act[token_idx][block_idx].qs + x_offset));
    sums[token_idx] = _mm256_add_epi32(sums[token_idx], dot_u6_s8_scaled_avx2(quants, x, scale));
    keep_in_register(sums[token_idx]);
  }
}

template <int kTokens>
void rows_q3_k(const MatmulTile& tile, int64_t token0) {
  const int64_t n_blocks = tile.n_cols / kQKBlockElems;
  const BlockQ8_K* act[kTokens];
  bind_q8_k_rows<kTokens>(tile, token0, act);
  const __m256i low2 = _mm256_set1_epi8(0x03);
  const __m256i one = _mm256_set1_epi8(0x01);
  __m256i scale_pick[4];
  make_pair_scale_picks(scale_pick);
  for (int64_t row_idx = 0; row_idx < tile.n_rows; ++row_idx) {
    const BlockQ3_K* w = reinterpret_cast<const BlockQ3_K*>(tile.w + row_idx * tile.w_row_bytes);
    __m256 acc[kTokens];
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) acc[token_idx] = _mm256_setzero_ps();
    for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
      const BlockQ3_K& block = w[block_idx];
      prefetch_weights(&block, sizeof(BlockQ3_K));
      int8_t scales[16];
      unpack_q3_k_scales(block.scales, scales);
      const __m256i scales16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(scales)));
      const __m256i half_scales[2] = {_mm256_permute2x128_si256(scales16, scales16, 0x00),
                                      _mm256_permute2x128_si256(scales16, scales16, 0x11)};
      const __m256i high_mask = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.hmask));
      __m256i sums[kTokens];
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) sums[token_idx] = _mm256_setzero_si256();
      for (int half_idx = 0; half_idx < 2; ++half_idx) {
        const __m256i packed = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qs + 32 * half_idx));
        for (int group_idx = 0; group_idx < 4; ++group_idx) {
          // quant + 4 in [0, 7]: the 2 low bits, and 4 where bit 4h+j of hmask[l] is set.
          // 16-bit shifts are safe: each byte is masked to the bit it owns afterwards.
          const __m256i low = _mm256_and_si256(_mm256_srl_epi16(packed, _mm_cvtsi32_si128(2 * group_idx)), low2);
          const __m256i high = _mm256_slli_epi16(
              _mm256_and_si256(_mm256_srl_epi16(high_mask, _mm_cvtsi32_si128(4 * half_idx + group_idx)), one), 2);
          accumulate_16_scaled<kTokens>(_mm256_or_si256(low, high), half_scales[half_idx], scale_pick[group_idx], act,
                                        block_idx, 128 * half_idx + 32 * group_idx, sums);
        }
      }
      const __m256 d = _mm256_set1_ps(_cvtsh_ss(block.d));
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
        const BlockQ8_K& a = act[token_idx][block_idx];
        // sum_s scale_s * (sum of x over sub-block s), times the offset 4.
        const __m256i offset =
            _mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.bsums)), scales16);
        const __m256i total = _mm256_sub_epi32(sums[token_idx], _mm256_slli_epi32(offset, 2));
        acc[token_idx] =
            _mm256_fmadd_ps(_mm256_cvtepi32_ps(total), _mm256_mul_ps(d, _mm256_broadcast_ss(&a.d)), acc[token_idx]);
      }
    }
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      tile.y[(token0 + token_idx) * tile.y_stride + row_idx] = hsum_avx2(acc[token_idx]);
    }
  }
}

template <int kTokens>
void rows_q2_k(const MatmulTile& tile, int64_t token0) {
  const int64_t n_blocks = tile.n_cols / kQKBlockElems;
  const BlockQ8_K* act[kTokens];
  bind_q8_k_rows<kTokens>(tile, token0, act);
  const __m256i low2 = _mm256_set1_epi8(0x03);
  const __m128i low4 = _mm_set1_epi8(0x0F);
  __m256i scale_pick[4];
  make_pair_scale_picks(scale_pick);
  for (int64_t row_idx = 0; row_idx < tile.n_rows; ++row_idx) {
    const BlockQ2_K* w = reinterpret_cast<const BlockQ2_K*>(tile.w + row_idx * tile.w_row_bytes);
    __m256 acc[kTokens];
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) acc[token_idx] = _mm256_setzero_ps();
    for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
      const BlockQ2_K& block = w[block_idx];
      prefetch_weights(&block, sizeof(BlockQ2_K));
      const __m128i packed_scales = _mm_loadu_si128(reinterpret_cast<const __m128i*>(block.scales));
      const __m256i scales16 = _mm256_cvtepu8_epi16(_mm_and_si128(packed_scales, low4));
      const __m256i mins16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed_scales, 4), low4));
      const __m256i half_scales[2] = {_mm256_permute2x128_si256(scales16, scales16, 0x00),
                                      _mm256_permute2x128_si256(scales16, scales16, 0x11)};
      __m256i sums[kTokens];
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) sums[token_idx] = _mm256_setzero_si256();
      for (int half_idx = 0; half_idx < 2; ++half_idx) {
        const __m256i packed = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qs + 32 * half_idx));
        for (int group_idx = 0; group_idx < 4; ++group_idx) {
          const __m256i quants = _mm256_and_si256(_mm256_srl_epi16(packed, _mm_cvtsi32_si128(2 * group_idx)), low2);
          accumulate_16_scaled<kTokens>(quants, half_scales[half_idx], scale_pick[group_idx], act, block_idx,
                                        128 * half_idx + 32 * group_idx, sums);
        }
      }
      const __m256 d = _mm256_set1_ps(_cvtsh_ss(block.d));
      const __m256 neg_dmin = _mm256_set1_ps(-_cvtsh_ss(block.dmin));
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
        const BlockQ8_K& a = act[token_idx][block_idx];
        const __m256i min_dot =
            _mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.bsums)), mins16);
        const __m256 d_a = _mm256_broadcast_ss(&a.d);
        acc[token_idx] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums[token_idx]), _mm256_mul_ps(d, d_a), acc[token_idx]);
        acc[token_idx] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(min_dot), _mm256_mul_ps(neg_dmin, d_a), acc[token_idx]);
      }
    }
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      tile.y[(token0 + token_idx) * tile.y_stride + row_idx] = hsum_avx2(acc[token_idx]);
    }
  }
}

#else  // Highway 128-bit

template <int kTokens>
void rows_iq4_xs(const MatmulTile& tile, int64_t token0) {
  const DF32 df;
  const D32 d32;
  const int64_t n_blocks = tile.n_cols / kQKBlockElems;
  const BlockQ8_K* act[kTokens];
  bind_q8_k_rows<kTokens>(tile, token0, act);
  for (int64_t row_idx = 0; row_idx < tile.n_rows; ++row_idx) {
    const BlockIQ4_XS* w = reinterpret_cast<const BlockIQ4_XS*>(tile.w + row_idx * tile.w_row_bytes);
    hn::Vec<DF32> acc[kTokens];
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) acc[token_idx] = hn::Zero(df);
    for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
      const BlockIQ4_XS& block = w[block_idx];
      prefetch_weights(&block, sizeof(BlockIQ4_XS));
      hn::Vec<D32> sums[kTokens];
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) sums[token_idx] = hn::Zero(d32);
      for (int sub_idx = 0; sub_idx < 8; ++sub_idx) {
        hn::Vec<D8> first, second;
        decode_iq4_levels(block.qs + 16 * sub_idx, first, second);
        const auto scale = hn::Set(d32, iq4_xs_scale(block, sub_idx));
        for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
          const int8_t* x = act[token_idx][block_idx].qs + 32 * sub_idx;
          const auto sum =
              dot_s8x16(second, hn::LoadU(D8(), x + 16), dot_s8x16(first, hn::LoadU(D8(), x), hn::Zero(d32)));
          sums[token_idx] = hn::Add(sums[token_idx], hn::Mul(sum, scale));
        }
      }
      const float d = f16_to_f32(block.d);
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
        acc[token_idx] = hn::MulAdd(hn::ConvertTo(df, sums[token_idx]), hn::Set(df, d * act[token_idx][block_idx].d),
                                    acc[token_idx]);
      }
    }
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      tile.y[(token0 + token_idx) * tile.y_stride + row_idx] = hn::GetLane(hn::SumOfLanes(df, acc[token_idx]));
    }
  }
}

// Shared by Q3_K and Q2_K: for each half h and part p (values l = 16p..16p+15 of
// each group j), `quants(half, part, group)` gives 16 unsigned quants of
// sub-block 8h+2j+p; their sums with the activations, times scales[sub], per token.
template <int kTokens, class Quants>
HWY_INLINE void accumulate_sub16_scaled(const int8_t* scales, const BlockQ8_K* const* act, int64_t block_idx,
                                        Quants quants, hn::Vec<D32>* sums) {
  const D32 d32;
  for (int half_idx = 0; half_idx < 2; ++half_idx) {
    for (int part_idx = 0; part_idx < 2; ++part_idx) {
      for (int group_idx = 0; group_idx < 4; ++group_idx) {
        const int sub_idx = 8 * half_idx + 2 * group_idx + part_idx;
        const auto q = quants(half_idx, part_idx, group_idx);
        const auto scale = hn::Set(d32, scales[sub_idx]);
        for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
          const int8_t* x = act[token_idx][block_idx].qs + 16 * sub_idx;
          sums[token_idx] = hn::Add(sums[token_idx], hn::Mul(dot_u7x16(q, x, hn::Zero(d32)), scale));
        }
      }
    }
  }
}

template <int kTokens>
void rows_q3_k(const MatmulTile& tile, int64_t token0) {
  const DF32 df;
  const D32 d32;
  const DU8 du8;
  const int64_t n_blocks = tile.n_cols / kQKBlockElems;
  const BlockQ8_K* act[kTokens];
  bind_q8_k_rows<kTokens>(tile, token0, act);
  for (int64_t row_idx = 0; row_idx < tile.n_rows; ++row_idx) {
    const BlockQ3_K* w = reinterpret_cast<const BlockQ3_K*>(tile.w + row_idx * tile.w_row_bytes);
    hn::Vec<DF32> acc[kTokens];
    float offset_total[kTokens] = {};
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) acc[token_idx] = hn::Zero(df);
    for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
      const BlockQ3_K& block = w[block_idx];
      prefetch_weights(&block, sizeof(BlockQ3_K));
      int8_t scales[16];
      unpack_q3_k_scales(block.scales, scales);
      hn::Vec<D32> sums[kTokens];
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) sums[token_idx] = hn::Zero(d32);
      accumulate_sub16_scaled<kTokens>(
          scales, act, block_idx,
          [&](int half_idx, int part_idx, int group_idx) {
            return q3_k_quants_plus_4(du8, block, half_idx, part_idx, group_idx);
          },
          sums);
      const float d = f16_to_f32(block.d);
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
        const BlockQ8_K& a = act[token_idx][block_idx];
        int32_t offset = 0;
        for (int sub_idx = 0; sub_idx < 16; ++sub_idx) offset += scales[sub_idx] * a.bsums[sub_idx];
        acc[token_idx] = hn::MulAdd(hn::ConvertTo(df, sums[token_idx]), hn::Set(df, d * a.d), acc[token_idx]);
        offset_total[token_idx] += d * a.d * static_cast<float>(4 * offset);
      }
    }
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      tile.y[(token0 + token_idx) * tile.y_stride + row_idx] =
          hn::GetLane(hn::SumOfLanes(df, acc[token_idx])) - offset_total[token_idx];
    }
  }
}

template <int kTokens>
void rows_q2_k(const MatmulTile& tile, int64_t token0) {
  const DF32 df;
  const D32 d32;
  const DU8 du8;
  const int64_t n_blocks = tile.n_cols / kQKBlockElems;
  const BlockQ8_K* act[kTokens];
  bind_q8_k_rows<kTokens>(tile, token0, act);
  for (int64_t row_idx = 0; row_idx < tile.n_rows; ++row_idx) {
    const BlockQ2_K* w = reinterpret_cast<const BlockQ2_K*>(tile.w + row_idx * tile.w_row_bytes);
    hn::Vec<DF32> acc[kTokens];
    float min_total[kTokens] = {};
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) acc[token_idx] = hn::Zero(df);
    for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
      const BlockQ2_K& block = w[block_idx];
      prefetch_weights(&block, sizeof(BlockQ2_K));
      int8_t scales[16];
      for (int sub_idx = 0; sub_idx < 16; ++sub_idx) scales[sub_idx] = static_cast<int8_t>(block.scales[sub_idx] & 0xF);
      hn::Vec<D32> sums[kTokens];
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) sums[token_idx] = hn::Zero(d32);
      accumulate_sub16_scaled<kTokens>(
          scales, act, block_idx,
          [&](int half_idx, int part_idx, int group_idx) {
            return q2_k_quants(du8, block, half_idx, part_idx, group_idx);
          },
          sums);
      const float d = f16_to_f32(block.d);
      const float dmin = f16_to_f32(block.dmin);
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
        const BlockQ8_K& a = act[token_idx][block_idx];
        int32_t min_dot = 0;
        for (int sub_idx = 0; sub_idx < 16; ++sub_idx) min_dot += (block.scales[sub_idx] >> 4) * a.bsums[sub_idx];
        acc[token_idx] = hn::MulAdd(hn::ConvertTo(df, sums[token_idx]), hn::Set(df, d * a.d), acc[token_idx]);
        min_total[token_idx] += dmin * a.d * static_cast<float>(min_dot);
      }
    }
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      tile.y[(token0 + token_idx) * tile.y_stride + row_idx] =
          hn::GetLane(hn::SumOfLanes(df, acc[token_idx])) - min_total[token_idx];
    }
  }
}

#endif  // HEARTH_MATMUL_AVX2

}  // namespace hearth::tensor::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // HEARTH_TENSOR_MATMUL_LOW_BIT_K_INL_H_
