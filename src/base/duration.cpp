#include "base/duration.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "base/decimal_prefix.h"

namespace hearth {
namespace {

constexpr double kMaxDurationMs = 1e15;

// Milliseconds per unit; 0 when unknown.
double unit_ms(std::string_view unit) {
  if (unit == "ms") return 1.0;
  if (unit == "s") return 1e3;
  if (unit == "m") return 60e3;
  if (unit == "h") return 3600e3;
  return 0.0;
}

}  // namespace

Result<int64_t> parse_duration_ms(std::string_view text) {
  const std::string original(text);
  auto invalid = [&original] {
    return invalid_argument_error("'" + original +
                                  "' is not a duration (write it like 5m, 1h30m, 90s or -1 for forever)");
  };
  bool negative = false;
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    negative = text.front() == '-';
    text.remove_prefix(1);
  }
  if (text == "0") return int64_t{0};
  if (negative && text == "1") return int64_t{-1};  // Ollama's "-1": forever
  if (text.empty()) return invalid();
  double total_ms = 0.0;
  while (!text.empty()) {
    const size_t number_end = decimal_prefix_length(text);
    if (number_end == 0) return invalid();
    const std::string number(text.substr(0, number_end));
    text.remove_prefix(number_end);
    size_t unit_end = 0;
    while (unit_end < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_end]))) ++unit_end;
    const double scale = unit_ms(text.substr(0, unit_end));
    if (scale == 0.0) return invalid();
    text.remove_prefix(unit_end);
    total_ms += std::strtod(number.c_str(), nullptr) * scale;
    if (!(total_ms <= kMaxDurationMs)) return invalid();
  }
  const int64_t duration_ms = std::llround(total_ms);
  return negative ? -duration_ms : duration_ms;
}

std::string format_duration_ms(int64_t duration_ms) {
  if (duration_ms < 0) return "forever";
  if (duration_ms == 0) return "0s";
  if (duration_ms % 1000 != 0) return std::to_string(duration_ms) + "ms";
  int64_t seconds = duration_ms / 1000;
  std::string out;
  if (seconds >= 3600) {
    out += std::to_string(seconds / 3600) + "h";
    seconds %= 3600;
  }
  if (seconds >= 60) {
    out += std::to_string(seconds / 60) + "m";
    seconds %= 60;
  }
  if (seconds > 0) out += std::to_string(seconds) + "s";
  return out;
}

}  // namespace hearth
