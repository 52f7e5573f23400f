// Which SIMD targets hearth_tensor's dispatched kernels were compiled for, and a
// way for tests and benchmarks to pin one, so every compiled path is checked on
// a machine that would normally pick only its best.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hearth::tensor {

// Highway target bits compiled into hearth_tensor that this CPU can run, best last.
std::vector<int64_t> runnable_simd_targets();
std::string simd_target_name(int64_t target);
// The target the dispatched kernels run on right now (asks a dispatched function).
int64_t current_simd_target();

// While alive, the dispatched kernels run `target` (one of runnable_simd_targets()).
// Not thread-safe: pin targets only while no other thread runs kernels.
class ScopedSimdTarget {
 public:
  explicit ScopedSimdTarget(int64_t target);
  ~ScopedSimdTarget();
  ScopedSimdTarget(const ScopedSimdTarget&) = delete;
  ScopedSimdTarget& operator=(const ScopedSimdTarget&) = delete;
};

}  // namespace hearth::tensor
