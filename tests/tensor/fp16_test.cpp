// Scalar half / bfloat16 conversions, checked exhaustively against the rounding
// definition: every midpoint between neighbouring halves rounds to the even one.
#include "tensor/fp16.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace hearth::tensor {
namespace {

uint32_t bits_of(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

TEST(Fp16Test, EveryHalfRoundTrips) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = f16_to_f32(static_cast<uint16_t>(h));
    const bool is_nan = (h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0;
    if (is_nan) {
      ASSERT_TRUE(std::isnan(f)) << h;
      ASSERT_TRUE(std::isnan(f16_to_f32(f32_to_f16(f)))) << h;
      continue;
    }
    ASSERT_EQ(f32_to_f16(f), h) << h;
  }
}

TEST(Fp16Test, ValuesMatchDefinition) {
  EXPECT_EQ(f16_to_f32(0x3C00), 1.0f);
  EXPECT_EQ(f16_to_f32(0xC000), -2.0f);
  EXPECT_EQ(f16_to_f32(0x7BFF), 65504.0f);
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(f16_to_f32(0x03FF), std::ldexp(1023.0f, -24));
  EXPECT_EQ(f16_to_f32(0x0400), std::ldexp(1.0f, -14));
  EXPECT_TRUE(std::isinf(f16_to_f32(0x7C00)));
  EXPECT_EQ(bits_of(f16_to_f32(0x8000)), 0x80000000u);
}

TEST(Fp16Test, MidpointsRoundToEven) {
  for (uint32_t h = 0; h < 0x7BFF; ++h) {
    const float low = f16_to_f32(static_cast<uint16_t>(h));
    const float high = f16_to_f32(static_cast<uint16_t>(h + 1));
    const float mid = (low + high) / 2;  // exact: needs one bit more than a half
    const uint16_t even = static_cast<uint16_t>(h % 2 == 0 ? h : h + 1);
    ASSERT_EQ(f32_to_f16(mid), even) << h;
    ASSERT_EQ(f32_to_f16(-mid), even | 0x8000) << h;
    ASSERT_EQ(f32_to_f16(std::nextafter(mid, 0.0f)), h) << h;
    ASSERT_EQ(f32_to_f16(std::nextafter(mid, 1e9f)), h + 1) << h;
  }
}

TEST(Fp16Test, OverflowAndSpecials) {
  EXPECT_EQ(f32_to_f16(65519.996f), 0x7BFF);
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7C00);  // the midpoint to "65536" rounds to even: inf
  EXPECT_EQ(f32_to_f16(1e10f), 0x7C00);
  EXPECT_EQ(f32_to_f16(-std::numeric_limits<float>::infinity()), 0xFC00);
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -26)), 0x0000);  // below half the smallest subnormal
  EXPECT_EQ(f32_to_f16(std::ldexp(1.5f, -25)), 0x0001);
  EXPECT_EQ(f32_to_f16(-0.0f), 0x8000);
  EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(std::numeric_limits<float>::quiet_NaN()))));
  // A NaN whose payload lives only in the low 13 bits must not become infinity.
  float low_payload_nan;
  const uint32_t nan_bits = 0x7F800001u;
  std::memcpy(&low_payload_nan, &nan_bits, sizeof nan_bits);
  EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(low_payload_nan))));
}

TEST(Bf16Test, RoundsToNearestEven) {
  EXPECT_EQ(f32_to_bf16(1.0f), 0x3F80);
  float value;
  uint32_t bits = 0x3F808000u;  // exactly halfway between 0x3F80 and 0x3F81: to even
  std::memcpy(&value, &bits, sizeof bits);
  EXPECT_EQ(f32_to_bf16(value), 0x3F80);
  bits = 0x3F818000u;  // halfway between 0x3F81 and 0x3F82: to even
  std::memcpy(&value, &bits, sizeof bits);
  EXPECT_EQ(f32_to_bf16(value), 0x3F82);
  bits = 0x3F808001u;
  std::memcpy(&value, &bits, sizeof bits);
  EXPECT_EQ(f32_to_bf16(value), 0x3F81);
  EXPECT_EQ(bf16_to_f32(0xC040), -3.0f);
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
  bits = 0x7F800001u;
  std::memcpy(&value, &bits, sizeof bits);
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(value))));
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::max()), 0x7F80);  // rounds up to inf
}

}  // namespace
}  // namespace hearth::tensor
