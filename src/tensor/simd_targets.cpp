// Target listing and pinning over Highway's test hooks (see simd_targets.h).
#include "tensor/simd_targets.h"

#include <algorithm>

#undef HWY_TARGET_INCLUDE
#define HWY_TARGET_INCLUDE "tensor/simd_targets.cpp"
#include "hwy/foreach_target.h"  // IWYU pragma: keep

#include "hwy/highway.h"
#include "hwy/targets.h"

HWY_BEFORE_NAMESPACE();
namespace hearth::tensor::HWY_NAMESPACE {

// Compiled once per target like every kernel, so dispatching to it reports the
// target the kernels are dispatched to.
int64_t compiled_target() { return HWY_TARGET; }

}  // namespace hearth::tensor::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#if HWY_ONCE
namespace hearth::tensor {

HWY_EXPORT(compiled_target);

std::vector<int64_t> runnable_simd_targets() {
  std::vector<int64_t> targets = hwy::SupportedAndGeneratedTargets();
  // Highway's bits are "lower is better"; list the fallbacks first.
  std::sort(targets.begin(), targets.end(), [](int64_t a, int64_t b) { return a > b; });
  return targets;
}

std::string simd_target_name(int64_t target) { return hwy::TargetName(target); }

int64_t current_simd_target() { return HWY_DYNAMIC_DISPATCH(compiled_target)(); }

ScopedSimdTarget::ScopedSimdTarget(int64_t target) { hwy::SetSupportedTargetsForTest(target); }
ScopedSimdTarget::~ScopedSimdTarget() { hwy::SetSupportedTargetsForTest(0); }

}  // namespace hearth::tensor
#endif  // HWY_ONCE
