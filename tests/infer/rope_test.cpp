#include "infer/rope.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

namespace hearth::infer {
namespace {

model::LlamaConfig config_with(int64_t head_dim, float theta) {
  model::LlamaConfig config;
  config.head_dim = head_dim;
  config.rope_theta = theta;
  return config;
}

TEST(RopeTest, DefaultFrequencies) {
  const std::vector<double> inv_freq = rope_inv_freq(config_with(8, 10000.0f));
  ASSERT_EQ(inv_freq.size(), 4u);
  // 10000^(-2i/8) = 10^(-i).
  EXPECT_DOUBLE_EQ(inv_freq[0], 1.0);
  EXPECT_NEAR(inv_freq[1], 0.1, 1e-15);
  EXPECT_NEAR(inv_freq[2], 0.01, 1e-16);
  EXPECT_NEAR(inv_freq[3], 0.001, 1e-17);
}

TEST(RopeTest, LinearScalingDividesEveryFrequency) {
  model::LlamaConfig config = config_with(8, 10000.0f);
  config.rope_scaling.type = model::RopeScalingType::kLinear;
  config.rope_scaling.factor = 4.0f;
  const std::vector<double> inv_freq = rope_inv_freq(config);
  EXPECT_DOUBLE_EQ(inv_freq[0], 0.25);
  EXPECT_NEAR(inv_freq[3], 0.00025, 1e-18);
}

TEST(RopeTest, Llama3ScalingBranches) {
  // Frequencies 10^(-i): wavelengths 2*pi*10^i = 6.28, 62.8, 628, 6283.
  // original 1000, low 1, high 8: keep below 125, divide above 1000,
  // blend between: pair 2 (wavelen 628.3) is blended.
  model::LlamaConfig config = config_with(8, 10000.0f);
  config.rope_scaling.type = model::RopeScalingType::kLlama3;
  config.rope_scaling.factor = 16.0f;
  config.rope_scaling.low_freq_factor = 1.0f;
  config.rope_scaling.high_freq_factor = 8.0f;
  config.rope_scaling.original_context = 1000;
  const std::vector<double> inv_freq = rope_inv_freq(config);
  EXPECT_DOUBLE_EQ(inv_freq[0], 1.0);
  EXPECT_NEAR(inv_freq[1], 0.1, 1e-15);
  // Worked by hand: smooth = (1000 / (2*pi*100) - 1) / (8 - 1) = 0.0845;
  // (1 - s) * 0.01 / 16 + s * 0.01.
  const double smooth = (1000.0 / (2.0 * std::numbers::pi * 100.0) - 1.0) / 7.0;
  EXPECT_NEAR(inv_freq[2], (1.0 - smooth) * 0.01 / 16.0 + smooth * 0.01, 1e-15);
  EXPECT_GT(inv_freq[2], 0.01 / 16.0);
  EXPECT_LT(inv_freq[2], 0.01);
  EXPECT_NEAR(inv_freq[3], 0.001 / 16.0, 1e-18);
}

// llama.cpp stores Llama 3.1 scaling as per-pair divisors (rope_freqs.weight):
// those divisors on an unscaled config must give the llama3-scaled angles.
TEST(RopeTest, FrequencyFactorsReproduceLlama3Scaling) {
  model::LlamaConfig scaled = config_with(64, 500000.0f);
  scaled.rope_scaling.type = model::RopeScalingType::kLlama3;
  scaled.rope_scaling.factor = 32.0f;
  scaled.rope_scaling.original_context = 8192;
  const model::LlamaConfig plain = config_with(64, 500000.0f);
  const std::vector<double> scaled_freq = rope_inv_freq(scaled);
  const std::vector<double> plain_freq = rope_inv_freq(plain);
  std::vector<float> factors(plain_freq.size());
  for (size_t pair_idx = 0; pair_idx < factors.size(); ++pair_idx) {
    factors[pair_idx] = static_cast<float>(plain_freq[pair_idx] / scaled_freq[pair_idx]);
  }
  ASSERT_GT(factors.back(), 1.0f) << "the scaling must change some frequencies for this test to mean anything";
  const Rope with_keys(scaled);
  const Rope with_factors(plain, factors.data());
  const int64_t n_pairs = with_keys.n_pairs();
  const int64_t first_pos = 5000;
  std::vector<float> cos_a(8 * n_pairs), sin_a(8 * n_pairs), cos_b(8 * n_pairs), sin_b(8 * n_pairs);
  with_keys.compute_angles(first_pos, 8, cos_a.data(), sin_a.data());
  with_factors.compute_angles(first_pos, 8, cos_b.data(), sin_b.data());
  for (size_t idx = 0; idx < cos_a.size(); ++idx) {
    // The factors went through float: angles agree to float rounding of pos * freq.
    EXPECT_NEAR(cos_a[idx], cos_b[idx], 2e-3) << idx;
    EXPECT_NEAR(sin_a[idx], sin_b[idx], 2e-3) << idx;
  }
}

TEST(RopeTest, NormalModeRotatesAdjacentPairs) {
  const Rope rope(config_with(4, 100.0f));
  std::vector<float> cos(2), sin(2);
  rope.compute_angles(3, 1, cos.data(), sin.data());
  // Pair 0: theta = 3; pair 1: theta = 3 * 100^(-1/2) = 0.3.
  EXPECT_NEAR(cos[0], std::cos(3.0), 1e-7);
  EXPECT_NEAR(sin[1], std::sin(0.3), 1e-7);
  std::vector<float> head = {1.0f, 0.0f, 0.0f, 1.0f};
  rope.apply(head.data(), 1, cos.data(), sin.data());
  EXPECT_NEAR(head[0], std::cos(3.0), 1e-6);
  EXPECT_NEAR(head[1], std::sin(3.0), 1e-6);
  EXPECT_NEAR(head[2], -std::sin(0.3), 1e-6);
  EXPECT_NEAR(head[3], std::cos(0.3), 1e-6);
}

TEST(RopeTest, NeoxModeRotatesHalves) {
  model::LlamaConfig config = config_with(4, 100.0f);
  config.rope_neox = true;
  const Rope rope(config);
  std::vector<float> cos(4), sin(4);
  rope.compute_angles(2, 2, cos.data(), sin.data());  // positions 2 and 3
  // Two heads, each [x0, x1 | y0, y1] with pairs (0, 2) and (1, 3).
  std::vector<float> heads = {1.0f, 0.0f, 0.0f, 1.0f, 2.0f, 0.0f, 0.0f, 0.0f};
  rope.apply(heads.data(), 2, cos.data() + 2, sin.data() + 2);
  EXPECT_NEAR(heads[0], std::cos(3.0), 1e-6);
  EXPECT_NEAR(heads[2], std::sin(3.0), 1e-6);
  EXPECT_NEAR(heads[1], -std::sin(0.3), 1e-6);
  EXPECT_NEAR(heads[3], std::cos(0.3), 1e-6);
  EXPECT_NEAR(heads[4], 2.0 * std::cos(3.0), 1e-6);
  EXPECT_NEAR(heads[6], 2.0 * std::sin(3.0), 1e-6);
}

}  // namespace
}  // namespace hearth::infer
