// Deterministic, fast normal samples for weight synthesis: the same seed gives
// the same file on every machine and library (std:: distributions do not).
#pragma once

#include <cmath>
#include <cstdint>

namespace hearth::cli {

// splitmix64: a tiny counter-based generator, good enough for random weights.
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in (0, 1].
  double next_unit() { return (static_cast<double>(next() >> 11) + 1.0) * 0x1.0p-53; }

 private:
  uint64_t state_;
};

// Fills out[0..n) with N(0, stddev^2) samples (Box-Muller, two per draw).
inline void fill_normal(SplitMix64& rng, float stddev, float* out, int64_t n) {
  constexpr double kTwoPi = 6.283185307179586;
  for (int64_t idx = 0; idx < n; idx += 2) {
    const double radius = std::sqrt(-2.0 * std::log(rng.next_unit())) * stddev;
    const double angle = kTwoPi * rng.next_unit();
    out[idx] = static_cast<float>(radius * std::cos(angle));
    if (idx + 1 < n) out[idx + 1] = static_cast<float>(radius * std::sin(angle));
  }
}

}  // namespace hearth::cli
