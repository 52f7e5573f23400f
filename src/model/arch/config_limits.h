// Sane upper bounds on hyper-parameters: well above every published model,
// low enough that no product of two of them overflows and no buffer sized by
// them is absurd. Reading a file and validating a config both apply them.
#pragma once

#include <cstdint>

namespace hearth::model {

inline constexpr int64_t kMaxVocab = int64_t{1} << 22;
inline constexpr int64_t kMaxContext = int64_t{1} << 24;
inline constexpr int64_t kMaxEmbd = int64_t{1} << 16;
inline constexpr int64_t kMaxLayers = 1024;
inline constexpr int64_t kMaxHeads = 1024;
inline constexpr int64_t kMaxHeadDim = 1024;
inline constexpr int64_t kMaxFf = int64_t{1} << 20;
inline constexpr int64_t kMaxExperts = 1024;
inline constexpr double kMaxSoftcap = 1e6;
inline constexpr int64_t kMaxTokenTypes = 16;
inline constexpr int64_t kMaxClassifierOutputs = 1024;
inline constexpr double kMaxRopeTheta = 1e10;
inline constexpr double kMaxRopeFactor = 1024.0;

}  // namespace hearth::model
