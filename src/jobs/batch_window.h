// When batch lines may run: the server's windows (`batch_windows =
// ["22:00-06:00"]`, `--batch-window`), the idle rule ("when no interactive
// request for N seconds": `batch_idle = "10m"`, `--batch-idle`) and a job's
// own window (`hearth batch submit --window`). Pure functions of a moment, so
// they are tested with any clock.
//
// A time window is local wall-clock time "HH:MM-HH:MM": from its start
// (inclusive) to its end (exclusive), across midnight when the end is not
// after the start ("22:00-06:00"); "00:00-24:00" is the whole day. With no
// windows and no idle rule batch work may always run; otherwise it may run
// while any window is open or the idle rule holds. A job's window narrows the
// server's: its lines run only when both allow.
//
//   HEARTH_ASSIGN_OR_RETURN(BatchWindowPolicy policy, parse_window_policy({"22:00-06:00"}, "10m"));
//   WindowMoment now{local_ms_of_day(unix_now_ms()), steady_now_ms() - last_interactive_ms};
//   if (window_open(policy, now)) ...; else sleep at most ms_until_window_change(policy, now)
//
// Thread-safety: free functions; values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace hearth::jobs {

inline constexpr int64_t kDayMs = int64_t{24} * 3600 * 1000;

struct TimeWindow {
  int64_t start_ms = 0;  // since local midnight, 0..kDayMs
  int64_t end_ms = 0;

  bool contains(int64_t ms_of_day) const;
};

struct BatchWindowPolicy {
  std::vector<TimeWindow> windows;
  std::optional<int64_t> idle_ms;  // open after this long without an interactive request
};

struct WindowMoment {
  int64_t ms_of_day = 0;             // local time of day, 0..kDayMs-1
  int64_t ms_since_interactive = 0;  // since the last interactive request (or the server's start)
};

// "HH:MM-HH:MM" (24-hour; the end may be 24:00). kInvalidArgument naming the text.
Result<TimeWindow> parse_time_window(std::string_view text);
// Windows as the config and flags give them, and the idle rule as a duration
// ("" for none; "90s", "10m"; base/duration.h).
Result<BatchWindowPolicy> parse_window_policy(const std::vector<std::string>& windows, std::string_view idle);

bool window_open(const BatchWindowPolicy& policy, const WindowMoment& moment);
// Open under the server's policy and inside the job's window (none: no narrowing).
bool window_open_for_job(const BatchWindowPolicy& policy, const std::optional<TimeWindow>& job_window,
                         const WindowMoment& moment);
// How long until window_open could change with no interactive request in
// between: the next window edge, or the idle rule's remaining time; kDayMs
// at most. A runner sleeps this long (or until woken).
int64_t ms_until_window_change(const BatchWindowPolicy& policy, const std::optional<TimeWindow>& job_window,
                               const WindowMoment& moment);

// The local time of day of a Unix time (the process's time zone).
int64_t local_ms_of_day(int64_t unix_ms);

}  // namespace hearth::jobs
