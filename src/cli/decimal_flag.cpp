#include "cli/decimal_flag.h"

#include <string>

namespace hearth::cli {

Result<int64_t> parse_decimal_flag(std::string_view flag, std::string_view text, int decimals, int64_t min_scaled,
                                   int64_t max_scaled) {
  int64_t scale = 1;
  for (int digit = 0; digit < decimals; ++digit) scale *= 10;
  const auto describe = [&](int64_t scaled) {
    std::string whole = std::to_string(scaled / scale);
    if (decimals == 0 || scaled % scale == 0) return whole;
    std::string fraction = std::to_string(scaled % scale);
    fraction.insert(0, static_cast<size_t>(decimals) - fraction.size(), '0');
    while (!fraction.empty() && fraction.back() == '0') fraction.pop_back();
    return whole + "." + fraction;
  };
  const auto invalid = [&] {
    return invalid_argument_error(std::string(flag) + " must be a number from " + describe(min_scaled) + " to " +
                                  describe(max_scaled) + " with at most " + std::to_string(decimals) +
                                  " decimals, not '" + std::string(text.substr(0, 64)) + "'");
  };
  int64_t whole = 0;
  size_t pos = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    whole = whole * 10 + (text[pos] - '0');
    if (whole > max_scaled / scale + 1) return invalid();
    ++pos;
  }
  const bool has_whole = pos > 0;
  int64_t fraction = 0;
  int n_decimals = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (++n_decimals > decimals) return invalid();
      fraction = fraction * 10 + (text[pos] - '0');
      ++pos;
    }
    if (n_decimals == 0) return invalid();
  }
  if (pos != text.size() || !has_whole) return invalid();
  for (int pad = n_decimals; pad < decimals; ++pad) fraction *= 10;
  const int64_t scaled = whole * scale + fraction;
  if (scaled < min_scaled || scaled > max_scaled) return invalid();
  return scaled;
}

}  // namespace hearth::cli
