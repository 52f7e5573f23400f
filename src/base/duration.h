// Durations as people write them in requests and config files, with Go's
// (and so Ollama's) syntax: "5m", "1h30m", "90s", "250ms", "1.5h", "-1".
//
//   HEARTH_ASSIGN_OR_RETURN(int64_t keep_alive_ms, parse_duration_ms("5m"));
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace hearth {

// An optional sign, then one or more number+unit pairs (units ms, s, m, h;
// decimals allowed), or a bare "0". A negative duration keeps its sign: keep
// alive uses it for "forever". Any other number without a unit is an error,
// as in Go. kInvalidArgument for malformed text or more than 10^15 ms.
Result<int64_t> parse_duration_ms(std::string_view text);

// "forever" for negative values, else the largest whole units: "5m", "1h30m",
// "1.5s" is "1500ms".
std::string format_duration_ms(int64_t duration_ms);

}  // namespace hearth
