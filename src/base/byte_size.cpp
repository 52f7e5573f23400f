#include "base/byte_size.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "base/decimal_prefix.h"

namespace hearth {
namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Bytes per unit, 0 when the unit is unknown.
double unit_bytes(std::string_view unit) {
  const std::string name = lowercase(unit);
  if (name.empty() || name == "b") return 1.0;
  struct Unit {
    const char* binary_short;  // "k"
    const char* binary_long;   // "kib"
    const char* decimal;       // "kb"
    int power;
  };
  static constexpr Unit kUnits[] = {
      {"k", "kib", "kb", 1}, {"m", "mib", "mb", 2}, {"g", "gib", "gb", 3}, {"t", "tib", "tb", 4}};
  for (const Unit& entry : kUnits) {
    if (name == entry.binary_short || name == entry.binary_long) return std::pow(1024.0, entry.power);
    if (name == entry.decimal) return std::pow(1000.0, entry.power);
  }
  return 0.0;
}

}  // namespace

Result<int64_t> parse_byte_size(std::string_view text) {
  const std::string original(text);
  auto invalid = [&original] {
    return invalid_argument_error("'" + original + "' is not a size (write it like 20GiB, 512MiB or 1073741824)");
  };
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  const size_t number_end = decimal_prefix_length(text);
  if (number_end == 0) return invalid();
  const std::string number(text.substr(0, number_end));
  std::string_view unit = text.substr(number_end);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  const double scale = unit_bytes(unit);
  if (scale == 0.0) return invalid();
  const double value = std::strtod(number.c_str(), nullptr) * scale;
  if (!(value < std::ldexp(1.0, 62))) return invalid();
  return static_cast<int64_t>(std::llround(value));
}

std::string format_byte_size(int64_t n_bytes) {
  const char* sign = n_bytes < 0 ? "-" : "";
  const double magnitude = std::fabs(static_cast<double>(n_bytes));
  char text[48];
  if (magnitude < 1024.0) {
    std::snprintf(text, sizeof(text), "%s%.0f B", sign, magnitude);
    return text;
  }
  static constexpr const char* kUnits[] = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double scaled = magnitude / 1024.0;
  size_t unit_idx = 0;
  while (scaled >= 1024.0 && unit_idx + 1 < std::size(kUnits)) {
    scaled /= 1024.0;
    ++unit_idx;
  }
  std::snprintf(text, sizeof(text), "%s%.2f %s", sign, scaled, kUnits[unit_idx]);
  return text;
}

}  // namespace hearth
