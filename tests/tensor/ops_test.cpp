// ops.h kernels on every compiled SIMD target against the scalar references.
#include "tensor/ops.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <limits>
#include <vector>

#include "random_data.h"
#include "tensor/fp16.h"
#include "tensor/ops_ref.h"
#include "tensor/simd_targets.h"

namespace hearth::tensor {
namespace {

constexpr int64_t kLengths[] = {0, 1, 3, 7, 8, 15, 16, 17, 33, 64, 257, 1000, 4099};
constexpr double kFloatEps = 1.0 / (1 << 24);  // unit roundoff of float

uint32_t bits_of(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, sizeof bits);
  return bits;
}

std::vector<uint16_t> to_halves(const std::vector<float>& values) {
  std::vector<uint16_t> halves(values.size());
  for (size_t idx = 0; idx < values.size(); ++idx) halves[idx] = f32_to_f16(values[idx]);
  return halves;
}

class OpsTest : public ::testing::TestWithParam<int64_t> {
 protected:
  ScopedSimdTarget target_{GetParam()};
};

TEST_P(OpsTest, DispatchesToPinnedTarget) { EXPECT_EQ(current_simd_target(), GetParam()); }

// A float sum of n products, however it is split, is within n * u * sum|a_i b_i|
// of the exact value (standard bound for recursive summation with FMA or not, 2n u
// with separate rounding of products; we use the latter).
TEST_P(OpsTest, DotF32) {
  for (int64_t n : kLengths) {
    const auto a = random_normal(n, 10 + static_cast<uint32_t>(n));
    const auto b = random_normal(n, 20 + static_cast<uint32_t>(n));
    double abs_sum = 0.0;
    for (int64_t idx = 0; idx < n; ++idx) abs_sum += std::fabs(static_cast<double>(a[idx]) * b[idx]);
    EXPECT_NEAR(dot_f32(a.data(), b.data(), n), dot_f32_ref(a.data(), b.data(), n),
                2.0 * (n + 1) * kFloatEps * abs_sum + 1e-30)
        << n;
  }
}

TEST_P(OpsTest, DotF16F32) {
  for (int64_t n : kLengths) {
    const auto a = to_halves(random_normal(n, 30 + static_cast<uint32_t>(n)));
    const auto b = random_normal(n, 40 + static_cast<uint32_t>(n));
    double abs_sum = 0.0;
    for (int64_t idx = 0; idx < n; ++idx) abs_sum += std::fabs(static_cast<double>(f16_to_f32(a[idx])) * b[idx]);
    EXPECT_NEAR(dot_f16_f32(a.data(), b.data(), n), dot_f16_f32_ref(a.data(), b.data(), n),
                2.0 * (n + 1) * kFloatEps * abs_sum + 1e-30)
        << n;
  }
}

TEST_P(OpsTest, AxpyF16) {
  for (int64_t n : kLengths) {
    const auto x = to_halves(random_normal(n, 50 + static_cast<uint32_t>(n)));
    auto y = random_normal(n, 60 + static_cast<uint32_t>(n));
    auto y_ref = y;
    axpy_f16(-0.75f, x.data(), y.data(), n);
    axpy_f16_ref(-0.75f, x.data(), y_ref.data(), n);
    for (int64_t idx = 0; idx < n; ++idx) {
      // One multiply and one add, each rounded once: two roundings of the operands' size.
      const double scale = std::fabs(y_ref[idx]) + 0.75 * std::fabs(f16_to_f32(x[idx]));
      ASSERT_NEAR(y[idx], y_ref[idx], 3 * kFloatEps * scale) << n << " " << idx;
    }
  }
}

// The row-batched attention kernels give the bits of the one-row kernels.
TEST_P(OpsTest, RowKernelsMatchOneRowKernelsBitForBit) {
  for (int64_t n : kLengths) {
    for (int64_t n_rows : {1, 2, 5}) {
      const int64_t stride = n + 3;  // rows are not packed (the cache's head offset)
      const auto rows = to_halves(random_normal(stride * n_rows, 70 + static_cast<uint32_t>(n)));
      const auto b = random_normal(n, 80 + static_cast<uint32_t>(n));
      std::vector<float> out(static_cast<size_t>(n_rows));
      dot_f16_f32_rows(rows.data(), stride, n_rows, b.data(), n, 0.125f, out.data());
      const auto alpha = random_normal(n_rows, 90 + static_cast<uint32_t>(n));
      auto y = random_normal(n, 100 + static_cast<uint32_t>(n));
      auto y_one = y;
      axpy_f16_rows(alpha.data(), rows.data(), stride, n_rows, y.data(), n);
      for (int64_t row_idx = 0; row_idx < n_rows; ++row_idx) {
        ASSERT_EQ(out[static_cast<size_t>(row_idx)], dot_f16_f32(rows.data() + row_idx * stride, b.data(), n) * 0.125f)
            << n << " row " << row_idx;
        axpy_f16(alpha[static_cast<size_t>(row_idx)], rows.data() + row_idx * stride, y_one.data(), n);
      }
      ASSERT_EQ(y, y_one) << n << " rows " << n_rows;
    }
  }
}

TEST_P(OpsTest, ConvertEveryHalfToFloat) {
  std::vector<uint16_t> halves(0x10000);
  for (uint32_t h = 0; h < 0x10000; ++h) halves[h] = static_cast<uint16_t>(h);
  std::vector<float> out(0x10000);
  convert_f16_to_f32(halves.data(), out.data(), 0x10000);
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float expected = f16_to_f32(static_cast<uint16_t>(h));
    if (std::isnan(expected)) {
      ASSERT_TRUE(std::isnan(out[h])) << h;  // hardware may set the quiet bit
    } else {
      ASSERT_EQ(bits_of(out[h]), bits_of(expected)) << h;
    }
  }
}

TEST_P(OpsTest, ConvertFloatToHalfMatchesScalar) {
  std::vector<float> values = random_normal(4096, 70, 1000.0f);
  const auto small = random_normal(4096, 71, 1e-5f);  // half subnormals
  values.insert(values.end(), small.begin(), small.end());
  for (uint32_t h = 0; h < 0x7BFF; h += 7) {  // midpoints between neighbouring halves
    const float low = f16_to_f32(static_cast<uint16_t>(h));
    const float high = f16_to_f32(static_cast<uint16_t>(h + 1));
    values.push_back((low + high) / 2);
    values.push_back(-(low + high) / 2);
  }
  for (float special : {0.0f, -0.0f, 65504.0f, 65519.99f, 65520.0f, 1e30f, -1e30f,
                        std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                        std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::denorm_min(),
                        std::ldexp(1.0f, -14), std::ldexp(1.0f, -25), std::ldexp(1.5f, -25)}) {
    values.push_back(special);
  }
  std::vector<uint16_t> out(values.size());
  convert_f32_to_f16(values.data(), out.data(), static_cast<int64_t>(values.size()));
  for (size_t idx = 0; idx < values.size(); ++idx) {
    ASSERT_EQ(out[idx], f32_to_f16(values[idx])) << idx << " value " << values[idx];
  }
}

TEST_P(OpsTest, RmsNorm) {
  for (int64_t n : kLengths) {
    if (n == 0) continue;
    const auto x = random_normal(n, 80 + static_cast<uint32_t>(n), 3.0f);
    const auto weight = random_normal(n, 90 + static_cast<uint32_t>(n));
    std::vector<float> out(static_cast<size_t>(n)), out_ref(static_cast<size_t>(n));
    rms_norm(x.data(), weight.data(), 1e-5f, out.data(), n);
    rms_norm_ref(x.data(), weight.data(), 1e-5f, out_ref.data(), n);
    for (int64_t idx = 0; idx < n; ++idx) {
      // Sum of squares: (n + 1) u relative (all terms positive); sqrt, divide and
      // two multiplies add a few u more.
      ASSERT_NEAR(out[idx], out_ref[idx], (n + 8) * kFloatEps * std::fabs(out_ref[idx]) + 1e-30) << n;
    }
    // In place.
    auto in_place = x;
    rms_norm(in_place.data(), weight.data(), 1e-5f, in_place.data(), n);
    for (int64_t idx = 0; idx < n; ++idx) ASSERT_EQ(in_place[idx], out[idx]);
  }
}

TEST_P(OpsTest, SiluMul) {
  for (int64_t n : kLengths) {
    auto gate = random_normal(n, 100 + static_cast<uint32_t>(n), 4.0f);
    if (n > 4) {
      gate[0] = 100.0f;  // exp(-100) underflows to ~0: silu = gate
      gate[1] = -100.0f;  // exp(100) overflows without the clamp: silu = -0
      gate[2] = 0.0f;
    }
    const auto up = random_normal(n, 110 + static_cast<uint32_t>(n));
    std::vector<float> out(static_cast<size_t>(n)), out_ref(static_cast<size_t>(n));
    silu_mul(gate.data(), up.data(), out.data(), n);
    silu_mul_ref(gate.data(), up.data(), out_ref.data(), n);
    for (int64_t idx = 0; idx < n; ++idx) {
      // Highway's Exp is within 1 ulp; the divide and multiply add one u each.
      // Gates below -88 are clamped there: |silu| < |g| e^-88 < 1e-35 instead of ~0.
      ASSERT_NEAR(out[idx], out_ref[idx], 16 * kFloatEps * std::fabs(out_ref[idx]) + 1e-35) << n << " " << idx;
    }
    auto in_place = gate;
    silu_mul(in_place.data(), up.data(), in_place.data(), n);
    for (int64_t idx = 0; idx < n; ++idx) ASSERT_EQ(in_place[idx], out[idx]);
  }
}

TEST_P(OpsTest, Softmax) {
  for (int64_t n : kLengths) {
    auto x = random_normal(n, 120 + static_cast<uint32_t>(n), 5.0f);
    if (n > 3) x[3] = -std::numeric_limits<float>::infinity();  // masked: exactly 0 after softmax
    auto x_ref = x;
    softmax(x.data(), n);
    softmax_ref(x_ref.data(), n);
    double total = 0.0;
    for (int64_t idx = 0; idx < n; ++idx) {
      // Each exp is within a few ulp, the sum within n u relative.
      ASSERT_NEAR(x[idx], x_ref[idx], (n + 16) * kFloatEps * std::fabs(x_ref[idx]) + 1e-37) << n << " " << idx;
      total += x[idx];
    }
    if (n > 0) {
      EXPECT_NEAR(total, 1.0, (n + 16) * kFloatEps);
    }
    if (n > 3) {
      EXPECT_EQ(x[3], 0.0f);
    }
  }
}

// Against GELU in double with std::erf: A&S 7.1.26 is within 1.5e-7 in erf,
// so the GELU within |x| * 1e-7 plus a few float roundings of the result.
TEST_P(OpsTest, GeluErf) {
  for (int64_t n : kLengths) {
    auto x = random_normal(n, 150 + static_cast<uint32_t>(n), 3.0f);
    if (n > 4) {
      x[0] = 0.0f;
      x[1] = -12.0f;  // erf saturates: gelu ~ -0
      x[2] = 12.0f;   // gelu = x
    }
    auto out = x;
    gelu_erf(out.data(), n);
    for (int64_t idx = 0; idx < n; ++idx) {
      const double v = x[idx];
      const double want = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
      ASSERT_NEAR(out[idx], want, 4e-7 * std::fabs(v) + 8 * kFloatEps * std::fabs(want) + 1e-30) << n << " " << idx;
    }
  }
}

TEST_P(OpsTest, AddInplaceIsExact) {
  for (int64_t n : kLengths) {
    auto y = random_normal(n, 130 + static_cast<uint32_t>(n));
    const auto x = random_normal(n, 140 + static_cast<uint32_t>(n));
    auto expected = y;
    for (int64_t idx = 0; idx < n; ++idx) expected[idx] += x[idx];
    add_inplace(y.data(), x.data(), n);
    EXPECT_EQ(y, expected);
  }
}

std::string target_name(const ::testing::TestParamInfo<int64_t>& info) { return simd_target_name(info.param); }

INSTANTIATE_TEST_SUITE_P(AllTargets, OpsTest, ::testing::ValuesIn(runnable_simd_targets()), target_name);

TEST(SimdTargetsTest, SeveralTargetsCompiledAndBestIsDefault) {
  const auto targets = runnable_simd_targets();
  std::string names;
  for (int64_t target : targets) names += simd_target_name(target) + " ";
  std::printf("compiled and runnable SIMD targets: %s\n", names.c_str());
#if defined(__x86_64__)
  ASSERT_GE(targets.size(), 2u);  // the SSSE3 fallback and at least AVX2 on any machine we run on
#elif defined(__aarch64__)
  ASSERT_EQ(simd_target_name(targets.back()), "NEON");
#endif
  ASSERT_FALSE(targets.empty());
  EXPECT_EQ(current_simd_target(), targets.back());
}

}  // namespace
}  // namespace hearth::tensor
