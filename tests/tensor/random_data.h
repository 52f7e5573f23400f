// Seeded random inputs for the tensor tests (hermetic: a fixed seed per test,
// different across tests, so every run checks the same fresh-looking data).
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace hearth::tensor {

inline std::vector<float> random_normal(int64_t n, uint32_t seed, float stddev = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, stddev);
  std::vector<float> values(static_cast<size_t>(n));
  for (float& value : values) value = dist(rng);
  return values;
}

inline std::vector<uint8_t> random_bytes(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> bytes(static_cast<size_t>(n));
  for (uint8_t& byte : bytes) byte = static_cast<uint8_t>(rng() >> 24);
  return bytes;
}

}  // namespace hearth::tensor
