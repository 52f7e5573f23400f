#include "base/money.h"

#include <cstdio>

namespace hearth {

Result<int64_t> parse_usd(std::string_view text) {
  const std::string original(text);
  auto invalid = [&original] {
    return invalid_argument_error("'" + original + "' is not an amount of US dollars (write it like 12.50)");
  };
  if (!text.empty() && text.front() == '$') text.remove_prefix(1);
  constexpr int64_t kMaxWholeDollars = 1'000'000'000'000;
  int64_t whole = 0;
  size_t pos = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    whole = whole * 10 + (text[pos] - '0');
    if (whole > kMaxWholeDollars) return invalid();
    ++pos;
  }
  const bool has_whole = pos > 0;
  int64_t fraction = 0;
  int n_decimals = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (++n_decimals > 6) return invalid();
      fraction = fraction * 10 + (text[pos] - '0');
      ++pos;
    }
    if (n_decimals == 0) return invalid();
  }
  if (pos != text.size() || (!has_whole && n_decimals == 0)) return invalid();
  for (int pad = n_decimals; pad < 6; ++pad) fraction *= 10;
  return whole * 1'000'000 + fraction;
}

std::string format_usd(int64_t udollars) {
  const bool negative = udollars < 0;
  const uint64_t magnitude = negative ? 0 - static_cast<uint64_t>(udollars) : static_cast<uint64_t>(udollars);
  char text[40];
  std::snprintf(text, sizeof(text), "%s%llu.%06llu", negative ? "-" : "",
                static_cast<unsigned long long>(magnitude / 1'000'000),
                static_cast<unsigned long long>(magnitude % 1'000'000));
  return text;
}

}  // namespace hearth
