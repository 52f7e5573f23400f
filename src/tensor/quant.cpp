// dequantize_row: the SIMD path, compiled per target and dispatched at runtime.
//
// Each block is first decoded to signed byte quants with 128-bit byte
// operations, then widened, converted and scaled with exactly the float
// operations of quant_ref.cpp (a multiply, then for Q4_K/Q5_K a subtract; never
// fused), so the result equals dequantize_row_ref bit for bit.
#include <cassert>
#include <cstring>

#include "tensor/quant.h"
#include "tensor/quant_blocks.h"

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tensor/quant.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "tensor/block32_unpack-inl.h"
#include "tensor/f16_vec-inl.h"
#include "tensor/fp16.h"
#include "tensor/low_bit_k_unpack-inl.h"
#include "tensor/q6_k_unpack-inl.h"

HWY_BEFORE_NAMESPACE();
namespace hearth::tensor::HWY_NAMESPACE {
namespace {

namespace hn = hwy::HWY_NAMESPACE;
using DF = hn::ScalableTag<float>;
using DU8 = hn::Full128<uint8_t>;
using D8 = hn::Full128<int8_t>;

// out[i] = d * q[i] for n (a multiple of 16) quants.
HWY_INLINE void scale_quants(const int8_t* HWY_RESTRICT q, float d, float* HWY_RESTRICT out, int n) {
  const DF df;
  const hn::RebindToSigned<DF> di32;
  const hn::Rebind<int8_t, DF> di8;
  const int lanes = static_cast<int>(hn::Lanes(df));
  const auto d_vec = hn::Set(df, d);
  for (int idx = 0; idx < n; idx += lanes) {
    const auto values = hn::ConvertTo(df, hn::PromoteTo(di32, hn::LoadU(di8, q + idx)));
    hn::StoreU(hn::Mul(d_vec, values), df, out + idx);
  }
}

// out[i] = d * q[i] - min for n (a multiple of 16) quants.
HWY_INLINE void scale_shift_quants(const int8_t* HWY_RESTRICT q, float d, float min, float* HWY_RESTRICT out, int n) {
  const DF df;
  const hn::RebindToSigned<DF> di32;
  const hn::Rebind<int8_t, DF> di8;
  const int lanes = static_cast<int>(hn::Lanes(df));
  const auto d_vec = hn::Set(df, d);
  const auto min_vec = hn::Set(df, min);
  for (int idx = 0; idx < n; idx += lanes) {
    const auto values = hn::ConvertTo(df, hn::PromoteTo(di32, hn::LoadU(di8, q + idx)));
    hn::StoreU(hn::Sub(hn::Mul(d_vec, values), min_vec), df, out + idx);
  }
}

// out[i] = d * q[i] + m for n (a multiple of 16) quants.
HWY_INLINE void scale_add_quants(const int8_t* HWY_RESTRICT q, float d, float m, float* HWY_RESTRICT out, int n) {
  const DF df;
  const hn::RebindToSigned<DF> di32;
  const hn::Rebind<int8_t, DF> di8;
  const int lanes = static_cast<int>(hn::Lanes(df));
  const auto d_vec = hn::Set(df, d);
  const auto m_vec = hn::Set(df, m);
  for (int idx = 0; idx < n; idx += lanes) {
    const auto values = hn::ConvertTo(df, hn::PromoteTo(di32, hn::LoadU(di8, q + idx)));
    hn::StoreU(hn::Add(hn::Mul(d_vec, values), m_vec), df, out + idx);
  }
}

void dequantize_q4_0(const BlockQ4_0* blocks, float* dst, int64_t n_blocks) {
  const DU8 du8;
  HWY_ALIGN int8_t q[kQ4_0BlockElems];
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    const auto packed = hn::LoadU(du8, blocks[block_idx].qs);
    const auto eight = hn::Set(du8, 8);
    hn::StoreU(hn::BitCast(D8(), hn::Sub(hn::And(packed, hn::Set(du8, 0x0F)), eight)), D8(), q);
    hn::StoreU(hn::BitCast(D8(), hn::Sub(hn::ShiftRight<4>(packed), eight)), D8(), q + 16);
    // quant_ref computes float(q) * d; multiplication commutes exactly.
    scale_quants(q, f16_to_f32(blocks[block_idx].d), dst + block_idx * kQ4_0BlockElems, kQ4_0BlockElems);
  }
}

// The 32-value block types other than Q4_0/Q8_0: Decode(block, first, second)
// gives the int8 quants (block32_unpack-inl.h), value = d * q (+ m when kHasMin).
template <class Block, bool kHasMin, class Decode>
void dequantize_block32(const Block* blocks, float* dst, int64_t n_blocks, Decode decode) {
  HWY_ALIGN int8_t q[kQ32BlockElems];
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    const Block& block = blocks[block_idx];
    hn::Vec<D8> first, second;
    decode(block, first, second);
    hn::StoreU(first, D8(), q);
    hn::StoreU(second, D8(), q + 16);
    float* out = dst + block_idx * kQ32BlockElems;
    if constexpr (kHasMin) {
      scale_add_quants(q, f16_to_f32(block.d), f16_to_f32(block.m), out, kQ32BlockElems);
    } else {
      scale_quants(q, f16_to_f32(block.d), out, kQ32BlockElems);
    }
  }
}

void dequantize_q8_0(const BlockQ8_0* blocks, float* dst, int64_t n_blocks) {
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    scale_quants(blocks[block_idx].qs, f16_to_f32(blocks[block_idx].d), dst + block_idx * kQ8_0BlockElems,
                 kQ8_0BlockElems);
  }
}

// Q4_K (high_bits null) and Q5_K: value = (d * scale) * q - dmin * min per sub-block.
void dequantize_k4_k5(uint16_t d_bits, uint16_t dmin_bits, const uint8_t* scales, const uint8_t* qs,
                      const uint8_t* high_bits, float* out) {
  const DU8 du8;
  HWY_ALIGN int8_t q[kQKBlockElems];
  const auto low_mask = hn::Set(du8, 0x0F);
  hn::Vec<DU8> high_bits0 = hn::Zero(du8), high_bits1 = hn::Zero(du8);
  if (high_bits != nullptr) {
    high_bits0 = hn::LoadU(du8, high_bits);
    high_bits1 = hn::LoadU(du8, high_bits + 16);
  }
  for (int group_idx = 0; group_idx < 4; ++group_idx) {
    for (int part_idx = 0; part_idx < 2; ++part_idx) {
      const auto packed = hn::LoadU(du8, qs + 32 * group_idx + 16 * part_idx);
      auto low = hn::And(packed, low_mask);
      auto high = hn::ShiftRight<4>(packed);
      if (high_bits != nullptr) {
        const auto bits = part_idx == 0 ? high_bits0 : high_bits1;
        low = hn::Or(low, hn::ShiftLeft<4>(hn::And(bits, hn::Set(du8, 1))));
        high = hn::Or(high, hn::ShiftLeft<3>(hn::And(bits, hn::Set(du8, 2))));
      }
      hn::StoreU(hn::BitCast(D8(), low), D8(), q + 64 * group_idx + 16 * part_idx);
      hn::StoreU(hn::BitCast(D8(), high), D8(), q + 64 * group_idx + 32 + 16 * part_idx);
    }
    high_bits0 = hn::ShiftRight<2>(high_bits0);
    high_bits1 = hn::ShiftRight<2>(high_bits1);
  }
  const float d = f16_to_f32(d_bits);
  const float dmin = f16_to_f32(dmin_bits);
  for (int sub_idx = 0; sub_idx < 8; ++sub_idx) {
    uint8_t scale, min;
    unpack_q4_k_scale_min(scales, sub_idx, &scale, &min);
    scale_shift_quants(q + 32 * sub_idx, d * static_cast<float>(scale), dmin * static_cast<float>(min),
                       out + 32 * sub_idx, 32);
  }
}

void dequantize_q6_k(const BlockQ6_K* blocks, float* dst, int64_t n_blocks) {
  const DU8 du8;
  HWY_ALIGN int8_t q[kQKBlockElems];
  const auto offset = hn::Set(du8, 32);
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    const BlockQ6_K& block = blocks[block_idx];
    for (int half_idx = 0; half_idx < 2; ++half_idx) {
      for (int part_idx = 0; part_idx < 2; ++part_idx) {
        hn::Vec<DU8> quarters[4];
        unpack_q6_k_quarters(du8, block, half_idx, part_idx, quarters);
        for (int quarter_idx = 0; quarter_idx < 4; ++quarter_idx) {
          // Wrapping subtraction gives the signed quant in [-32, 31].
          hn::StoreU(hn::BitCast(D8(), hn::Sub(quarters[quarter_idx], offset)), D8(),
                     q + 128 * half_idx + 32 * quarter_idx + 16 * part_idx);
        }
      }
    }
    const float d = f16_to_f32(block.d);
    float* out = dst + block_idx * kQKBlockElems;
    for (int sub_idx = 0; sub_idx < 16; ++sub_idx) {
      scale_quants(q + 16 * sub_idx, d * static_cast<float>(block.scales[sub_idx]), out + 16 * sub_idx, 16);
    }
  }
}

void dequantize_iq4_xs(const BlockIQ4_XS* blocks, float* dst, int64_t n_blocks) {
  HWY_ALIGN int8_t q[32];
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    const BlockIQ4_XS& block = blocks[block_idx];
    const float d = f16_to_f32(block.d);
    for (int sub_idx = 0; sub_idx < 8; ++sub_idx) {
      hn::Vec<D8> first, second;
      decode_iq4_levels(block.qs + 16 * sub_idx, first, second);
      hn::StoreU(first, D8(), q);
      hn::StoreU(second, D8(), q + 16);
      scale_quants(q, d * static_cast<float>(iq4_xs_scale(block, sub_idx)),
                   dst + block_idx * kQKBlockElems + 32 * sub_idx, 32);
    }
  }
}

// Q2_K and Q3_K: sub-block 8h + 2k + p holds values 128h + 32k + 16p .. + 15.
void dequantize_q3_k(const BlockQ3_K* blocks, float* dst, int64_t n_blocks) {
  const DU8 du8;
  HWY_ALIGN int8_t q[16];
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    const BlockQ3_K& block = blocks[block_idx];
    const float d = f16_to_f32(block.d);
    int8_t scales[16];
    unpack_q3_k_scales(block.scales, scales);
    for (int sub_idx = 0; sub_idx < 16; ++sub_idx) {
      const int half_idx = sub_idx / 8, group_idx = (sub_idx % 8) / 2, part_idx = sub_idx % 2;
      const auto plus_4 = q3_k_quants_plus_4(du8, block, half_idx, part_idx, group_idx);
      hn::StoreU(hn::BitCast(D8(), hn::Sub(plus_4, hn::Set(du8, 4))), D8(), q);
      scale_quants(q, d * static_cast<float>(scales[sub_idx]), dst + block_idx * kQKBlockElems + 16 * sub_idx, 16);
    }
  }
}

void dequantize_q2_k(const BlockQ2_K* blocks, float* dst, int64_t n_blocks) {
  const DU8 du8;
  HWY_ALIGN int8_t q[16];
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    const BlockQ2_K& block = blocks[block_idx];
    const float d = f16_to_f32(block.d);
    const float dmin = f16_to_f32(block.dmin);
    for (int sub_idx = 0; sub_idx < 16; ++sub_idx) {
      const int half_idx = sub_idx / 8, group_idx = (sub_idx % 8) / 2, part_idx = sub_idx % 2;
      hn::StoreU(hn::BitCast(D8(), q2_k_quants(du8, block, half_idx, part_idx, group_idx)), D8(), q);
      const uint8_t scale_min = block.scales[sub_idx];
      scale_shift_quants(q, d * static_cast<float>(scale_min & 0xF), dmin * static_cast<float>(scale_min >> 4),
                         dst + block_idx * kQKBlockElems + 16 * sub_idx, 16);
    }
  }
}

void dequantize_q8_k(const BlockQ8_K* blocks, float* dst, int64_t n_blocks) {
  for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
    scale_quants(blocks[block_idx].qs, blocks[block_idx].d, dst + block_idx * kQKBlockElems, kQKBlockElems);
  }
}

void dequantize_row_impl(DType dtype, const void* src, float* dst, int64_t n) {
  const DF df;
  const int64_t lanes = static_cast<int64_t>(hn::Lanes(df));
  const int64_t n_blocks = n / dtype_info(dtype).block_elems;
  switch (dtype) {
    case DType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case DType::kF16:
    case DType::kBF16: {
      const uint16_t* halves = static_cast<const uint16_t*>(src);
      int64_t idx = 0;
      for (; idx + lanes <= n; idx += lanes) {
        hn::StoreU(dtype == DType::kF16 ? load_f16(df, halves + idx) : load_bf16(df, halves + idx), df, dst + idx);
      }
      for (; idx < n; ++idx) dst[idx] = dtype == DType::kF16 ? f16_to_f32(halves[idx]) : bf16_to_f32(halves[idx]);
      return;
    }
    case DType::kQ4_0:
      return dequantize_q4_0(static_cast<const BlockQ4_0*>(src), dst, n_blocks);
    case DType::kQ4_1:
      return dequantize_block32<BlockQ4_1, true>(static_cast<const BlockQ4_1*>(src), dst, n_blocks, decode_q4_1);
    case DType::kQ5_1:
      return dequantize_block32<BlockQ5_1, true>(static_cast<const BlockQ5_1*>(src), dst, n_blocks, decode_q5_1);
    case DType::kIQ4_NL:
      return dequantize_block32<BlockIQ4_NL, false>(static_cast<const BlockIQ4_NL*>(src), dst, n_blocks, decode_iq4_nl);
    case DType::kQ5_0:
      return dequantize_block32<BlockQ5_0, false>(static_cast<const BlockQ5_0*>(src), dst, n_blocks, decode_q5_0);
    case DType::kQ8_0:
      return dequantize_q8_0(static_cast<const BlockQ8_0*>(src), dst, n_blocks);
    case DType::kQ4_K: {
      const BlockQ4_K* blocks = static_cast<const BlockQ4_K*>(src);
      for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
        const BlockQ4_K& block = blocks[block_idx];
        dequantize_k4_k5(block.d, block.dmin, block.scales, block.qs, nullptr, dst + block_idx * kQKBlockElems);
      }
      return;
    }
    case DType::kQ5_K: {
      const BlockQ5_K* blocks = static_cast<const BlockQ5_K*>(src);
      for (int64_t block_idx = 0; block_idx < n_blocks; ++block_idx) {
        const BlockQ5_K& block = blocks[block_idx];
        dequantize_k4_k5(block.d, block.dmin, block.scales, block.qs, block.qh, dst + block_idx * kQKBlockElems);
      }
      return;
    }
    case DType::kIQ4_XS:
      return dequantize_iq4_xs(static_cast<const BlockIQ4_XS*>(src), dst, n_blocks);
    case DType::kQ3_K:
      return dequantize_q3_k(static_cast<const BlockQ3_K*>(src), dst, n_blocks);
    case DType::kQ2_K:
      return dequantize_q2_k(static_cast<const BlockQ2_K*>(src), dst, n_blocks);
    case DType::kQ6_K:
      return dequantize_q6_k(static_cast<const BlockQ6_K*>(src), dst, n_blocks);
    case DType::kQ8_K:
      return dequantize_q8_k(static_cast<const BlockQ8_K*>(src), dst, n_blocks);
  }
}

}  // namespace
}  // namespace hearth::tensor::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace hearth::tensor {

HWY_EXPORT(dequantize_row_impl);

void dequantize_row(DType dtype, const void* src, float* dst, int64_t n) {
  assert(n % dtype_info(dtype).block_elems == 0);
  HWY_DYNAMIC_DISPATCH(dequantize_row_impl)(dtype, src, dst, n);
}

}  // namespace hearth::tensor
#endif  // HWY_ONCE
