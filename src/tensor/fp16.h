// IEEE half and bfloat16 conversions (scalar; bulk conversions live in ops.h).
#pragma once

#include <cstdint>
#include <cstring>

namespace hearth::tensor {

float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);  // round to nearest even, overflow to inf, NaN kept

inline float bf16_to_f32(uint16_t h) {
  const uint32_t bits = static_cast<uint32_t>(h) << 16;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
uint16_t f32_to_bf16(float f);  // round to nearest even, NaN kept

}  // namespace hearth::tensor
