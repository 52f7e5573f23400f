// Range checks of numeric command-line flags whose message names the flag, so
// a user never sees the name of the internal limit it maps to:
//   HEARTH_RETURN_IF_ERROR(check_flag_range("--prompt-tokens", n_prompt, 1, InferContext::kMaxBatch));
//   -> "--prompt-tokens must be from 1 to 65536, not 100000"
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace hearth::cli {

// kInvalidArgument unless min <= value <= max.
[[nodiscard]] inline Status check_flag_range(std::string_view flag, int64_t value, int64_t min, int64_t max) {
  if (value >= min && value <= max) return ok_status();
  return invalid_argument_error(std::string(flag) + " must be from " + std::to_string(min) + " to " +
                                std::to_string(max) + ", not " + std::to_string(value));
}

}  // namespace hearth::cli
