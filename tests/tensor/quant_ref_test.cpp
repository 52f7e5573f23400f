// Round trips through quantize_row_ref / dequantize_row_ref with per-element
// error bounds derived from each layout (see the comment on each bound).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "random_data.h"
#include "tensor/fp16.h"
#include "tensor/quant.h"
#include "tensor/quant_blocks.h"

namespace hearth::tensor {
namespace {

constexpr int64_t kN = 4096;  // 16 super-blocks, 128 blocks of 32

struct RoundTrip {
  std::vector<float> src;
  std::vector<uint8_t> packed;
  std::vector<float> out;
};

RoundTrip round_trip(DType dtype, uint32_t seed) {
  RoundTrip trip;
  trip.src = random_normal(kN, seed);
  trip.packed.resize(static_cast<size_t>(row_bytes(dtype, kN)));
  trip.out.resize(kN);
  quantize_row_ref(dtype, trip.src.data(), trip.packed.data(), kN);
  dequantize_row_ref(dtype, trip.packed.data(), trip.out.data(), kN);
  return trip;
}

// Root-mean-square error relative to the data's RMS (1 for unit normals).
// Expected values: a uniform quantizer with step s has RMS error s / sqrt(12);
// the thresholds below are that estimate for unit normals plus ~30% margin.
double relative_rms_error(const RoundTrip& trip) {
  double err = 0.0, ref = 0.0;
  for (int64_t idx = 0; idx < kN; ++idx) {
    err += std::pow(static_cast<double>(trip.out[idx]) - trip.src[idx], 2);
    ref += std::pow(static_cast<double>(trip.src[idx]), 2);
  }
  return std::sqrt(err / ref);
}

TEST(QuantRefTest, F32IsExact) {
  const RoundTrip trip = round_trip(DType::kF32, 1);
  EXPECT_EQ(trip.src, trip.out);
}

TEST(QuantRefTest, F16AndBf16RoundToNearest) {
  // Half keeps 11 significant bits, bfloat16 8: round to nearest is within half an ulp.
  for (const auto& [dtype, rel_bound] : {std::pair{DType::kF16, 1.0 / 2048}, std::pair{DType::kBF16, 1.0 / 256}}) {
    const RoundTrip trip = round_trip(dtype, 2);
    for (int64_t idx = 0; idx < kN; ++idx) {
      ASSERT_LE(std::fabs(trip.out[idx] - trip.src[idx]), rel_bound * std::fabs(trip.src[idx]) + 1e-7)
          << dtype_info(dtype).name << " idx " << idx;
    }
  }
}

TEST(QuantRefTest, Q8_0) {
  const RoundTrip trip = round_trip(DType::kQ8_0, 3);
  const auto* blocks = reinterpret_cast<const BlockQ8_0*>(trip.packed.data());
  for (int64_t idx = 0; idx < kN; ++idx) {
    // Rounding to the step d is within d/2; the stored d is an f16 (relative error
    // 2^-11) times at most 127 steps: 127 * 2^-11 < 0.07 steps more.
    const float d = f16_to_f32(blocks[idx / 32].d);
    ASSERT_LE(std::fabs(trip.out[idx] - trip.src[idx]), 0.57f * d) << idx;
  }
  EXPECT_LT(relative_rms_error(trip), 0.007);  // step ~ 2.1 / 127
}

TEST(QuantRefTest, Q4_0) {
  const RoundTrip trip = round_trip(DType::kQ4_0, 4);
  const auto* blocks = reinterpret_cast<const BlockQ4_0*>(trip.packed.data());
  for (int64_t idx = 0; idx < kN; ++idx) {
    // The largest magnitude maps to -8 exactly; values of the other sign up to
    // the same magnitude would need +8 and clamp to 7: at most one step |d| off.
    const float d = std::fabs(f16_to_f32(blocks[idx / 32].d));
    ASSERT_LE(std::fabs(trip.out[idx] - trip.src[idx]), 1.0001f * d) << idx;
  }
  EXPECT_LT(relative_rms_error(trip), 0.1);  // step ~ 2.1 / 8
}

TEST(QuantRefTest, Q5_0) {
  const RoundTrip trip = round_trip(DType::kQ5_0, 9);
  const auto* blocks = reinterpret_cast<const BlockQ5_0*>(trip.packed.data());
  for (int64_t idx = 0; idx < kN; ++idx) {
    // As Q4_0: the largest magnitude maps to -16, the other sign clamps at +15.
    const float d = std::fabs(f16_to_f32(blocks[idx / 32].d));
    ASSERT_LE(std::fabs(trip.out[idx] - trip.src[idx]), 1.0001f * d) << idx;
  }
  EXPECT_LT(relative_rms_error(trip), 0.05);  // step ~ 2.1 / 16
}

// Q4_1 / Q5_1: [min, max] spread over the levels, so within half a step d, plus
// the f16 roundings of d (relative 2^-11, times up to n_levels - 1 steps) and m.
template <typename Block>
void check_with_min(const RoundTrip& trip, int n_levels) {
  const auto* blocks = reinterpret_cast<const Block*>(trip.packed.data());
  for (int64_t idx = 0; idx < kN; ++idx) {
    const float d = f16_to_f32(blocks[idx / 32].d);
    const float m = f16_to_f32(blocks[idx / 32].m);
    const float bound = 0.5f * d + (n_levels - 1) * d / 2048.0f + std::fabs(m) / 2048.0f;
    ASSERT_LE(std::fabs(trip.out[idx] - trip.src[idx]), bound * 1.001f + 1e-6f) << idx;
  }
}

TEST(QuantRefTest, Q4_1) {
  const RoundTrip trip = round_trip(DType::kQ4_1, 10);
  check_with_min<BlockQ4_1>(trip, 16);
  EXPECT_LT(relative_rms_error(trip), 0.1);  // step ~ 4.2 / 15
}

TEST(QuantRefTest, Q5_1) {
  const RoundTrip trip = round_trip(DType::kQ5_1, 11);
  check_with_min<BlockQ5_1>(trip, 32);
  EXPECT_LT(relative_rms_error(trip), 0.05);  // step ~ 4.2 / 31
}

TEST(QuantRefTest, IQ4_NL) {
  const RoundTrip trip = round_trip(DType::kIQ4_NL, 12);
  const auto* blocks = reinterpret_cast<const BlockIQ4_NL*>(trip.packed.data());
  for (int64_t idx = 0; idx < kN; ++idx) {
    // Levels are at most 24 apart (89 -> 113), and the other sign than the largest
    // magnitude reaches at most 127 steps: 113 + 14. So within 14 steps of |d|.
    const float d = std::fabs(f16_to_f32(blocks[idx / 32].d));
    ASSERT_LE(std::fabs(trip.out[idx] - trip.src[idx]), 14.01f * d) << idx;
  }
  EXPECT_LT(relative_rms_error(trip), 0.1);
}

// Errors of the low-bit types are bounded by their RMS (the per-element bounds
// of their sub-block fits are checked on hand-built blocks below).
TEST(QuantRefTest, IQ4_XS) {
  const RoundTrip trip = round_trip(DType::kIQ4_XS, 13);
  EXPECT_LT(relative_rms_error(trip), 0.1);
}

TEST(QuantRefTest, Q3_K) {
  const RoundTrip trip = round_trip(DType::kQ3_K, 14);
  EXPECT_LT(relative_rms_error(trip), 0.2);  // step ~ 2.0 / 4
}

TEST(QuantRefTest, Q2_K) {
  const RoundTrip trip = round_trip(DType::kQ2_K, 15);
  // A plain min/max fit of 16 normals: step ~ 3.5 / 3, RMS ~ step / sqrt(12) ~ 0.34
  // (llama.cpp's optimizing quantizer does better; any valid blocks load the same).
  EXPECT_LT(relative_rms_error(trip), 0.36);
}

// Q4_K / Q5_K: the fitted line d_sub * q - m_eff covers the sub-block's range up to
// the rounding of the 6-bit scale (|d_sub - scale| <= d/2, times n_levels - 1
// steps) and of the 6-bit min (<= dmin/2); inside the range the error is d_sub/2.
template <typename Block>
void check_k4_k5(const RoundTrip& trip, int n_levels) {
  const auto* blocks = reinterpret_cast<const Block*>(trip.packed.data());
  for (int64_t idx = 0; idx < kN; ++idx) {
    const Block& block = blocks[idx / 256];
    uint8_t scale, min;
    unpack_q4_k_scale_min(block.scales, static_cast<int>(idx % 256) / 32, &scale, &min);
    const float d = f16_to_f32(block.d);
    const float dmin = f16_to_f32(block.dmin);
    const float bound = 0.5f * d * scale + 0.5f * (n_levels - 1) * d + 0.5f * dmin;
    ASSERT_LE(std::fabs(trip.out[idx] - trip.src[idx]), bound * 1.001f + 1e-6f) << idx;
  }
}

TEST(QuantRefTest, Q4_K) {
  const RoundTrip trip = round_trip(DType::kQ4_K, 5);
  check_k4_k5<BlockQ4_K>(trip, 16);
  EXPECT_LT(relative_rms_error(trip), 0.1);  // step ~ 4.2 / 15
}

TEST(QuantRefTest, Q5_K) {
  const RoundTrip trip = round_trip(DType::kQ5_K, 6);
  check_k4_k5<BlockQ5_K>(trip, 32);
  EXPECT_LT(relative_rms_error(trip), 0.05);  // step ~ 4.2 / 31
}

TEST(QuantRefTest, Q6_K) {
  const RoundTrip trip = round_trip(DType::kQ6_K, 7);
  const auto* blocks = reinterpret_cast<const BlockQ6_K*>(trip.packed.data());
  for (int64_t idx = 0; idx < kN; ++idx) {
    // One step d_sub for the clamp at +31 (as Q4_0), plus 32 steps of the 8-bit
    // scale's rounding error (<= d/2).
    const BlockQ6_K& block = blocks[idx / 256];
    const float d = f16_to_f32(block.d);
    const float d_sub = std::fabs(d * block.scales[(idx % 256) / 16]);
    ASSERT_LE(std::fabs(trip.out[idx] - trip.src[idx]), (d_sub + 16.0f * d) * 1.001f + 1e-6f) << idx;
  }
  EXPECT_LT(relative_rms_error(trip), 0.025);  // step ~ 1.8 / 32
}

TEST(QuantRefTest, Q8_K) {
  const RoundTrip trip = round_trip(DType::kQ8_K, 8);
  const auto* blocks = reinterpret_cast<const BlockQ8_K*>(trip.packed.data());
  for (int64_t idx = 0; idx < kN; ++idx) {
    ASSERT_LE(std::fabs(trip.out[idx] - trip.src[idx]), 0.5001f * blocks[idx / 256].d) << idx;
  }
  for (int64_t block_idx = 0; block_idx < kN / 256; ++block_idx) {
    for (int group_idx = 0; group_idx < 16; ++group_idx) {
      int sum = 0;
      for (int elem_idx = 0; elem_idx < 16; ++elem_idx) sum += blocks[block_idx].qs[16 * group_idx + elem_idx];
      EXPECT_EQ(blocks[block_idx].bsums[group_idx], sum);
    }
  }
  EXPECT_LT(relative_rms_error(trip), 0.009);  // step ~ 2.8 / 127
}

TEST(QuantRefTest, ZerosStayZero) {
  for (DType dtype :
       {DType::kQ4_0, DType::kQ4_1, DType::kQ5_0, DType::kQ5_1, DType::kQ8_0, DType::kIQ4_NL, DType::kIQ4_XS,
        DType::kQ2_K, DType::kQ3_K, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K, DType::kQ8_K}) {
    std::vector<float> zeros(512, 0.0f), out(512, 1.0f);
    std::vector<uint8_t> packed(static_cast<size_t>(row_bytes(dtype, 512)));
    quantize_row_ref(dtype, zeros.data(), packed.data(), 512);
    dequantize_row_ref(dtype, packed.data(), out.data(), 512);
    for (float value : out) ASSERT_EQ(value, 0.0f) << dtype_info(dtype).name;
  }
}

// Hand-built blocks pin the nibble order independently of quantize_row_ref.
TEST(QuantRefTest, Q4_0NibbleOrder) {
  BlockQ4_0 block{};
  block.d = f32_to_f16(0.5f);
  for (int byte_idx = 0; byte_idx < 16; ++byte_idx) {
    block.qs[byte_idx] = static_cast<uint8_t>(byte_idx | ((15 - byte_idx) << 4));
  }
  float out[32];
  dequantize_row_ref(DType::kQ4_0, &block, out, 32);
  for (int byte_idx = 0; byte_idx < 16; ++byte_idx) {
    EXPECT_EQ(out[byte_idx], (byte_idx - 8) * 0.5f);
    EXPECT_EQ(out[byte_idx + 16], (7 - byte_idx) * 0.5f);
  }
}

// Value i's fifth bit is bit i of qh: set only for values 3 and 20 here.
TEST(QuantRefTest, Q5_0HighBitOrder) {
  BlockQ5_0 block{};
  block.d = f32_to_f16(1.0f);
  const uint32_t high_bits = (1u << 3) | (1u << 20);
  std::memcpy(block.qh, &high_bits, sizeof high_bits);
  for (int byte_idx = 0; byte_idx < 16; ++byte_idx)
    block.qs[byte_idx] = static_cast<uint8_t>(byte_idx | (byte_idx << 4));
  float out[32];
  dequantize_row_ref(DType::kQ5_0, &block, out, 32);
  for (int elem_idx = 0; elem_idx < 32; ++elem_idx) {
    const int high = (elem_idx == 3 || elem_idx == 20) ? 16 : 0;
    EXPECT_EQ(out[elem_idx], static_cast<float>((elem_idx % 16) + high - 16)) << elem_idx;
  }
}

TEST(QuantRefTest, IQ4_NLLevels) {
  BlockIQ4_NL block{};
  block.d = f32_to_f16(2.0f);
  for (int byte_idx = 0; byte_idx < 16; ++byte_idx) {
    block.qs[byte_idx] = static_cast<uint8_t>(byte_idx | ((15 - byte_idx) << 4));
  }
  float out[32];
  dequantize_row_ref(DType::kIQ4_NL, &block, out, 32);
  const int levels[16] = {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113};
  for (int byte_idx = 0; byte_idx < 16; ++byte_idx) {
    EXPECT_EQ(out[byte_idx], 2.0f * static_cast<float>(levels[byte_idx]));
    EXPECT_EQ(out[byte_idx + 16], 2.0f * static_cast<float>(levels[15 - byte_idx]));
  }
}

// Q3_K: sub-block j gets scale j - 16 (exercising every bit of the packing),
// value 128h + 32k + l takes quant (l % 8) - 4 (hmask bit set for l % 8 >= 4).
TEST(QuantRefTest, Q3_KLayout) {
  BlockQ3_K block{};
  block.d = f32_to_f16(1.0f);
  for (int sub_idx = 0; sub_idx < 16; ++sub_idx) {
    const int stored = sub_idx - 16 + 32;
    if (sub_idx < 8) {
      block.scales[sub_idx] = static_cast<uint8_t>(block.scales[sub_idx] | (stored & 0xF));
    } else {
      block.scales[sub_idx - 8] = static_cast<uint8_t>(block.scales[sub_idx - 8] | (stored & 0xF) << 4);
    }
    block.scales[8 + sub_idx % 4] =
        static_cast<uint8_t>(block.scales[8 + sub_idx % 4] | (stored >> 4) << (2 * (sub_idx / 4)));
  }
  for (int lane = 0; lane < 32; ++lane) {
    const int plus_4 = lane % 8;
    for (int half = 0; half < 2; ++half) {
      for (int group = 0; group < 4; ++group) {
        block.qs[32 * half + lane] = static_cast<uint8_t>(block.qs[32 * half + lane] | (plus_4 & 3) << (2 * group));
        if (plus_4 >= 4) block.hmask[lane] = static_cast<uint8_t>(block.hmask[lane] | 1 << (4 * half + group));
      }
    }
  }
  int8_t unpacked[16];
  unpack_q3_k_scales(block.scales, unpacked);
  for (int sub_idx = 0; sub_idx < 16; ++sub_idx) {
    EXPECT_EQ(q3_k_scale(block.scales, sub_idx), sub_idx - 16);
    EXPECT_EQ(unpacked[sub_idx], sub_idx - 16);
  }
  float out[256];
  dequantize_row_ref(DType::kQ3_K, &block, out, 256);
  for (int elem_idx = 0; elem_idx < 256; ++elem_idx) {
    const int q = (elem_idx % 32) % 8 - 4;
    EXPECT_EQ(out[elem_idx], static_cast<float>((elem_idx / 16 - 16) * q)) << elem_idx;
  }
}

// Q2_K: sub-block j has scale j % 16 and min 15 - j; value 128h + 32k + l has quant k.
TEST(QuantRefTest, Q2_KLayout) {
  BlockQ2_K block{};
  block.d = f32_to_f16(1.0f);
  block.dmin = f32_to_f16(0.5f);
  for (int sub_idx = 0; sub_idx < 16; ++sub_idx)
    block.scales[sub_idx] = static_cast<uint8_t>(sub_idx | (15 - sub_idx) << 4);
  for (int byte_idx = 0; byte_idx < 64; ++byte_idx) block.qs[byte_idx] = 0b11100100;  // group k holds k
  float out[256];
  dequantize_row_ref(DType::kQ2_K, &block, out, 256);
  for (int elem_idx = 0; elem_idx < 256; ++elem_idx) {
    const int sub_idx = elem_idx / 16;
    const int q = (elem_idx % 128) / 32;
    EXPECT_EQ(out[elem_idx], static_cast<float>(sub_idx * q) - 0.5f * static_cast<float>(15 - sub_idx)) << elem_idx;
  }
}

// IQ4_XS: sub-block j has scale j * 8 - 32 (every bit of scales_l and scales_h).
TEST(QuantRefTest, IQ4_XSScales) {
  BlockIQ4_XS block{};
  block.d = f32_to_f16(1.0f);
  for (int sub_idx = 0; sub_idx < 8; ++sub_idx) {
    const int stored = sub_idx * 8 + 7 * (sub_idx % 2);
    block.scales_l[sub_idx / 2] =
        static_cast<uint8_t>(block.scales_l[sub_idx / 2] | (stored & 0xF) << (4 * (sub_idx % 2)));
    block.scales_h = static_cast<uint16_t>(block.scales_h | (stored >> 4) << (2 * sub_idx));
  }
  std::memset(block.qs, 0x88, sizeof block.qs);  // level index 8: value 1
  float out[256];
  dequantize_row_ref(DType::kIQ4_XS, &block, out, 256);
  for (int sub_idx = 0; sub_idx < 8; ++sub_idx) {
    const int scale = sub_idx * 8 + 7 * (sub_idx % 2) - 32;
    EXPECT_EQ(iq4_xs_scale(block, sub_idx), scale);
    EXPECT_EQ(out[32 * sub_idx + 17], static_cast<float>(scale)) << sub_idx;
  }
}

TEST(QuantRefTest, Q4_KScalePacking) {
  // Sub-block j gets scale j + 1 and min 40 + j: exercises the 2-bit high parts
  // of sub-blocks 4..7 (scales >= 16 need them) and the low bytes of 0..3.
  BlockQ4_K block{};
  block.d = f32_to_f16(1.0f);
  block.dmin = f32_to_f16(1.0f);
  const int scale_of[8] = {1, 2, 3, 4, 21, 37, 50, 63};
  const int min_of[8] = {40, 41, 42, 43, 17, 33, 49, 0};
  for (int sub_idx = 0; sub_idx < 4; ++sub_idx) {
    block.scales[sub_idx] = static_cast<uint8_t>(scale_of[sub_idx] | ((scale_of[sub_idx + 4] >> 4) << 6));
    block.scales[sub_idx + 4] = static_cast<uint8_t>(min_of[sub_idx] | ((min_of[sub_idx + 4] >> 4) << 6));
    block.scales[sub_idx + 8] =
        static_cast<uint8_t>((scale_of[sub_idx + 4] & 0xF) | ((min_of[sub_idx + 4] & 0xF) << 4));
  }
  std::memset(block.qs, 0x31, sizeof block.qs);  // low nibble 1 (even sub-blocks), high 3 (odd)
  float out[256];
  dequantize_row_ref(DType::kQ4_K, &block, out, 256);
  for (int sub_idx = 0; sub_idx < 8; ++sub_idx) {
    uint8_t scale, min;
    unpack_q4_k_scale_min(block.scales, sub_idx, &scale, &min);
    EXPECT_EQ(scale, scale_of[sub_idx]);
    EXPECT_EQ(min, min_of[sub_idx]);
    const int q = sub_idx % 2 == 0 ? 1 : 3;
    EXPECT_EQ(out[32 * sub_idx + 5], static_cast<float>(scale_of[sub_idx] * q - min_of[sub_idx])) << sub_idx;
  }
}

}  // namespace
}  // namespace hearth::tensor
