// Byte counts as people write them in flags and config files ("20GiB",
// "512 MiB", "1.5G", "1073741824") and as hearth prints them ("4.70 GiB").
//
//   HEARTH_ASSIGN_OR_RETURN(int64_t budget_bytes, parse_byte_size("20GiB"));
//   format_byte_size(budget_bytes) == "20.00 GiB"
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace hearth {

// A non-negative number (decimals allowed) and an optional unit: B, K/KB/KiB,
// M/MB/MiB, G/GB/GiB, T/TB/TiB, case-insensitive, spaces between allowed.
// KB, MB... are powers of 1000; K, KiB, M, MiB... powers of 1024 (a bare "G"
// is what `free -g` and Ollama mean). kInvalidArgument for anything else or a
// value of 2^62 bytes or more.
Result<int64_t> parse_byte_size(std::string_view text);

// Two decimals in the largest binary unit that keeps the number >= 1:
// "812 B", "1.50 KiB", "4.70 GiB". Negative counts keep their sign.
std::string format_byte_size(int64_t n_bytes);

}  // namespace hearth
