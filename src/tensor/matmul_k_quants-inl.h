// matmul kernels of the K types (Q4_K, Q5_K, Q6_K weights) against BlockQ8_K
// activations. Per super-block of 256, integer sums of quant * activation are
// weighted by the integer sub-block scales; the constant parts (the mins of
// Q4_K/Q5_K, the -32 offset of Q6_K) come from the activations' 16-value sums
// (bsums), so the quants are used unsigned.
//
// Included once per target by matmul_kernels.cpp (after matmul_simd-inl.h).
#if defined(HEARTH_TENSOR_MATMUL_K_QUANTS_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef HEARTH_TENSOR_MATMUL_K_QUANTS_INL_H_
#undef HEARTH_TENSOR_MATMUL_K_QUANTS_INL_H_
#else
#define HEARTH_TENSOR_MATMUL_K_QUANTS_INL_H_
#endif

#include <cstring>

#include "hwy/highway.h"
#include "tensor/fp16.h"
#include "tensor/matmul_kernels.h"
#include "tensor/matmul_simd-inl.h"
#include "tensor/q6_k_unpack-inl.h"
#include "tensor/quant_blocks.h"

HWY_BEFORE_NAMESPACE();
namespace hearth::tensor::HWY_NAMESPACE {

// The eight 6-bit scales and mins of a Q4_K / Q5_K block, unpacked four at a
// time with 32-bit word operations (same result as unpack_q4_k_scale_min).
struct KScalesMins {
  uint8_t scale[8];
  uint8_t min[8];
};

HWY_INLINE KScalesMins unpack_k_scales_mins(const uint8_t* packed) {
  uint32_t word[3];
  std::memcpy(word, packed, sizeof word);
  const uint32_t scale_low = word[0] & 0x3F3F3F3Fu;
  const uint32_t min_low = word[1] & 0x3F3F3F3Fu;
  // Sub-blocks 4..7: low 4 bits from bytes 8..11, top 2 bits from bits 6..7 of
  // bytes 0..3 (scales) or 4..7 (mins), moved to bits 4..5 of each byte.
  const uint32_t scale_high = (word[2] & 0x0F0F0F0Fu) | ((word[0] >> 2) & 0x30303030u);
  const uint32_t min_high = ((word[2] >> 4) & 0x0F0F0F0Fu) | ((word[1] >> 2) & 0x30303030u);
  KScalesMins out;
  std::memcpy(out.scale, &scale_low, 4);
  std::memcpy(out.scale + 4, &scale_high, 4);
  std::memcpy(out.min, &min_low, 4);
  std::memcpy(out.min + 4, &min_high, 4);
  return out;
}

template <int kTokens>
HWY_INLINE void bind_q8_k_rows(const MatmulTile& tile, int64_t token0, const BlockQ8_K** act) {
  for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
    act[token_idx] = reinterpret_cast<const BlockQ8_K*>(tile.act + (token0 + token_idx) * tile.act_row_bytes);
  }
}

#if HEARTH_MATMUL_AVX2

// Shared by Q4_K and Q5_K (kHighBits): sum over sub-blocks of d * scale_j * q . x
// minus dmin * min_j * (sum of x over sub-block j).
template <int kTokens, bool kHighBits, class Block>
void rows_q4_q5_k(const MatmulTile& tile, int64_t token0) {
  const int64_t n_blocks = tile.n_cols / kQKBlockElems;
  const BlockQ8_K* act[kTokens];
  bind_q8_k_rows<kTokens>(tile, token0, act);
  const __m256i low_mask = _mm256_set1_epi8(0x0F);
  const __m256i bit4 = _mm256_set1_epi8(0x10);
  // word_pick[j]: int16 word j of each 128-bit lane to every word of that lane.
  __m256i word_pick[8];
  for (int word_idx = 0; word_idx < 8; ++word_idx) {
    word_pick[word_idx] = _mm256_set1_epi16(static_cast<int16_t>(2 * word_idx | (2 * word_idx + 1) << 8));
  }
  for (int64_t row_idx = 0; row_idx < tile.n_rows; ++row_idx) {
    const Block* w = reinterpret_cast<const Block*>(tile.w + row_idx * tile.w_row_bytes);
    __m256 acc[kTokens];
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) acc[token_idx] = _mm256_setzero_ps();
    for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
      const Block& block = w[block_idx];
      prefetch_weights(&block, sizeof(Block));
      const KScalesMins scales = unpack_k_scales_mins(block.scales);
      // The eight scales as int16 in both 128-bit lanes; word_pick spreads one.
      const __m256i scales16 = _mm256_broadcastsi128_si256(
          _mm_cvtepu8_epi16(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(scales.scale))));
      __m256i sums[kTokens];
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) sums[token_idx] = _mm256_setzero_si256();
      __m256i high_bits = _mm256_setzero_si256();
      if constexpr (kHighBits) high_bits = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qh));
      for (int group_idx = 0; group_idx < 4; ++group_idx) {
        const __m256i packed = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qs + 32 * group_idx));
        __m256i low = _mm256_and_si256(packed, low_mask);
        __m256i high = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low_mask);
        if constexpr (kHighBits) {
          // Bit 2g of qh[l] is the fifth bit of sub-block 2g, bit 2g+1 that of 2g+1;
          // 16-bit shifts are safe as each byte is masked to the bit it owns.
          low = _mm256_or_si256(low, _mm256_and_si256(_mm256_slli_epi16(high_bits, 4), bit4));
          high = _mm256_or_si256(high, _mm256_and_si256(_mm256_slli_epi16(high_bits, 3), bit4));
          high_bits = _mm256_srli_epi16(high_bits, 2);
        }
        const __m256i scale_low = _mm256_shuffle_epi8(scales16, word_pick[2 * group_idx]);
        const __m256i scale_high = _mm256_shuffle_epi8(scales16, word_pick[2 * group_idx + 1]);
        for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
          const int8_t* x = act[token_idx][block_idx].qs + 64 * group_idx;
          const __m256i x_low = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
          const __m256i x_high = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 32));
          sums[token_idx] =
              _mm256_add_epi32(sums[token_idx], _mm256_add_epi32(dot_u6_s8_scaled_avx2(low, x_low, scale_low),
                                                                 dot_u6_s8_scaled_avx2(high, x_high, scale_high)));
          keep_in_register(sums[token_idx]);
        }
      }
      const __m256i mins = _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(scales.min)));
      // Scale products as vector multiplies of broadcasts (same floats as scalar products).
      const __m256 d = _mm256_set1_ps(_cvtsh_ss(block.d));
      const __m256 neg_dmin = _mm256_set1_ps(-_cvtsh_ss(block.dmin));
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
        const BlockQ8_K& a = act[token_idx][block_idx];
        // Lane j: bsums[2j] + bsums[2j+1], the sum of x over sub-block j.
        const __m256i sub_sums =
            _mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.bsums)), _mm256_set1_epi16(1));
        const __m256i min_dot = _mm256_mullo_epi32(sub_sums, mins);
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

template <int kTokens>
void rows_q6_k(const MatmulTile& tile, int64_t token0) {
  const int64_t n_blocks = tile.n_cols / kQKBlockElems;
  const BlockQ8_K* act[kTokens];
  bind_q8_k_rows<kTokens>(tile, token0, act);
  const __m256i low_mask = _mm256_set1_epi8(0x0F);
  const __m256i bits45 = _mm256_set1_epi8(0x30);
  __m256i scale_pick[4];
  make_pair_scale_picks(scale_pick);
  for (int64_t row_idx = 0; row_idx < tile.n_rows; ++row_idx) {
    const BlockQ6_K* w = reinterpret_cast<const BlockQ6_K*>(tile.w + row_idx * tile.w_row_bytes);
    __m256 acc[kTokens];
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) acc[token_idx] = _mm256_setzero_ps();
    for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
      const BlockQ6_K& block = w[block_idx];
      prefetch_weights(&block, sizeof(BlockQ6_K));
      // The 16 sub-block scales as int16, then each half's eight in both 128-bit lanes,
      // from where one byte shuffle per quarter (scale_pick) spreads a sub-block pair.
      const __m256i scales16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block.scales)));
      const __m256i half_scales[2] = {_mm256_permute2x128_si256(scales16, scales16, 0x00),
                                      _mm256_permute2x128_si256(scales16, scales16, 0x11)};
      __m256i sums[kTokens];
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) sums[token_idx] = _mm256_setzero_si256();
      for (int half_idx = 0; half_idx < 2; ++half_idx) {
        const __m256i ql0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.ql + 64 * half_idx));
        const __m256i ql1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.ql + 64 * half_idx + 32));
        const __m256i qh = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qh + 32 * half_idx));
        for (int quarter_idx = 0; quarter_idx < 4; ++quarter_idx) {
          // Quants in [0, 63]: low 4 bits from ql, bits 2k..2k+1 of qh moved to bits 4..5.
          __m256i q;
          switch (quarter_idx) {
            case 0:
              q = _mm256_or_si256(_mm256_and_si256(ql0, low_mask), _mm256_and_si256(_mm256_slli_epi16(qh, 4), bits45));
              break;
            case 1:
              q = _mm256_or_si256(_mm256_and_si256(ql1, low_mask), _mm256_and_si256(_mm256_slli_epi16(qh, 2), bits45));
              break;
            case 2:
              q = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low_mask), _mm256_and_si256(qh, bits45));
              break;
            default:
              q = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low_mask),
                                  _mm256_and_si256(_mm256_srli_epi16(qh, 2), bits45));
              break;
          }
          // The lower 16 values belong to sub-block 8h+2k, the upper 16 to the next.
          const __m256i scale = _mm256_shuffle_epi8(half_scales[half_idx], scale_pick[quarter_idx]);
          for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
            const int8_t* x = act[token_idx][block_idx].qs + 128 * half_idx + 32 * quarter_idx;
            const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x));
            sums[token_idx] = _mm256_add_epi32(sums[token_idx], dot_u6_s8_scaled_avx2(q, xv, scale));
            keep_in_register(sums[token_idx]);
          }
        }
      }
      const __m256 d = _mm256_set1_ps(_cvtsh_ss(block.d));
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
        const BlockQ8_K& a = act[token_idx][block_idx];
        // sum_s scale_s * (sum of x over sub-block s), times the offset 32.
        const __m256i offset =
            _mm256_madd_epi16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.bsums)), scales16);
        const __m256i total = _mm256_sub_epi32(sums[token_idx], _mm256_slli_epi32(offset, 5));
        acc[token_idx] =
            _mm256_fmadd_ps(_mm256_cvtepi32_ps(total), _mm256_mul_ps(d, _mm256_broadcast_ss(&a.d)), acc[token_idx]);
      }
    }
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      tile.y[(token0 + token_idx) * tile.y_stride + row_idx] = hsum_avx2(acc[token_idx]);
    }
  }
}

#else  // Highway 128-bit

template <int kTokens, bool kHighBits, class Block>
void rows_q4_q5_k(const MatmulTile& tile, int64_t token0) {
  const DF32 df;
  const D32 d32;
  const DU8 du8;
  const int64_t n_blocks = tile.n_cols / kQKBlockElems;
  const BlockQ8_K* act[kTokens];
  bind_q8_k_rows<kTokens>(tile, token0, act);
  const auto low_mask = hn::Set(du8, 0x0F);
  const auto one = hn::Set(du8, 1);
  const auto two = hn::Set(du8, 2);
  for (int64_t row_idx = 0; row_idx < tile.n_rows; ++row_idx) {
    const Block* w = reinterpret_cast<const Block*>(tile.w + row_idx * tile.w_row_bytes);
    hn::Vec<DF32> acc[kTokens];
    float min_total[kTokens] = {};
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) acc[token_idx] = hn::Zero(df);
    for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
      const Block& block = w[block_idx];
      prefetch_weights(&block, sizeof(Block));
      const KScalesMins scales = unpack_k_scales_mins(block.scales);
      hn::Vec<D32> sums[kTokens];
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) sums[token_idx] = hn::Zero(d32);
      hn::Vec<DU8> high_bits0 = hn::Zero(du8), high_bits1 = hn::Zero(du8);
      if constexpr (kHighBits) {
        high_bits0 = hn::LoadU(du8, block.qh);
        high_bits1 = hn::LoadU(du8, block.qh + 16);
      }
      for (int group_idx = 0; group_idx < 4; ++group_idx) {
        const auto packed0 = hn::LoadU(du8, block.qs + 32 * group_idx);
        const auto packed1 = hn::LoadU(du8, block.qs + 32 * group_idx + 16);
        auto low0 = hn::And(packed0, low_mask), low1 = hn::And(packed1, low_mask);
        auto high0 = hn::ShiftRight<4>(packed0), high1 = hn::ShiftRight<4>(packed1);
        if constexpr (kHighBits) {
          low0 = hn::Or(low0, hn::ShiftLeft<4>(hn::And(high_bits0, one)));
          low1 = hn::Or(low1, hn::ShiftLeft<4>(hn::And(high_bits1, one)));
          high0 = hn::Or(high0, hn::ShiftLeft<3>(hn::And(high_bits0, two)));
          high1 = hn::Or(high1, hn::ShiftLeft<3>(hn::And(high_bits1, two)));
          high_bits0 = hn::ShiftRight<2>(high_bits0);
          high_bits1 = hn::ShiftRight<2>(high_bits1);
        }
        const auto scale_low = hn::Set(d32, scales.scale[2 * group_idx]);
        const auto scale_high = hn::Set(d32, scales.scale[2 * group_idx + 1]);
        for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
          const int8_t* x = act[token_idx][block_idx].qs + 64 * group_idx;
          const auto sum_low = dot_u7x16(low1, x + 16, dot_u7x16(low0, x, hn::Zero(d32)));
          const auto sum_high = dot_u7x16(high1, x + 48, dot_u7x16(high0, x + 32, hn::Zero(d32)));
          sums[token_idx] =
              hn::Add(sums[token_idx], hn::Add(hn::Mul(sum_low, scale_low), hn::Mul(sum_high, scale_high)));
        }
      }
      const float d = f16_to_f32(block.d);
      const float dmin = f16_to_f32(block.dmin);
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
        const BlockQ8_K& a = act[token_idx][block_idx];
        int32_t min_dot = 0;
        for (int sub_idx = 0; sub_idx < 8; ++sub_idx) {
          min_dot += scales.min[sub_idx] * (a.bsums[2 * sub_idx] + a.bsums[2 * sub_idx + 1]);
        }
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

template <int kTokens>
void rows_q6_k(const MatmulTile& tile, int64_t token0) {
  const DF32 df;
  const D32 d32;
  const DU8 du8;
  const int64_t n_blocks = tile.n_cols / kQKBlockElems;
  const BlockQ8_K* act[kTokens];
  bind_q8_k_rows<kTokens>(tile, token0, act);
  for (int64_t row_idx = 0; row_idx < tile.n_rows; ++row_idx) {
    const BlockQ6_K* w = reinterpret_cast<const BlockQ6_K*>(tile.w + row_idx * tile.w_row_bytes);
    hn::Vec<DF32> acc[kTokens];
    float offset_total[kTokens] = {};
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) acc[token_idx] = hn::Zero(df);
    for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
      const BlockQ6_K& block = w[block_idx];
      prefetch_weights(&block, sizeof(BlockQ6_K));
      hn::Vec<D32> sums[kTokens];
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) sums[token_idx] = hn::Zero(d32);
      for (int half_idx = 0; half_idx < 2; ++half_idx) {
        for (int part_idx = 0; part_idx < 2; ++part_idx) {
          // 16 values of each quarter: l = 16 * part .. 16 * part + 15.
          hn::Vec<DU8> quarters[4];
          unpack_q6_k_quarters(du8, block, half_idx, part_idx, quarters);
          for (int quarter_idx = 0; quarter_idx < 4; ++quarter_idx) {
            const int sub_idx = 8 * half_idx + 2 * quarter_idx + part_idx;
            const auto scale = hn::Set(d32, block.scales[sub_idx]);
            for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
              const int8_t* x = act[token_idx][block_idx].qs + 16 * sub_idx;
              sums[token_idx] =
                  hn::Add(sums[token_idx], hn::Mul(dot_u7x16(quarters[quarter_idx], x, hn::Zero(d32)), scale));
            }
          }
        }
      }
      const float d = f16_to_f32(block.d);
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
        const BlockQ8_K& a = act[token_idx][block_idx];
        int32_t offset = 0;
        for (int sub_idx = 0; sub_idx < 16; ++sub_idx) offset += block.scales[sub_idx] * a.bsums[sub_idx];
        acc[token_idx] = hn::MulAdd(hn::ConvertTo(df, sums[token_idx]), hn::Set(df, d * a.d), acc[token_idx]);
        offset_total[token_idx] += d * a.d * static_cast<float>(32 * offset);
      }
    }
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      tile.y[(token0 + token_idx) * tile.y_stride + row_idx] =
          hn::GetLane(hn::SumOfLanes(df, acc[token_idx])) - offset_total[token_idx];
    }
  }
}

#endif  // HEARTH_MATMUL_AVX2

}  // namespace hearth::tensor::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // HEARTH_TENSOR_MATMUL_K_QUANTS_INL_H_
