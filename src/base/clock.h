// The clocks, read one way everywhere. Code that needs a testable clock takes
// a std::function<int64_t()> defaulting to one of these (tests inject theirs).
#pragma once

#include <cstdint>

namespace hearth {

// Milliseconds since the Unix epoch (wall clock: timestamps people read and
// that are stored).
int64_t unix_now_ms();

// Milliseconds on a monotonic clock with an arbitrary origin (durations,
// deadlines, rate windows: never goes back when the wall clock is set).
int64_t steady_now_ms();

}  // namespace hearth
