// Money as hearth stores it: integer micro-dollars (STYLE.md), never double.
//
//   HEARTH_ASSIGN_OR_RETURN(int64_t budget_udollars, parse_usd("12.50"));  // 12'500'000
//   format_usd(12'500'000) == "12.500000"
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace hearth {

// A non-negative decimal amount of US dollars with at most 6 decimals ("12",
// "0.15", "$3.5"), exactly; kInvalidArgument otherwise or beyond 10^12 USD.
Result<int64_t> parse_usd(std::string_view text);

// Six decimals: "12.500000"; negative amounts keep their sign.
std::string format_usd(int64_t udollars);

}  // namespace hearth
