// Rng: the sampler's pseudo-random generator, xoshiro256** seeded through
// splitmix64. Its output is defined by these few lines alone, so a seed gives
// the same draws with any compiler or standard library (std:: distributions
// do not promise that).
// ref: https://prng.di.unimi.it/xoshiro256starstar.c, https://prng.di.unimi.it/splitmix64.c
#pragma once

#include <cstdint>

namespace hearth::infer {

class Rng {
 public:
  explicit Rng(uint64_t seed) {
    uint64_t mix = seed;
    for (uint64_t& word : state_) word = splitmix64(mix);
  }

  uint64_t next_u64() {
    const uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const uint64_t shifted = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= shifted;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double next_unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  // Advances `state` and returns the next splitmix64 output.
  static uint64_t splitmix64(uint64_t& state) {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  uint64_t state_[4];
};

}  // namespace hearth::infer
