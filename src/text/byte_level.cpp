// GPT-2 byte-level alphabet; see byte_level.h.
#include "text/byte_level.h"

#include <array>

#include "text/utf8.h"

namespace hearth::text {
namespace {

struct ByteLevelTables {
  std::array<uint32_t, 256> code_point{};
  std::array<int16_t, 0x144> byte{};  // indexed by code point < U+0144
};

constexpr ByteLevelTables make_tables() {
  ByteLevelTables tables;
  for (auto& b : tables.byte) b = -1;
  uint32_t next_shifted = 0x100;
  for (uint32_t byte = 0; byte < 256; ++byte) {
    const bool self = (byte >= 0x21 && byte <= 0x7E) || (byte >= 0xA1 && byte <= 0xAC) ||
                      (byte >= 0xAE && byte <= 0xFF);
    const uint32_t cp = self ? byte : next_shifted++;
    tables.code_point[byte] = cp;
    tables.byte[cp] = static_cast<int16_t>(byte);
  }
  return tables;
}

constexpr ByteLevelTables kTables = make_tables();
static_assert(kTables.code_point[' '] == 0x120 && kTables.code_point['\n'] == 0x10A);

}  // namespace

uint32_t byte_level_code_point(uint8_t byte) {
  return kTables.code_point[byte];
}

int byte_level_byte(uint32_t code_point) {
  return code_point < kTables.byte.size() ? kTables.byte[code_point] : -1;
}

std::string byte_level_encode(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (char c : bytes) append_utf8(out, kTables.code_point[static_cast<uint8_t>(c)]);
  return out;
}

std::string byte_level_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const Utf8Char ch = decode_utf8_char(text.substr(pos));
    const int byte = ch.status == Utf8Status::kValid ? byte_level_byte(ch.code_point) : -1;
    if (byte >= 0) {
      out.push_back(static_cast<char>(byte));
    } else {
      out.append(text.substr(pos, ch.n_bytes));
    }
    pos += ch.n_bytes;
  }
  return out;
}

}  // namespace hearth::text
