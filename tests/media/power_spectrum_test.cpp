#include "media/power_spectrum.h"

#include <gtest/gtest.h>

#include <cmath>
#include <complex>
#include <numbers>
#include <random>
#include <vector>

namespace hearth::media {
namespace {

// Whisper's 400 (2^4 5^2) and lengths with every radix path: 4, 2, 3, 5, 7 and a prime > 7 (direct DFT).
class PowerSpectrumTest : public ::testing::TestWithParam<int64_t> {};

TEST_P(PowerSpectrumTest, MatchesTheDirectDftInDouble) {
  const int64_t n = GetParam();
  PowerSpectrum spectrum(n);
  ASSERT_EQ(spectrum.n_bins(), n / 2 + 1);
  std::mt19937_64 rng(static_cast<uint64_t>(n));
  std::normal_distribution<double> normal;
  for (int trial = 0; trial < 3; ++trial) {
    std::vector<double> frame(static_cast<size_t>(n));
    for (double& v : frame) v = normal(rng);
    std::vector<double> power(static_cast<size_t>(spectrum.n_bins()));
    spectrum.compute(frame.data(), power.data());
    double max_err = 0.0, max_power = 0.0;
    for (int64_t k = 0; k < spectrum.n_bins(); ++k) {
      std::complex<double> sum = 0.0;
      for (int64_t t = 0; t < n; ++t) {
        const double angle = -2.0 * std::numbers::pi * static_cast<double>(k * t % n) / static_cast<double>(n);
        sum += frame[static_cast<size_t>(t)] * std::complex<double>(std::cos(angle), std::sin(angle));
      }
      max_err = std::max(max_err, std::abs(std::norm(sum) - power[static_cast<size_t>(k)]));
      max_power = std::max(max_power, std::norm(sum));
    }
    EXPECT_LT(max_err, 1e-10 * max_power) << "n " << n;
  }
}

INSTANTIATE_TEST_SUITE_P(Lengths, PowerSpectrumTest, ::testing::Values(2, 4, 8, 12, 15, 21, 400, 512, 2 * 13, 97));

TEST(PowerSpectrum, PureToneLandsInItsBin) {
  PowerSpectrum spectrum(400);
  std::vector<double> frame(400);
  for (int t = 0; t < 400; ++t) frame[static_cast<size_t>(t)] = std::cos(2.0 * std::numbers::pi * 25.0 * t / 400.0);
  std::vector<double> power(201);
  spectrum.compute(frame.data(), power.data());
  EXPECT_NEAR(power[25], 200.0 * 200.0, 1e-6);
  for (int k = 0; k < 201; ++k) {
    if (k != 25) {
      EXPECT_LT(power[static_cast<size_t>(k)], 1e-12) << k;
    }
  }
}

}  // namespace
}  // namespace hearth::media
