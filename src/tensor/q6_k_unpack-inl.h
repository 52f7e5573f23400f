// Per-target unpacking of Q6_K quants, shared by the SIMD dequantizer
// (quant.cpp) and the portable Q6_K matmul kernel (matmul_k_quants-inl.h).
//
// Layout (quant_blocks.h): a 256-value block is two halves of 128; value
// l of quarter q in half h (l < 32, q < 4) takes its low 4 bits from
// ql[64h + 32(q & 1) + l] (low nibble for q < 2, high nibble otherwise) and
// its high 2 bits from bits 2q..2q+1 of qh[32h + l].
//
// Included once per target by a file that includes hwy/foreach_target.h.
#if defined(HEARTH_TENSOR_Q6_K_UNPACK_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef HEARTH_TENSOR_Q6_K_UNPACK_INL_H_
#undef HEARTH_TENSOR_Q6_K_UNPACK_INL_H_
#else
#define HEARTH_TENSOR_Q6_K_UNPACK_INL_H_
#endif

#include <cstdint>

#include "hwy/highway.h"
#include "tensor/quant_blocks.h"

HWY_BEFORE_NAMESPACE();
namespace hearth::tensor::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

// Writes to quarters[q] the unsigned 6-bit quants (0..63) of values
// l = 16 * part_idx .. 16 * part_idx + 15 of quarter q of half half_idx.
template <class DU8>
HWY_INLINE void unpack_q6_k_quarters(DU8 du8, const BlockQ6_K& block, int half_idx, int part_idx,
                                     hn::Vec<DU8> quarters[4]) {
  const auto low_mask = hn::Set(du8, 0x0F);
  const auto ql_a = hn::LoadU(du8, block.ql + 64 * half_idx + 16 * part_idx);
  const auto ql_b = hn::LoadU(du8, block.ql + 64 * half_idx + 32 + 16 * part_idx);
  const auto qh = hn::LoadU(du8, block.qh + 32 * half_idx + 16 * part_idx);
  quarters[0] = hn::Or(hn::And(ql_a, low_mask), hn::ShiftLeft<4>(hn::And(qh, hn::Set(du8, 0x03))));
  quarters[1] = hn::Or(hn::And(ql_b, low_mask), hn::ShiftLeft<2>(hn::And(qh, hn::Set(du8, 0x0C))));
  quarters[2] = hn::Or(hn::ShiftRight<4>(ql_a), hn::And(qh, hn::Set(du8, 0x30)));
  quarters[3] = hn::Or(hn::ShiftRight<4>(ql_b), hn::ShiftRight<2>(hn::And(qh, hn::Set(du8, 0xC0))));
}

}  // namespace hearth::tensor::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // HEARTH_TENSOR_Q6_K_UNPACK_INL_H_
