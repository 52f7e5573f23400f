// matmul kernels of the 32-value block types besides Q4_0 and Q8_0 (see
// matmul_q8_0-inl.h): Q5_0 against ActBlockQ8_0 activations, Q4_1 and Q5_1
// against ActBlockQ8_1, IQ4_NL against ActBlockQ8_0. Per block, the quants are decoded to bytes, multiplied
// with the 8-bit activations as integers, and the sum is scaled by
// d_weight * d_activation and accumulated in float; the offset m of Q4_1/Q5_1
// adds m * d_sum (activation_quant.h), summed per token in a float.
//
// A type is described once, by a kernel struct:
//   Block                     the GGUF block (quant_blocks.h), with an f16 `d`
//   Act                       its activation block (activation_quant.h)
//   kSigned                   quants are signed (else unsigned, below 128)
//   kHasMin                   the block has an f16 offset `m` (Act is then ActBlockQ8_1)
//   quants_avx2(block)        the 32 quants in one register, values 0..15 in the lower half
//   quants(block, first, second)  the same as two 128-bit halves (block32_unpack-inl.h)
//
// Included once per target by matmul_kernels.cpp (after matmul_simd-inl.h).
#if defined(HEARTH_TENSOR_MATMUL_BLOCK32_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef HEARTH_TENSOR_MATMUL_BLOCK32_INL_H_
#undef HEARTH_TENSOR_MATMUL_BLOCK32_INL_H_
#else
#define HEARTH_TENSOR_MATMUL_BLOCK32_INL_H_
#endif

#include <cstring>

#include "hwy/highway.h"
#include "tensor/activation_quant.h"
#include "tensor/block32_unpack-inl.h"
#include "tensor/fp16.h"
#include "tensor/matmul_kernels.h"
#include "tensor/matmul_simd-inl.h"
#include "tensor/quant_blocks.h"

HWY_BEFORE_NAMESPACE();
namespace hearth::tensor::HWY_NAMESPACE {

#if HEARTH_MATMUL_AVX2

// The nibbles of a Q4_0-ordered block: low nibbles (values 0..15) in the lower
// 128-bit lane, high nibbles (16..31) in the upper.
HWY_INLINE __m256i spread_nibbles_avx2(const uint8_t* qs) {
  const __m128i packed = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
  const __m128i low_mask = _mm_set1_epi8(0x0F);
  return _mm256_setr_m128i(_mm_and_si128(packed, low_mask), _mm_and_si128(_mm_srli_epi16(packed, 4), low_mask));
}

// 0x10 in byte i where bit i of the little-endian word at qh is set.
HWY_INLINE __m256i fifth_bits_avx2(const uint8_t* qh) {
  uint32_t bits;
  std::memcpy(&bits, qh, sizeof bits);
  // Byte i takes byte i / 8 of the word (the word is in both 128-bit lanes), then tests bit i % 8.
  const __m256i spread = _mm256_shuffle_epi8(
      _mm256_set1_epi32(static_cast<int>(bits)),
      _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101, 0x0202020202020202, 0x0303030303030303));
  const __m256i bit_of_byte = _mm256_set1_epi64x(static_cast<int64_t>(0x8040201008040201ull));
  return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit_of_byte), bit_of_byte),
                          _mm256_set1_epi8(0x10));
}

#endif  // HEARTH_MATMUL_AVX2

struct Q5_0Kernel {
  using Block = BlockQ5_0;
  using Act = ActBlockQ8_0;
  static constexpr bool kSigned = true;
  static constexpr bool kHasMin = false;
#if HEARTH_MATMUL_AVX2
  static HWY_INLINE __m256i quants_avx2(const Block& block) {
    return _mm256_sub_epi8(_mm256_or_si256(spread_nibbles_avx2(block.qs), fifth_bits_avx2(block.qh)),
                           _mm256_set1_epi8(16));
  }
#else
  static HWY_INLINE void quants(const Block& block, hn::Vec<D8>& first, hn::Vec<D8>& second) {
    decode_q5_0(block, first, second);
  }
#endif
};

struct Q4_1Kernel {
  using Block = BlockQ4_1;
  using Act = ActBlockQ8_1;
  static constexpr bool kSigned = false;
  static constexpr bool kHasMin = true;
#if HEARTH_MATMUL_AVX2
  static HWY_INLINE __m256i quants_avx2(const Block& block) { return spread_nibbles_avx2(block.qs); }
#else
  static HWY_INLINE void quants(const Block& block, hn::Vec<D8>& first, hn::Vec<D8>& second) {
    decode_q4_1(block, first, second);
  }
#endif
};

struct Q5_1Kernel {
  using Block = BlockQ5_1;
  using Act = ActBlockQ8_1;
  static constexpr bool kSigned = false;
  static constexpr bool kHasMin = true;
#if HEARTH_MATMUL_AVX2
  static HWY_INLINE __m256i quants_avx2(const Block& block) {
    return _mm256_or_si256(spread_nibbles_avx2(block.qs), fifth_bits_avx2(block.qh));
  }
#else
  static HWY_INLINE void quants(const Block& block, hn::Vec<D8>& first, hn::Vec<D8>& second) {
    decode_q5_1(block, first, second);
  }
#endif
};

#if HEARTH_MATMUL_AVX2
// kIQ4Levels[nibble] for the 32 nibbles of a Q4_0-ordered block (the table in both 128-bit lanes).
HWY_INLINE __m256i iq4_levels_avx2(const uint8_t* qs) {
  const __m256i levels = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(kIQ4Levels)));
  return _mm256_shuffle_epi8(levels, spread_nibbles_avx2(qs));
}
#endif

struct IQ4_NLKernel {
  using Block = BlockIQ4_NL;
  using Act = ActBlockQ8_0;
  static constexpr bool kSigned = true;
  static constexpr bool kHasMin = false;
#if HEARTH_MATMUL_AVX2
  static HWY_INLINE __m256i quants_avx2(const Block& block) { return iq4_levels_avx2(block.qs); }
#else
  static HWY_INLINE void quants(const Block& block, hn::Vec<D8>& first, hn::Vec<D8>& second) {
    decode_iq4_nl(block, first, second);
  }
#endif
};

// m_w * d_sum of each token, for the kernels of blocks with an offset.
template <int kTokens, class Kernel>
HWY_INLINE void accumulate_block_min(const typename Kernel::Block& block, const typename Kernel::Act* const* act,
                                     int64_t block_idx, float* min_total) {
  if constexpr (Kernel::kHasMin) {
    const float m_w = f16_to_f32(block.m);
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      min_total[token_idx] += m_w * act[token_idx][block_idx].d_sum;
    }
  }
}

#if HEARTH_MATMUL_AVX2

template <int kTokens, class Kernel>
HWY_INLINE void accumulate_block32(const typename Kernel::Block& block, const typename Kernel::Act* const* act,
                                   int64_t block_idx, __m256* acc, float* min_total) {
  accumulate_block_min<kTokens, Kernel>(block, act, block_idx, min_total);
  const __m256i q = Kernel::quants_avx2(block);
  __m256i abs_q = q;
  if constexpr (Kernel::kSigned) abs_q = _mm256_sign_epi8(q, q);
  // d_w * a.d by a vector multiply of broadcasts: the same float as the scalar product.
  const __m256 d_w = _mm256_set1_ps(_cvtsh_ss(block.d));
  for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
    const typename Kernel::Act& a = act[token_idx][block_idx];
    const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs));
    __m256i sums;
    if constexpr (Kernel::kSigned) {
      sums = dot_s8_avx2(q, abs_q, x);
    } else {  // |pair| <= 2 * 127 * 128: no saturation
      sums = _mm256_madd_epi16(_mm256_maddubs_epi16(q, x), _mm256_set1_epi16(1));
    }
    acc[token_idx] =
        _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_mul_ps(d_w, _mm256_broadcast_ss(&a.d)), acc[token_idx]);
  }
}

template <int kTokens, class Kernel>
void rows_block32(const MatmulTile& tile, int64_t token0) {
  using Block = typename Kernel::Block;
  using Act = typename Kernel::Act;
  const int64_t n_blocks = tile.n_cols / kQ32BlockElems;
  const Act* act[kTokens];
  for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
    act[token_idx] = reinterpret_cast<const Act*>(tile.act + (token0 + token_idx) * tile.act_row_bytes);
  }
  for (int64_t row_idx = 0; row_idx < tile.n_rows; ++row_idx) {
    const Block* w = reinterpret_cast<const Block*>(tile.w + row_idx * tile.w_row_bytes);
    // Two accumulator sets: consecutive blocks do not wait on each other's FMA.
    __m256 acc_even[kTokens], acc_odd[kTokens];
    float min_total[kTokens] = {};
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      acc_even[token_idx] = _mm256_setzero_ps();
      acc_odd[token_idx] = _mm256_setzero_ps();
    }
    int64_t block_idx = 0;
    for (; block_idx + 1 < n_blocks; block_idx += 2) {
      prefetch_weights(w + block_idx, 2 * sizeof(Block));
      accumulate_block32<kTokens, Kernel>(w[block_idx], act, block_idx, acc_even, min_total);
      accumulate_block32<kTokens, Kernel>(w[block_idx + 1], act, block_idx + 1, acc_odd, min_total);
    }
    if (block_idx < n_blocks) accumulate_block32<kTokens, Kernel>(w[block_idx], act, block_idx, acc_even, min_total);
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      tile.y[(token0 + token_idx) * tile.y_stride + row_idx] =
          hsum_avx2(_mm256_add_ps(acc_even[token_idx], acc_odd[token_idx])) + min_total[token_idx];
    }
  }
}

#else  // Highway 128-bit

template <int kTokens, class Kernel>
void rows_block32(const MatmulTile& tile, int64_t token0) {
  using Block = typename Kernel::Block;
  using Act = typename Kernel::Act;
  const DF32 df;
  const D32 d32;
  const int64_t n_blocks = tile.n_cols / kQ32BlockElems;
  const Act* act[kTokens];
  for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
    act[token_idx] = reinterpret_cast<const Act*>(tile.act + (token0 + token_idx) * tile.act_row_bytes);
  }
  for (int64_t row_idx = 0; row_idx < tile.n_rows; ++row_idx) {
    const Block* w = reinterpret_cast<const Block*>(tile.w + row_idx * tile.w_row_bytes);
    hn::Vec<DF32> acc[kTokens];
    float min_total[kTokens] = {};
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) acc[token_idx] = hn::Zero(df);
    for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
      const Block& block = w[block_idx];
      prefetch_weights(&block, sizeof(Block));
      accumulate_block_min<kTokens, Kernel>(block, act, block_idx, min_total);
      hn::Vec<D8> first, second;
      Kernel::quants(block, first, second);
      const float d_w = f16_to_f32(block.d);
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
        const Act& a = act[token_idx][block_idx];
        auto sum = dot_s8x16(first, hn::LoadU(D8(), a.qs), hn::Zero(d32));
        sum = dot_s8x16(second, hn::LoadU(D8(), a.qs + 16), sum);
        acc[token_idx] = hn::MulAdd(hn::ConvertTo(df, sum), hn::Set(df, d_w * a.d), acc[token_idx]);
      }
    }
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      tile.y[(token0 + token_idx) * tile.y_stride + row_idx] =
          hn::GetLane(hn::SumOfLanes(df, acc[token_idx])) + min_total[token_idx];
    }
  }
}

#endif  // HEARTH_MATMUL_AVX2

}  // namespace hearth::tensor::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // HEARTH_TENSOR_MATMUL_BLOCK32_INL_H_
