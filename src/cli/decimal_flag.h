// Exact decimal flags: "0.5", "30", "12.75" as an integer count of
// 10^-decimals units, so `hearth tco --utilization 0.5 --tps 12.5` never goes
// through a double. Errors are one sentence naming the flag.
//
//   HEARTH_ASSIGN_OR_RETURN(int64_t ppm, parse_decimal_flag("--utilization", "0.5", 6, 1, 1'000'000));  // 500000
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace hearth::cli {

// A non-negative decimal with at most `decimals` digits after the point (0..9),
// scaled by 10^decimals, within [min_scaled, max_scaled]; kInvalidArgument
// naming `flag` and the accepted form otherwise.
Result<int64_t> parse_decimal_flag(std::string_view flag, std::string_view text, int decimals, int64_t min_scaled,
                                   int64_t max_scaled);

}  // namespace hearth::cli
