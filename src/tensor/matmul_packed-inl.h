// matmul kernels of the 8-row interleaved layout (WeightLayout::kRows8,
// packed_weights.h): Q4_0 and Q8_0 weights against ActBlockQ8_0Sum
// activations, Q4_K weights against BlockQ8_K.
//
// Per group of 8 rows, block and token: eight 4-byte chunks of the token's
// activation block are broadcast and multiplied with the matching chunk of all
// 8 rows at once (lane k = row k), u8 x s8 -> s32: vpdpbusd on AVX-512 VNNI,
// maddubs + madd on AVX2. The weights are unsigned (Q4_0 nibbles q, Q8_0 bytes
// q + 128); the offset times the block's activation sum starts the integer
// accumulator, so the lane ends as the exact sum (q - offset) x. One float
// multiply-add per block then scales the 8 rows' sums by d_w * d_x, and the 8
// lanes are stored as 8 outputs: no horizontal sums.
//
// Every output's float operations are the same whatever the token count and
// the row's position, so each token's row is bit-identical alone and batched;
// the integer sums are exact, so AVX2 and VNNI give the same bits.
//
// The 128-bit targets (SSE4, NEON) read the layout with a plain per-row loop:
// correct, not fast; packing_pays() keeps them on the row kernels.
//
// Included once per target by matmul_kernels.cpp (after matmul_simd-inl.h).
#if defined(HEARTH_TENSOR_MATMUL_PACKED_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef HEARTH_TENSOR_MATMUL_PACKED_INL_H_
#undef HEARTH_TENSOR_MATMUL_PACKED_INL_H_
#else
#define HEARTH_TENSOR_MATMUL_PACKED_INL_H_
#endif

#include <cstring>

#include "hwy/highway.h"
#include "tensor/activation_quant.h"
#include "tensor/fp16.h"
#include "tensor/matmul_kernels.h"
#include "tensor/matmul_simd-inl.h"
#include "tensor/packed_weights.h"

HWY_BEFORE_NAMESPACE();
namespace hearth::tensor::HWY_NAMESPACE {

// Writes the first n_valid of 8 outputs of a row group.
HWY_INLINE void store_group_outputs(const float* lanes, int64_t n_valid, float* y) {
  if (n_valid == kPackRows) {
    std::memcpy(y, lanes, kPackRows * sizeof(float));
  } else {
    std::memcpy(y, lanes, static_cast<size_t>(n_valid) * sizeof(float));
  }
}

#if HEARTH_MATMUL_AVX2

HWY_INLINE __m256i broadcast_chunk(const int8_t* qs, int chunk_idx) {
  int32_t word;
  std::memcpy(&word, qs + 4 * chunk_idx, 4);
  return _mm256_set1_epi32(word);
}

#if HWY_TARGET == HWY_AVX3_DL
// lane k of acc += sum_{i<4} u[4k+i] * s[4k+i] (u unsigned, s signed; exact).
// Written as asm with the EVEX (AVX512-VNNI + VL) encoding: Highway 1.0.3's
// AVX3_DL flags include AVX-VNNI, so GCC emits the VEX form of
// _mm256_dpbusd_epi32, which AVX-512 VNNI CPUs without AVX-VNNI (Zen 4, Ice
// Lake) fault on.
HWY_INLINE __m256i dot4_u8_s8(__m256i acc, __m256i u, __m256i s) {
  asm("%{evex%} vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(u), "v"(s));
  return acc;
}
#endif

// The 8 rows' exact integer sums of one Q4_0 block with one token:
// lane k = sum_i (q_ki - 8) x_i, from the unpacked nibbles u[c] (chunk c of
// values 4c..4c+3, as in BlockQ4_0x8).
HWY_INLINE __m256i q4_0_group_dot(const __m256i* u, const ActBlockQ8_0Sum& a) {
#if HWY_TARGET == HWY_AVX3_DL
  // Two chains so consecutive vpdpbusd do not wait on each other.
  __m256i even = _mm256_set1_epi32(-8 * a.sum);
  __m256i odd = _mm256_setzero_si256();
  for (int chunk_idx = 0; chunk_idx < 8; chunk_idx += 2) {
    even = dot4_u8_s8(even, u[chunk_idx], broadcast_chunk(a.qs, chunk_idx));
    odd = dot4_u8_s8(odd, u[chunk_idx + 1], broadcast_chunk(a.qs, chunk_idx + 1));
  }
  return _mm256_add_epi32(even, odd);
#else
  // |maddubs lane| <= 2 * 15 * 127; eight of them summed per 16-bit lane stay
  // below 2^15 (30480), so the 16-bit sums are exact.
  __m256i pairs[4];
  for (int pair_idx = 0; pair_idx < 4; ++pair_idx) {
    pairs[pair_idx] =
        _mm256_add_epi16(_mm256_maddubs_epi16(u[2 * pair_idx], broadcast_chunk(a.qs, 2 * pair_idx)),
                         _mm256_maddubs_epi16(u[2 * pair_idx + 1], broadcast_chunk(a.qs, 2 * pair_idx + 1)));
  }
  const __m256i sum16 = _mm256_add_epi16(_mm256_add_epi16(pairs[0], pairs[1]), _mm256_add_epi16(pairs[2], pairs[3]));
  return _mm256_sub_epi32(_mm256_madd_epi16(sum16, _mm256_set1_epi16(1)), _mm256_set1_epi32(8 * a.sum));
#endif
}

// The same for a Q8_0 block: u[c] holds q + 128 (BlockQ8_0x8).
HWY_INLINE __m256i q8_0_group_dot(const __m256i* u, const ActBlockQ8_0Sum& a) {
#if HWY_TARGET == HWY_AVX3_DL
  __m256i even = _mm256_set1_epi32(-128 * a.sum);
  __m256i odd = _mm256_setzero_si256();
  for (int chunk_idx = 0; chunk_idx < 8; chunk_idx += 2) {
    even = dot4_u8_s8(even, u[chunk_idx], broadcast_chunk(a.qs, chunk_idx));
    odd = dot4_u8_s8(odd, u[chunk_idx + 1], broadcast_chunk(a.qs, chunk_idx + 1));
  }
  return _mm256_add_epi32(even, odd);
#else
  // q + 128 times x would saturate maddubs' 16-bit pairs: multiply |q| by
  // x with q's sign instead (|pair| <= 2 * 128 * 127, no saturation).
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  const __m256i ones = _mm256_set1_epi16(1);
  __m256i sum = _mm256_setzero_si256();
  for (int chunk_idx = 0; chunk_idx < 8; ++chunk_idx) {
    const __m256i q = _mm256_xor_si256(u[chunk_idx], flip);
    const __m256i pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(q, q), _mm256_sign_epi8(broadcast_chunk(a.qs, chunk_idx), q));
    sum = _mm256_add_epi32(sum, _mm256_madd_epi16(pairs, ones));
  }
  return sum;
#endif
}

template <int kTokens, bool kQ4>
void packed_rows(const MatmulTile& tile, int64_t token0) {
  const int64_t n_blocks = tile.n_cols / kQ8_0BlockElems;
  const ActBlockQ8_0Sum* act[kTokens];
  for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
    act[token_idx] = reinterpret_cast<const ActBlockQ8_0Sum*>(tile.act + (token0 + token_idx) * tile.act_row_bytes);
  }
  const __m256i low_mask = _mm256_set1_epi8(0x0F);
  for (int64_t group_row0 = 0; group_row0 < tile.n_rows; group_row0 += kPackRows) {
    const uint8_t* group = tile.w + group_row0 / kPackRows * tile.w_row_bytes;
    __m256 acc[kTokens];
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) acc[token_idx] = _mm256_setzero_ps();
    for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
      __m256i u[8];
      __m256 d_w;
      if constexpr (kQ4) {
        const BlockQ4_0x8& block = reinterpret_cast<const BlockQ4_0x8*>(group)[block_idx];
        prefetch_weights(&block, sizeof(block));
        for (int word_idx = 0; word_idx < 4; ++word_idx) {
          const __m256i packed = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qs + 32 * word_idx));
          u[word_idx] = _mm256_and_si256(packed, low_mask);
          u[word_idx + 4] = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low_mask);
        }
        d_w = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block.d)));
      } else {
        const BlockQ8_0x8& block = reinterpret_cast<const BlockQ8_0x8*>(group)[block_idx];
        prefetch_weights(&block, sizeof(block));
        for (int chunk_idx = 0; chunk_idx < 8; ++chunk_idx) {
          u[chunk_idx] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qs + 32 * chunk_idx));
        }
        d_w = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block.d)));
      }
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
        const ActBlockQ8_0Sum& a = act[token_idx][block_idx];
        const __m256i sums = kQ4 ? q4_0_group_dot(u, a) : q8_0_group_dot(u, a);
        acc[token_idx] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums), _mm256_mul_ps(d_w, _mm256_set1_ps(a.d)), acc[token_idx]);
      }
    }
    const int64_t n_valid = std::min<int64_t>(kPackRows, tile.n_rows - group_row0);
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      float* y = tile.y + (token0 + token_idx) * tile.y_stride + group_row0;
      if (n_valid == kPackRows) {
        _mm256_storeu_ps(y, acc[token_idx]);
      } else {
        float lanes[kPackRows];
        _mm256_storeu_ps(lanes, acc[token_idx]);
        store_group_outputs(lanes, n_valid, y);
      }
    }
  }
}


#if HWY_TARGET == HWY_AVX3_DL

// Q4_K, 8 rows at a time (BlockQ4_Kx8) against BlockQ8_K: per sub-block j and
// token, vpdpbusd sums q x over the sub-block in each row's lane; the lanes
// are weighted by the rows' 6-bit scales (exact int32: |sum| < 2^25), the
// mins by the activations' 32-value sums (from bsums, with madd on min pairs).
template <int kTokens>
void packed_rows_q4_k(const MatmulTile& tile, int64_t token0) {
  const int64_t n_blocks = tile.n_cols / kQKBlockElems;
  const BlockQ8_K* act[kTokens];
  for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
    act[token_idx] = reinterpret_cast<const BlockQ8_K*>(tile.act + (token0 + token_idx) * tile.act_row_bytes);
  }
  const __m256i low_mask = _mm256_set1_epi8(0x0F);
  const __m256 sign_bit = _mm256_set1_ps(-0.0f);
  for (int64_t group_row0 = 0; group_row0 < tile.n_rows; group_row0 += kPackRows) {
    const auto* w = reinterpret_cast<const BlockQ4_Kx8*>(tile.w + group_row0 / kPackRows * tile.w_row_bytes);
    __m256 acc[kTokens];
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) acc[token_idx] = _mm256_setzero_ps();
    for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
      const BlockQ4_Kx8& block = w[block_idx];
      prefetch_weights(&block, sizeof(block));
      __m256i sums[kTokens];
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) sums[token_idx] = _mm256_setzero_si256();
      for (int group_idx = 0; group_idx < 4; ++group_idx) {
        __m256i low[8], high[8];
        for (int chunk_idx = 0; chunk_idx < 8; ++chunk_idx) {
          const __m256i packed =
              _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block.qs + 256 * group_idx + 32 * chunk_idx));
          low[chunk_idx] = _mm256_and_si256(packed, low_mask);
          high[chunk_idx] = _mm256_and_si256(_mm256_srli_epi16(packed, 4), low_mask);
        }
        const __m256i scale_low =
            _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(block.scales + 16 * group_idx)));
        const __m256i scale_high =
            _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(block.scales + 16 * group_idx + 8)));
        for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
          const int8_t* x = act[token_idx][block_idx].qs + 64 * group_idx;
          __m256i dot_low = _mm256_setzero_si256();
          __m256i dot_high = _mm256_setzero_si256();
          for (int chunk_idx = 0; chunk_idx < 8; ++chunk_idx) {
            dot_low = dot4_u8_s8(dot_low, low[chunk_idx], broadcast_chunk(x, chunk_idx));
            dot_high = dot4_u8_s8(dot_high, high[chunk_idx], broadcast_chunk(x + 32, chunk_idx));
          }
          sums[token_idx] = _mm256_add_epi32(
              sums[token_idx],
              _mm256_add_epi32(_mm256_mullo_epi32(dot_low, scale_low), _mm256_mullo_epi32(dot_high, scale_high)));
        }
      }
      __m256i min_pairs[4];  // int16 lane 2k+h: row k's min of sub-block 2p+h
      for (int pair_idx = 0; pair_idx < 4; ++pair_idx) {
        min_pairs[pair_idx] =
            _mm256_cvtepu8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block.mins + 16 * pair_idx)));
      }
      const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block.d)));
      const __m256 neg_dmin =
          _mm256_xor_ps(_mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block.dmin))), sign_bit);
      for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
        const BlockQ8_K& a = act[token_idx][block_idx];
        // int16 lane j: bsums[2j] + bsums[2j+1], the sum of x over sub-block j (|.| <= 4096).
        const __m128i sub_sums = _mm_hadd_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a.bsums)),
                                                _mm_loadu_si128(reinterpret_cast<const __m128i*>(a.bsums + 8)));
        __m256i min_dot = _mm256_madd_epi16(min_pairs[0], _mm256_set1_epi32(_mm_extract_epi32(sub_sums, 0)));
        min_dot = _mm256_add_epi32(min_dot, _mm256_madd_epi16(min_pairs[1], _mm256_set1_epi32(_mm_extract_epi32(sub_sums, 1))));
        min_dot = _mm256_add_epi32(min_dot, _mm256_madd_epi16(min_pairs[2], _mm256_set1_epi32(_mm_extract_epi32(sub_sums, 2))));
        min_dot = _mm256_add_epi32(min_dot, _mm256_madd_epi16(min_pairs[3], _mm256_set1_epi32(_mm_extract_epi32(sub_sums, 3))));
        const __m256 d_a = _mm256_set1_ps(a.d);
        acc[token_idx] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sums[token_idx]), _mm256_mul_ps(d, d_a), acc[token_idx]);
        acc[token_idx] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(min_dot), _mm256_mul_ps(neg_dmin, d_a), acc[token_idx]);
      }
    }
    const int64_t n_valid = std::min<int64_t>(kPackRows, tile.n_rows - group_row0);
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      float lanes[kPackRows];
      _mm256_storeu_ps(lanes, acc[token_idx]);
      store_group_outputs(lanes, n_valid, tile.y + (token0 + token_idx) * tile.y_stride + group_row0);
    }
  }
}

#define HEARTH_PACKED_Q4_K_VNNI 1
#endif  // HWY_TARGET == HWY_AVX3_DL

#else  // 128-bit targets: per row, scalar integer sums (correct, not tuned)

template <int kTokens, bool kQ4>
void packed_rows(const MatmulTile& tile, int64_t token0) {
  const int64_t n_blocks = tile.n_cols / kQ8_0BlockElems;
  const ActBlockQ8_0Sum* act[kTokens];
  for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
    act[token_idx] = reinterpret_cast<const ActBlockQ8_0Sum*>(tile.act + (token0 + token_idx) * tile.act_row_bytes);
  }
  for (int64_t group_row0 = 0; group_row0 < tile.n_rows; group_row0 += kPackRows) {
    const uint8_t* group = tile.w + group_row0 / kPackRows * tile.w_row_bytes;
    float acc[kTokens][kPackRows] = {};
    for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
      const uint8_t* qs;
      const uint16_t* d;
      if constexpr (kQ4) {
        qs = reinterpret_cast<const BlockQ4_0x8*>(group)[block_idx].qs;
        d = reinterpret_cast<const BlockQ4_0x8*>(group)[block_idx].d;
      } else {
        qs = reinterpret_cast<const BlockQ8_0x8*>(group)[block_idx].qs;
        d = reinterpret_cast<const BlockQ8_0x8*>(group)[block_idx].d;
      }
      for (int lane = 0; lane < kPackRows; ++lane) {
        int8_t w[kQ8_0BlockElems];  // row `lane`'s signed values of this block
        for (int chunk_idx = 0; chunk_idx < 8; ++chunk_idx) {
          for (int byte_idx = 0; byte_idx < 4; ++byte_idx) {
            if constexpr (kQ4) {
              const uint8_t packed = qs[32 * (chunk_idx % 4) + 4 * lane + byte_idx];
              const int nibble = chunk_idx < 4 ? packed & 0x0F : packed >> 4;
              w[4 * chunk_idx + byte_idx] = static_cast<int8_t>(nibble - 8);
            } else {
              w[4 * chunk_idx + byte_idx] = static_cast<int8_t>(qs[32 * chunk_idx + 4 * lane + byte_idx] ^ 0x80);
            }
          }
        }
        const float d_w = f16_to_f32(d[lane]);
        for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
          const ActBlockQ8_0Sum& a = act[token_idx][block_idx];
          int32_t sum = 0;
          for (int elem_idx = 0; elem_idx < kQ8_0BlockElems; ++elem_idx) sum += w[elem_idx] * a.qs[elem_idx];
          acc[token_idx][lane] += static_cast<float>(sum) * (d_w * a.d);
        }
      }
    }
    const int64_t n_valid = std::min<int64_t>(kPackRows, tile.n_rows - group_row0);
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      store_group_outputs(acc[token_idx], n_valid, tile.y + (token0 + token_idx) * tile.y_stride + group_row0);
    }
  }
}

#endif  // HEARTH_MATMUL_AVX2

#ifndef HEARTH_PACKED_Q4_K_VNNI
// Q4_K packed, every target without the VNNI kernel: per row lane, scalar
// integer sums (correct, not tuned; packing_pays() keeps these targets on rows).
template <int kTokens>
void packed_rows_q4_k(const MatmulTile& tile, int64_t token0) {
  const int64_t n_blocks = tile.n_cols / kQKBlockElems;
  const BlockQ8_K* act[kTokens];
  for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
    act[token_idx] = reinterpret_cast<const BlockQ8_K*>(tile.act + (token0 + token_idx) * tile.act_row_bytes);
  }
  for (int64_t group_row0 = 0; group_row0 < tile.n_rows; group_row0 += kPackRows) {
    const auto* w = reinterpret_cast<const BlockQ4_Kx8*>(tile.w + group_row0 / kPackRows * tile.w_row_bytes);
    float acc[kTokens][kPackRows] = {};
    for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
      const BlockQ4_Kx8& block = w[block_idx];
      for (int lane = 0; lane < kPackRows; ++lane) {
        uint8_t q[kQKBlockElems];  // row `lane`'s values in order
        for (int group_idx = 0; group_idx < 4; ++group_idx) {
          for (int elem_idx = 0; elem_idx < 32; ++elem_idx) {
            const uint8_t packed = block.qs[256 * group_idx + 32 * (elem_idx / 4) + 4 * lane + elem_idx % 4];
            q[64 * group_idx + elem_idx] = packed & 0x0F;
            q[64 * group_idx + 32 + elem_idx] = packed >> 4;
          }
        }
        const float d = f16_to_f32(block.d[lane]);
        const float neg_dmin = -f16_to_f32(block.dmin[lane]);
        for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
          const BlockQ8_K& a = act[token_idx][block_idx];
          int32_t sum = 0, min_sum = 0;
          for (int sub_idx = 0; sub_idx < 8; ++sub_idx) {
            int32_t dot = 0;
            for (int elem_idx = 32 * sub_idx; elem_idx < 32 * sub_idx + 32; ++elem_idx) dot += q[elem_idx] * a.qs[elem_idx];
            sum += dot * block.scales[8 * sub_idx + lane];
            min_sum += block.mins[16 * (sub_idx / 2) + 2 * lane + sub_idx % 2] * (a.bsums[2 * sub_idx] + a.bsums[2 * sub_idx + 1]);
          }
          acc[token_idx][lane] += static_cast<float>(sum) * (d * a.d);
          acc[token_idx][lane] += static_cast<float>(min_sum) * (neg_dmin * a.d);
        }
      }
    }
    const int64_t n_valid = std::min<int64_t>(kPackRows, tile.n_rows - group_row0);
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) {
      store_group_outputs(acc[token_idx], n_valid, tile.y + (token0 + token_idx) * tile.y_stride + group_row0);
    }
  }
}
#endif
#undef HEARTH_PACKED_Q4_K_VNNI

}  // namespace hearth::tensor::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // HEARTH_TENSOR_MATMUL_PACKED_INL_H_
