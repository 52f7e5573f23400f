// Times as the state commands print and read them, always in UTC:
// "2026-11-01 10:00:00" in tables, "2026-11-01T10:00:00Z" in JSON, and the
// `--since` forms "2026-11-01", "2026-11-01T10:00:00Z", "24h", "7d".
//
// Thread-safety: pure functions (no local time zone, no locale).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace hearth::cli {

// "2026-11-01 10:00:00" (seconds; the milliseconds are dropped).
std::string format_utc_table_time(int64_t unix_ms);
// "2026-11-01T10:00:00.123Z".
std::string format_utc_iso_time(int64_t unix_ms);

// A start time for `--since`, relative to `now_unix_ms` for durations:
// "YYYY-MM-DD" (midnight UTC), "YYYY-MM-DDTHH:MM:SSZ", or a positive
// duration "Nd" (days) or in parse_duration_ms's syntax ("24h", "90m", "1h30m").
// kInvalidArgument naming the accepted forms otherwise.
Result<int64_t> parse_since(std::string_view text, int64_t now_unix_ms);

}  // namespace hearth::cli
