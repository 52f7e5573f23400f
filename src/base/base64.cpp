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

}  // namespace hearth
