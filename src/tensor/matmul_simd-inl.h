// Shared per-target pieces of the matmul kernels: which implementation a
// target uses, and the integer dot-product primitives.
//
// Two implementations of every quantized kernel:
//  - HEARTH_MATMUL_AVX2: hand-written AVX2 intrinsics (AVX2 and AVX-512 targets).
//    Highway 1.0.3 has no 8-bit dot product; the kernels use the
//    maddubs/madd sequence (u8 x s8 -> s16 pairs -> s32), as the fast engines do.
//  - otherwise Highway 128-bit code (SSSE3, SSE4, NEON): int8 values are widened
//    to int16 and multiplied with ReorderWidenMulAccumulate.
//
// Included once per target by matmul_kernels.cpp.
#if defined(HEARTH_TENSOR_MATMUL_SIMD_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef HEARTH_TENSOR_MATMUL_SIMD_INL_H_
#undef HEARTH_TENSOR_MATMUL_SIMD_INL_H_
#else
#define HEARTH_TENSOR_MATMUL_SIMD_INL_H_
#endif

#include <cstdint>
#include <cstring>

#include "hwy/cache_control.h"
#include "hwy/highway.h"

#undef HEARTH_MATMUL_AVX2
#if HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL
#define HEARTH_MATMUL_AVX2 1
#include <immintrin.h>
#else
#define HEARTH_MATMUL_AVX2 0
#endif

HWY_BEFORE_NAMESPACE();
namespace hearth::tensor::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Tokens per group: each weight block is decoded once per group.
inline constexpr int kTokenGroup = 4;

// Decode streams the weights from DRAM once; the hardware prefetchers of server
// cores do not run far enough ahead to cover DRAM latency at one row at a time
// (measured on a Xeon: Q8_0 matvec 6.8 -> 19.8 GB/s single-threaded), so the
// kernels prefetch this far ahead of the block they are reading. Prefetching
// past the end of the matrix is harmless: prefetches never fault.
inline constexpr int64_t kPrefetchBytes = 2048;

// Prefetches the cache lines of [p, p + n_bytes) shifted kPrefetchBytes ahead.
HWY_INLINE void prefetch_weights(const void* p, size_t n_bytes) {
  // Integer arithmetic: the address may lie past the end of the weights.
  const uintptr_t ahead = reinterpret_cast<uintptr_t>(p) + kPrefetchBytes;
  for (size_t offset = 0; offset < n_bytes; offset += 64) hwy::Prefetch(reinterpret_cast<const char*>(ahead + offset));
}

#if HEARTH_MATMUL_AVX2

HWY_INLINE float hsum_avx2(__m256 v) {
  __m128 sum = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  sum = _mm_add_ps(sum, _mm_movehl_ps(sum, sum));
  sum = _mm_add_ss(sum, _mm_movehdup_ps(sum));
  return _mm_cvtss_f32(sum);
}

// An empty asm that claims to change v: stops GCC's reassociation from turning a
// chain of integer accumulations into a balanced tree whose many live partial
// sums spill to the stack (measured: ~36 spilled ymm stores per Q4_K block at
// four tokens). Integer sums are exact, so the order does not change results.
HWY_INLINE void keep_in_register(__m256i& v) { asm("" : "+x"(v)); }

// Eight int32 sums of four products each of signed bytes w * x, where
// abs_w = |w| (as unsigned; |-128| = 128 is fine) is precomputed once per block.
HWY_INLINE __m256i dot_s8_avx2(__m256i w, __m256i abs_w, __m256i x) {
  const __m256i pairs = _mm256_maddubs_epi16(abs_w, _mm256_sign_epi8(x, w));  // |pair| <= 2*128*127: no saturation
  return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}

// Eight int32 sums of four products u * x, u in [0, 63], each pair scaled by `scale`
// (int16 lanes). |u * x| pairs stay below 2^15: no saturation.
HWY_INLINE __m256i dot_u6_s8_scaled_avx2(__m256i u, __m256i x, __m256i scale) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, x), scale);
}

// For kernels with one int16 scale per 16 values (Q6_K, Q3_K, Q2_K), given a
// register holding eight scales in both 128-bit lanes: picks[k] spreads word 2k
// to every word of the lower lane and word 2k+1 to every word of the upper lane.
HWY_INLINE void make_pair_scale_picks(__m256i picks[4]) {
  for (int pair_idx = 0; pair_idx < 4; ++pair_idx) {
    const int low_word = 2 * pair_idx;
    picks[pair_idx] =
        _mm256_setr_m128i(_mm_set1_epi16(static_cast<int16_t>(2 * low_word | (2 * low_word + 1) << 8)),
                          _mm_set1_epi16(static_cast<int16_t>(2 * low_word + 2 | (2 * low_word + 3) << 8)));
  }
}

#else  // Highway 128-bit

using D8 = hn::Full128<int8_t>;
using DU8 = hn::Full128<uint8_t>;
using D16 = hn::Full128<int16_t>;
using D32 = hn::Full128<int32_t>;
using DF32 = hn::Full128<float>;

// acc + the products of 16 signed bytes, as four int32 lanes (in some order).
HWY_INLINE hn::Vec<D32> dot_s8x16(hn::Vec<D8> a, hn::Vec<D8> b, hn::Vec<D32> acc) {
  const D16 d16;
  const D32 d32;
  const hn::Half<D8> d8_half;
  auto odd = hn::Zero(d32);
  acc = hn::ReorderWidenMulAccumulate(d32, hn::PromoteTo(d16, hn::LowerHalf(d8_half, a)),
                                      hn::PromoteTo(d16, hn::LowerHalf(d8_half, b)), acc, odd);
  acc = hn::ReorderWidenMulAccumulate(d32, hn::PromoteTo(d16, hn::UpperHalf(d8_half, a)),
                                      hn::PromoteTo(d16, hn::UpperHalf(d8_half, b)), acc, odd);
  return hn::Add(acc, odd);
}

// Same for unsigned values below 128 (the K-type quants), reinterpreted as signed.
HWY_INLINE hn::Vec<D32> dot_u7x16(hn::Vec<DU8> a, const int8_t* HWY_RESTRICT b, hn::Vec<D32> acc) {
  return dot_s8x16(hn::BitCast(D8(), a), hn::LoadU(D8(), b), acc);
}

#endif  // HEARTH_MATMUL_AVX2

}  // namespace hearth::tensor::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // HEARTH_TENSOR_MATMUL_SIMD_INL_H_
