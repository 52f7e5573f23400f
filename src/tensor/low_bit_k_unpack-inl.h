// Per-target unpacking of Q2_K and Q3_K quants with 128-bit byte operations,
// shared by the SIMD dequantizer (quant.cpp) and the portable matmul kernels
// (matmul_low_bit_k-inl.h). Layout: quant_blocks.h (BlockQ3_K, BlockQ2_K).
//
// Included once per target by a file that includes hwy/foreach_target.h.
#if defined(HEARTH_TENSOR_LOW_BIT_K_UNPACK_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef HEARTH_TENSOR_LOW_BIT_K_UNPACK_INL_H_
#undef HEARTH_TENSOR_LOW_BIT_K_UNPACK_INL_H_
#else
#define HEARTH_TENSOR_LOW_BIT_K_UNPACK_INL_H_
#endif

#include <cstdint>

#include "hwy/highway.h"
#include "tensor/quant_blocks.h"

HWY_BEFORE_NAMESPACE();
namespace hearth::tensor::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// The 2-bit quants (0..3) of values l = 16 * part_idx .. + 15 of group
// `group_idx` of half `half_idx`: sub-block 8 * half + 2 * group + part.
template <class DU8>
HWY_INLINE hn::Vec<DU8> q2_k_quants(DU8 du8, const BlockQ2_K& block, int half_idx, int part_idx, int group_idx) {
  const auto packed = hn::LoadU(du8, block.qs + 32 * half_idx + 16 * part_idx);
  return hn::And(hn::ShiftRightSame(packed, 2 * group_idx), hn::Set(du8, 3));
}

// The same 16 values of a Q3_K block as quant + 4, in [0, 7]: the 2 low bits,
// plus 4 where bit 4 * half + group of hmask[l] is set.
template <class DU8>
HWY_INLINE hn::Vec<DU8> q3_k_quants_plus_4(DU8 du8, const BlockQ3_K& block, int half_idx, int part_idx, int group_idx) {
  const auto packed = hn::LoadU(du8, block.qs + 32 * half_idx + 16 * part_idx);
  const auto high_mask = hn::LoadU(du8, block.hmask + 16 * part_idx);
  const auto low = hn::And(hn::ShiftRightSame(packed, 2 * group_idx), hn::Set(du8, 3));
  const auto high = hn::And(hn::ShiftRightSame(high_mask, 4 * half_idx + group_idx), hn::Set(du8, 1));
  return hn::Or(low, hn::ShiftLeft<2>(high));
}

}  // namespace hearth::tensor::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // HEARTH_TENSOR_LOW_BIT_K_UNPACK_INL_H_
