#include "cli/utc_time.h"

#include <charconv>
#include <chrono>
#include <cstdio>

#include "base/duration.h"

namespace hearth::cli {
namespace {

using namespace std::chrono;

struct CivilTime {
  int year = 0;
  unsigned month = 0;
  unsigned day = 0;
  int64_t hours = 0;
  int64_t minutes = 0;
  int64_t seconds = 0;
  int64_t millis = 0;
};

CivilTime to_civil(int64_t unix_ms) {
  const sys_time<milliseconds> instant{milliseconds(unix_ms)};
  const sys_days day = floor<days>(instant);
  const year_month_day ymd{day};
  const int64_t ms_of_day = (instant - day).count();
  return {int(ymd.year()),         unsigned(ymd.month()), unsigned(ymd.day()), ms_of_day / 3'600'000,
          ms_of_day / 60'000 % 60, ms_of_day / 1000 % 60, ms_of_day % 1000};
}

// Exactly `n_digits` decimal digits at `pos`.
bool read_digits(std::string_view text, size_t pos, size_t n_digits, int& value) {
  if (pos + n_digits > text.size()) return false;
  for (size_t idx = pos; idx < pos + n_digits; ++idx) {
    if (text[idx] < '0' || text[idx] > '9') return false;
  }
  const auto [end, error] = std::from_chars(text.data() + pos, text.data() + pos + n_digits, value);
  return error == std::errc() && end == text.data() + pos + n_digits;
}

Status since_error(std::string_view text) {
  return invalid_argument_error("--since '" + std::string(text) +
                                "' is not a date (2026-11-01), a UTC time (2026-11-01T10:00:00Z) or a duration "
                                "back from now (24h, 7d)");
}

// "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ"; nullopt when it is neither.
std::optional<int64_t> parse_utc_date_time(std::string_view text) {
  int year = 0, month = 0, day = 0;
  if (!read_digits(text, 0, 4, year) || text.size() < 10 || text[4] != '-' || !read_digits(text, 5, 2, month) ||
      text[7] != '-' || !read_digits(text, 8, 2, day)) {
    return std::nullopt;
  }
  const year_month_day date{std::chrono::year(year), std::chrono::month(static_cast<unsigned>(month)),
                            std::chrono::day(static_cast<unsigned>(day))};
  if (!date.ok()) return std::nullopt;
  int64_t ms = duration_cast<milliseconds>(sys_days(date).time_since_epoch()).count();
  if (text.size() == 10) return ms;
  int hour = 0, minute = 0, second = 0;
  if (text.size() != 20 || text[10] != 'T' || !read_digits(text, 11, 2, hour) || text[13] != ':' ||
      !read_digits(text, 14, 2, minute) || text[16] != ':' || !read_digits(text, 17, 2, second) || text[19] != 'Z') {
    return std::nullopt;
  }
  if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
  ms += ((int64_t{hour} * 60 + minute) * 60 + second) * 1000;
  return ms;
}

}  // namespace

std::string format_utc_table_time(int64_t unix_ms) {
  const CivilTime time = to_civil(unix_ms);
  char text[48];
  std::snprintf(text, sizeof(text), "%04d-%02u-%02u %02lld:%02lld:%02lld", time.year, time.month, time.day,
                static_cast<long long>(time.hours), static_cast<long long>(time.minutes),
                static_cast<long long>(time.seconds));
  return text;
}

std::string format_utc_iso_time(int64_t unix_ms) {
  const CivilTime time = to_civil(unix_ms);
  char text[48];
  std::snprintf(text, sizeof(text), "%04d-%02u-%02uT%02lld:%02lld:%02lld.%03lldZ", time.year, time.month, time.day,
                static_cast<long long>(time.hours), static_cast<long long>(time.minutes),
                static_cast<long long>(time.seconds), static_cast<long long>(time.millis));
  return text;
}

Result<int64_t> parse_since(std::string_view text, int64_t now_unix_ms) {
  if (text.empty()) return since_error(text);
  if (text[0] >= '0' && text[0] <= '9' && text.size() >= 10 && text[4] == '-') {
    const std::optional<int64_t> at = parse_utc_date_time(text);
    if (!at) return since_error(text);
    return *at;
  }
  int64_t back_ms = 0;
  if (text.back() == 'd') {
    // Days are not in Go's duration syntax; whole days only.
    const std::string_view digits = text.substr(0, text.size() - 1);
    int64_t n_days = 0;
    const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), n_days);
    if (digits.empty() || error != std::errc() || end != digits.data() + digits.size() || n_days > 100'000) {
      return since_error(text);
    }
    back_ms = n_days * 86'400'000;
  } else {
    Result<int64_t> parsed = parse_duration_ms(text);
    if (!parsed.ok()) return since_error(text);
    back_ms = *parsed;
  }
  if (back_ms <= 0) return since_error(text);
  return now_unix_ms - back_ms;
}

}  // namespace hearth::cli
