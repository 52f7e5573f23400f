// The unsigned decimal number ("12", "1.5", ".5") a piece of text starts with,
// as byte_size.h and duration.h read them before their unit.
#pragma once

#include <cctype>
#include <cstddef>
#include <string_view>

namespace hearth {

// The length of the longest prefix of `text` made of digits and at most one
// '.', holding at least one digit; 0 when there is none. Longer numbers than
// max_chars count as none: no size or duration needs them.
inline size_t decimal_prefix_length(std::string_view text, size_t max_chars = 32) {
  size_t length = 0;
  bool seen_digit = false;
  bool seen_point = false;
  while (length < text.size()) {
    const char c = text[length];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      seen_digit = true;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
    ++length;
  }
  return seen_digit && length <= max_chars ? length : 0;
}

}  // namespace hearth
