#include "jobs/batch_window.h"

#include <algorithm>
#include <ctime>

#include "base/duration.h"
#include "base/quoted_text.h"

namespace hearth::jobs {
namespace {

// "HH:MM" -> ms since midnight; 24:00 allowed only where allow_24.
std::optional<int64_t> parse_clock(std::string_view text, bool allow_24) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  for (size_t idx : {0, 1, 3, 4}) {
    if (text[idx] < '0' || text[idx] > '9') return std::nullopt;
  }
  const int hours = (text[0] - '0') * 10 + (text[1] - '0');
  const int minutes = (text[3] - '0') * 10 + (text[4] - '0');
  if (minutes > 59) return std::nullopt;
  if (hours > 24 || (hours == 24 && (minutes != 0 || !allow_24))) return std::nullopt;
  return (int64_t{hours} * 60 + minutes) * 60 * 1000;
}

// Time from `from` forward to `to` on a 24-hour circle, in (0, kDayMs].
int64_t forward_ms(int64_t from, int64_t to) {
  const int64_t delta = ((to - from) % kDayMs + kDayMs) % kDayMs;
  return delta == 0 ? kDayMs : delta;
}

int64_t until_edge(const TimeWindow& window, int64_t ms_of_day) {
  return std::min(forward_ms(ms_of_day, window.start_ms % kDayMs), forward_ms(ms_of_day, window.end_ms % kDayMs));
}

}  // namespace

bool TimeWindow::contains(int64_t ms_of_day) const {
  if (end_ms - start_ms >= kDayMs) return true;
  if (start_ms < end_ms) return ms_of_day >= start_ms && ms_of_day < end_ms;
  return ms_of_day >= start_ms || ms_of_day < end_ms;  // across midnight (start == end: never)
}

Result<TimeWindow> parse_time_window(std::string_view text) {
  const auto refuse = [&] {
    return invalid_argument_error(single_quoted(text.substr(0, 64)) +
                                  " is not a window like 22:00-06:00 (HH:MM-HH:MM, local time)");
  };
  if (text.size() != 11 || text[5] != '-') return refuse();
  const std::optional<int64_t> start = parse_clock(text.substr(0, 5), false);
  const std::optional<int64_t> end = parse_clock(text.substr(6, 5), true);
  if (!start || !end || *start == *end) return refuse();
  return TimeWindow{*start, *end};
}

Result<BatchWindowPolicy> parse_window_policy(const std::vector<std::string>& windows, std::string_view idle) {
  BatchWindowPolicy policy;
  for (const std::string& text : windows) {
    HEARTH_ASSIGN_OR_RETURN(TimeWindow window, parse_time_window(text));
    policy.windows.push_back(window);
  }
  if (!idle.empty()) {
    Result<int64_t> idle_ms = parse_duration_ms(idle);
    if (!idle_ms.ok() || *idle_ms <= 0) {
      return invalid_argument_error(single_quoted(idle.substr(0, 64)) +
                                    " is not a positive duration like 10m for the batch idle rule");
    }
    policy.idle_ms = *idle_ms;
  }
  return policy;
}

bool window_open(const BatchWindowPolicy& policy, const WindowMoment& moment) {
  if (policy.windows.empty() && !policy.idle_ms) return true;
  if (policy.idle_ms && moment.ms_since_interactive >= *policy.idle_ms) return true;
  return std::any_of(policy.windows.begin(), policy.windows.end(),
                     [&](const TimeWindow& window) { return window.contains(moment.ms_of_day); });
}

bool window_open_for_job(const BatchWindowPolicy& policy, const std::optional<TimeWindow>& job_window,
                         const WindowMoment& moment) {
  if (job_window && !job_window->contains(moment.ms_of_day)) return false;
  return window_open(policy, moment);
}

int64_t ms_until_window_change(const BatchWindowPolicy& policy, const std::optional<TimeWindow>& job_window,
                               const WindowMoment& moment) {
  int64_t until = kDayMs;
  for (const TimeWindow& window : policy.windows) until = std::min(until, until_edge(window, moment.ms_of_day));
  if (job_window) until = std::min(until, until_edge(*job_window, moment.ms_of_day));
  if (policy.idle_ms && moment.ms_since_interactive < *policy.idle_ms) {
    until = std::min(until, *policy.idle_ms - moment.ms_since_interactive);
  }
  return until;
}

int64_t local_ms_of_day(int64_t unix_ms) {
  const std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
  std::tm local{};
  if (localtime_r(&seconds, &local) == nullptr) return (unix_ms % kDayMs + kDayMs) % kDayMs;
  return ((int64_t{local.tm_hour} * 60 + local.tm_min) * 60 + local.tm_sec) * 1000 + unix_ms % 1000;
}

}  // namespace hearth::jobs
