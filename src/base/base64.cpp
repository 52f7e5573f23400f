#include "base/base64.h"

#include <cstdint>

namespace hearth {

std::string base64_encode(std::string_view bytes) {
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t idx = 0;
  for (; idx + 3 <= bytes.size(); idx += 3) {
    const uint32_t group = static_cast<uint32_t>(static_cast<uint8_t>(bytes[idx])) << 16 |
                           static_cast<uint32_t>(static_cast<uint8_t>(bytes[idx + 1])) << 8 |
                           static_cast<uint32_t>(static_cast<uint8_t>(bytes[idx + 2]));
    out += kAlphabet[group >> 18];
    out += kAlphabet[(group >> 12) & 63];
    out += kAlphabet[(group >> 6) & 63];
    out += kAlphabet[group & 63];
  }
  const size_t n_left = bytes.size() - idx;
  if (n_left > 0) {
    uint32_t group = static_cast<uint32_t>(static_cast<uint8_t>(bytes[idx])) << 16;
    if (n_left == 2) group |= static_cast<uint32_t>(static_cast<uint8_t>(bytes[idx + 1])) << 8;
    out += kAlphabet[group >> 18];
    out += kAlphabet[(group >> 12) & 63];
    out += n_left == 2 ? kAlphabet[(group >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  while (!text.empty() && text.back() == '=' && text.size() % 4 != 1) {
    text.remove_suffix(1);
    if (text.size() % 4 == 1) return std::nullopt;  // "A===": no byte has one character
  }
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() / 4 * 3 + 2);
  uint32_t group = 0;
  int n_bits = 0;
  for (const char c : text) {
    int value = -1;
    if (c >= 'A' && c <= 'Z') value = c - 'A';
    else if (c >= 'a' && c <= 'z') value = c - 'a' + 26;
    else if (c >= '0' && c <= '9') value = c - '0' + 52;
    else if (c == '+') value = 62;
    else if (c == '/') value = 63;
    if (value < 0) return std::nullopt;
    group = (group << 6) | static_cast<uint32_t>(value);
    n_bits += 6;
    if (n_bits >= 8) {
      n_bits -= 8;
      out += static_cast<char>((group >> n_bits) & 0xFF);
    }
  }
  return out;
}

}  // namespace hearth
