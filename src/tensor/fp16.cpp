// Scalar IEEE half / bfloat16 conversions by bit manipulation (no F16C needed).
// ref: IEEE 754-2008 binary16; bfloat16 is the top half of a binary32.
#include "tensor/fp16.h"

namespace hearth::tensor {
namespace {

uint32_t float_bits(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

float bits_float(uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

}  // namespace

float f16_to_f32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  const uint32_t exponent = (h >> 10) & 0x1F;
  const uint32_t mantissa = h & 0x3FF;
  if (exponent == 0x1F) return bits_float(sign | 0x7F800000u | (mantissa << 13));  // inf / NaN
  if (exponent != 0) return bits_float(sign | ((exponent + 112) << 23) | (mantissa << 13));
  if (mantissa == 0) return bits_float(sign);
  // Subnormal half: mantissa * 2^-24, exact in float.
  const float magnitude = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
  return sign ? -magnitude : magnitude;
}

uint16_t f32_to_f16(float f) {
  const uint32_t bits = float_bits(f);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000);
  const uint32_t abs_bits = bits & 0x7FFFFFFFu;
  if (abs_bits > 0x7F800000u) {
    // NaN: keep the top mantissa bits and force a quiet bit so it stays a NaN.
    return static_cast<uint16_t>(sign | 0x7E00 | ((abs_bits >> 13) & 0x3FF));
  }
  // Values >= 65520 round to infinity (65504 is the largest half; halfway rounds up).
  if (abs_bits >= 0x477FF000u) return static_cast<uint16_t>(sign | 0x7C00);
  if (abs_bits < 0x38800000u) {
    // Result is a half subnormal or zero: round abs * 2^24 to an integer, nearest even.
    // Adding 0.5f as a float does exactly that for magnitudes below 2^-14.
    const float scaled = bits_float(abs_bits) + 0.5f;
    // scaled = 0.5 + m * 2^-24 with an exact float spacing of 2^-24 at [0.5, 1): the
    // low mantissa bits of `scaled` hold the rounded integer m.
    const uint32_t rounded = float_bits(scaled) - float_bits(0.5f);
    return static_cast<uint16_t>(sign | rounded);
  }
  // Normal half: rebias the exponent, round 13 dropped bits to nearest even.
  const uint32_t odd = (abs_bits >> 13) & 1;
  const uint32_t rebiased = abs_bits - (112u << 23) + 0xFFF + odd;
  return static_cast<uint16_t>(sign | (rebiased >> 13));
}

uint16_t f32_to_bf16(float f) {
  const uint32_t bits = float_bits(f);
  if ((bits & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<uint16_t>((bits >> 16) | 0x40);  // quiet NaN
  const uint32_t odd = (bits >> 16) & 1;
  return static_cast<uint16_t>((bits + 0x7FFF + odd) >> 16);
}

}  // namespace hearth::tensor
