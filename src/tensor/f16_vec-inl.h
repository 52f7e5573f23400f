// Per-target vector half <-> float conversion for the dispatched kernels.
//
// Uses the hardware conversion where the target has one (F16C on the AVX2 and
// AVX-512 targets, FCVT on aarch64 NEON), and otherwise an integer version with
// exactly the semantics of fp16.cpp: Highway 1.0.3's emulated DemoteTo
// truncates instead of rounding and its PromoteTo turns inf/NaN into finite
// values, so neither is used. Both paths round to nearest even.
//
// Included once per target by a file that includes hwy/foreach_target.h.
#if defined(HEARTH_TENSOR_F16_VEC_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef HEARTH_TENSOR_F16_VEC_INL_H_
#undef HEARTH_TENSOR_F16_VEC_INL_H_
#else
#define HEARTH_TENSOR_F16_VEC_INL_H_
#endif

#include <cstdint>

#include "hwy/highway.h"

HWY_BEFORE_NAMESPACE();
namespace hearth::tensor::HWY_NAMESPACE {
namespace hn = hwy::HWY_NAMESPACE;

#undef HEARTH_F16_NATIVE
#if HWY_TARGET == HWY_AVX2 || HWY_TARGET == HWY_AVX3 || HWY_TARGET == HWY_AVX3_DL || \
    (HWY_TARGET == HWY_NEON && HWY_ARCH_ARM_A64)
#define HEARTH_F16_NATIVE 1
#else
#define HEARTH_F16_NATIVE 0
#endif

// Loads Lanes(df) halves from `src` and widens them (exact).
template <class DF>
HWY_INLINE hn::Vec<DF> load_f16(DF df, const uint16_t* HWY_RESTRICT src) {
#if HEARTH_F16_NATIVE
  const hn::Rebind<hwy::float16_t, DF> dh;
  return hn::PromoteTo(df, hn::LoadU(dh, reinterpret_cast<const hwy::float16_t*>(src)));
#else
  const hn::RebindToUnsigned<DF> du32;
  const hn::RebindToSigned<DF> di32;
  const hn::Rebind<uint16_t, DF> du16;
  const auto half = hn::PromoteTo(du32, hn::LoadU(du16, src));
  const auto sign = hn::ShiftLeft<16>(hn::And(half, hn::Set(du32, 0x8000u)));
  const auto magnitude = hn::And(half, hn::Set(du32, 0x7FFFu));
  const auto exponent = hn::ShiftRight<10>(magnitude);
  const auto normal = hn::Add(hn::ShiftLeft<13>(magnitude), hn::Set(du32, 112u << 23));
  const auto inf_nan = hn::Or(hn::ShiftLeft<13>(magnitude), hn::Set(du32, 0x7F800000u));
  // Subnormal halves (exponent 0) are mantissa * 2^-24, exact in float.
  const auto subnormal = hn::BitCast(
      du32, hn::Mul(hn::ConvertTo(df, hn::BitCast(di32, magnitude)), hn::Set(df, 5.9604644775390625e-8f)));
  auto bits = hn::IfThenElse(exponent == hn::Zero(du32), subnormal, normal);
  bits = hn::IfThenElse(exponent == hn::Set(du32, 31u), inf_nan, bits);
  return hn::BitCast(df, hn::Or(bits, sign));
#endif
}

// Rounds Lanes(df) floats to halves (nearest even, overflow to inf, NaN kept) and stores them.
template <class DF>
HWY_INLINE void store_f16(DF df, hn::Vec<DF> values, uint16_t* HWY_RESTRICT dst) {
#if HEARTH_F16_NATIVE
  const hn::Rebind<hwy::float16_t, DF> dh;
  hn::StoreU(hn::DemoteTo(dh, values), dh, reinterpret_cast<hwy::float16_t*>(dst));
#else
  const hn::RebindToUnsigned<DF> du32;
  const hn::RebindToSigned<DF> di32;
  const hn::Rebind<uint16_t, DF> du16;
  const auto bits = hn::BitCast(du32, values);
  const auto sign = hn::And(hn::ShiftRight<16>(bits), hn::Set(du32, 0x8000u));
  const auto abs_bits = hn::And(bits, hn::Set(du32, 0x7FFFFFFFu));
  const auto abs_signed = hn::BitCast(di32, abs_bits);  // non-negative: signed compares are safe
  // Normal halves: rebias the exponent and round the 13 dropped bits to nearest even.
  const auto odd = hn::And(hn::ShiftRight<13>(abs_bits), hn::Set(du32, 1u));
  const auto normal = hn::ShiftRight<13>(hn::Add(hn::Sub(abs_bits, hn::Set(du32, 112u << 23)),
                                                 hn::Add(hn::Set(du32, 0xFFFu), odd)));
  // Subnormal halves: adding 0.5f rounds |x| to a multiple of 2^-24 (the float
  // spacing in [0.5, 1)); the low mantissa bits then hold the half's bits.
  const auto subnormal = hn::Sub(hn::BitCast(du32, hn::Add(hn::BitCast(df, abs_bits), hn::Set(df, 0.5f))),
                                 hn::Set(du32, 0x3F000000u));
  const auto nan = hn::Or(hn::Set(du32, 0x7E00u), hn::And(hn::ShiftRight<13>(abs_bits), hn::Set(du32, 0x3FFu)));
  auto result = hn::IfThenElse(hn::RebindMask(du32, abs_signed < hn::Set(di32, 0x38800000)), subnormal, normal);
  result = hn::IfThenElse(hn::RebindMask(du32, abs_signed > hn::Set(di32, 0x477FEFFF)), hn::Set(du32, 0x7C00u),
                          result);
  result = hn::IfThenElse(hn::RebindMask(du32, abs_signed > hn::Set(di32, 0x7F800000)), nan, result);
  result = hn::Or(result, sign);
  hn::StoreU(hn::DemoteTo(du16, hn::BitCast(di32, result)), du16, dst);
#endif
}

// Widens Lanes(df) bfloat16 values (exact: a bfloat16 is the top half of a float).
template <class DF>
HWY_INLINE hn::Vec<DF> load_bf16(DF df, const uint16_t* HWY_RESTRICT src) {
  const hn::RebindToUnsigned<DF> du32;
  const hn::Rebind<uint16_t, DF> du16;
  return hn::BitCast(df, hn::ShiftLeft<16>(hn::PromoteTo(du32, hn::LoadU(du16, src))));
}

}  // namespace hearth::tensor::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // HEARTH_TENSOR_F16_VEC_INL_H_
