// Per-target decoding of the 32-value block types to int8 quants with 128-bit
// byte operations, shared by the SIMD dequantizer (quant.cpp) and the portable
// matmul kernels (matmul_block32-inl.h). Each decoder writes values 0..15 of
// the block to `first` and 16..31 to `second`, exactly the integers the scalar
// reference (quant_ref.cpp) multiplies by the block scale.
//
// Included once per target by a file that includes hwy/foreach_target.h.
#if defined(HEARTH_TENSOR_BLOCK32_UNPACK_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef HEARTH_TENSOR_BLOCK32_UNPACK_INL_H_
#undef HEARTH_TENSOR_BLOCK32_UNPACK_INL_H_
#else
#define HEARTH_TENSOR_BLOCK32_UNPACK_INL_H_
#endif

#include <cstdint>
#include <cstring>

#include "hwy/highway.h"
#include "tensor/quant_blocks.h"

HWY_BEFORE_NAMESPACE();
namespace hearth::tensor::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

using Block32U8 = hn::Full128<uint8_t>;
using Block32I8 = hn::Full128<int8_t>;

// 0x10 in byte i where bit i of `bits` is set (i < 16), else 0.
HWY_INLINE hn::Vec<Block32U8> expand_fifth_bits(uint32_t bits) {
  const Block32U8 du8;
  // Byte i of the result looks at byte i / 8 of `bits` and tests bit i % 8.
  alignas(16) static constexpr uint8_t kByteOf[16] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1};
  alignas(16) static constexpr uint8_t kBitOf[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
  const auto spread =
      hn::TableLookupBytes(hn::BitCast(du8, hn::Set(hn::Full128<uint32_t>(), bits)), hn::Load(du8, kByteOf));
  return hn::IfThenElseZero(hn::TestBit(spread, hn::Load(du8, kBitOf)), hn::Set(du8, 0x10));
}

// The unsigned 4-bit (or, with qh, 5-bit) quants of a Q4_0-ordered block.
HWY_INLINE void unpack_nibble_quants(const uint8_t* qs, const uint8_t* qh, hn::Vec<Block32U8>& first,
                                     hn::Vec<Block32U8>& second) {
  const Block32U8 du8;
  const auto packed = hn::LoadU(du8, qs);
  first = hn::And(packed, hn::Set(du8, 0x0F));
  second = hn::ShiftRight<4>(packed);
  if (qh != nullptr) {
    uint32_t bits;
    std::memcpy(&bits, qh, sizeof bits);
    first = hn::Or(first, expand_fifth_bits(bits & 0xFFFF));
    second = hn::Or(second, expand_fifth_bits(bits >> 16));
  }
}

// Q5_0: signed quants in [-16, 15].
HWY_INLINE void decode_q5_0(const BlockQ5_0& block, hn::Vec<Block32I8>& first, hn::Vec<Block32I8>& second) {
  const Block32U8 du8;
  hn::Vec<Block32U8> low, high;
  unpack_nibble_quants(block.qs, block.qh, low, high);
  // Wrapping subtraction gives the signed value.
  first = hn::BitCast(Block32I8(), hn::Sub(low, hn::Set(du8, 16)));
  second = hn::BitCast(Block32I8(), hn::Sub(high, hn::Set(du8, 16)));
}

// Q4_1: unsigned quants in [0, 15].
HWY_INLINE void decode_q4_1(const BlockQ4_1& block, hn::Vec<Block32I8>& first, hn::Vec<Block32I8>& second) {
  hn::Vec<Block32U8> low, high;
  unpack_nibble_quants(block.qs, nullptr, low, high);
  first = hn::BitCast(Block32I8(), low);
  second = hn::BitCast(Block32I8(), high);
}

// Q5_1: unsigned quants in [0, 31].
HWY_INLINE void decode_q5_1(const BlockQ5_1& block, hn::Vec<Block32I8>& first, hn::Vec<Block32I8>& second) {
  hn::Vec<Block32U8> low, high;
  unpack_nibble_quants(block.qs, block.qh, low, high);
  first = hn::BitCast(Block32I8(), low);
  second = hn::BitCast(Block32I8(), high);
}

// IQ4_NL (and each 32-value sub-block of IQ4_XS): the levels kIQ4Levels[nibble].
HWY_INLINE void decode_iq4_levels(const uint8_t* qs, hn::Vec<Block32I8>& first, hn::Vec<Block32I8>& second) {
  const Block32I8 d8;
  hn::Vec<Block32U8> low, high;
  unpack_nibble_quants(qs, nullptr, low, high);
  const auto levels = hn::LoadU(d8, kIQ4Levels);
  first = hn::TableLookupBytes(levels, hn::BitCast(d8, low));
  second = hn::TableLookupBytes(levels, hn::BitCast(d8, high));
}

HWY_INLINE void decode_iq4_nl(const BlockIQ4_NL& block, hn::Vec<Block32I8>& first, hn::Vec<Block32I8>& second) {
  decode_iq4_levels(block.qs, first, second);
}

}  // namespace hearth::tensor::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // HEARTH_TENSOR_BLOCK32_UNPACK_INL_H_
