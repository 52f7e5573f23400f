// Strict UTF-8 decoding; see utf8.h.
#include "text/utf8.h"

namespace hearth::text {
namespace {

bool is_continuation(uint8_t byte) { return (byte & 0xC0) == 0x80; }

}  // namespace

Utf8Char decode_utf8_char(std::string_view bytes) {
  const auto* s = reinterpret_cast<const uint8_t*>(bytes.data());
  const size_t n = bytes.size();
  const uint8_t lead = s[0];
  if (lead < 0x80) return {lead, 1, Utf8Status::kValid};

  uint32_t len = 0;
  uint32_t code_point = 0;
  // Allowed range of the second byte (Table 3-7): it excludes overlongs,
  // surrogates and code points above U+10FFFF.
  uint8_t second_lo = 0x80;
  uint8_t second_hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2;
    code_point = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3;
    code_point = lead & 0x0F;
    if (lead == 0xE0) second_lo = 0xA0;
    if (lead == 0xED) second_hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4;
    code_point = lead & 0x07;
    if (lead == 0xF0) second_lo = 0x90;
    if (lead == 0xF4) second_hi = 0x8F;
  } else {
    return {0, 1, Utf8Status::kInvalid};  // continuation byte, C0, C1 or F5..FF
  }

  for (uint32_t idx = 1; idx < len; ++idx) {
    if (idx >= n) return {0, idx, Utf8Status::kTruncated};
    const uint8_t byte = s[idx];
    const bool ok = idx == 1 ? (byte >= second_lo && byte <= second_hi) : is_continuation(byte);
    if (!ok) return {0, idx, Utf8Status::kInvalid};
    code_point = (code_point << 6) | (byte & 0x3F);
  }
  return {code_point, len, Utf8Status::kValid};
}

void append_utf8(std::string& out, uint32_t code_point) {
  if ((code_point >= 0xD800 && code_point <= 0xDFFF) || code_point > 0x10FFFF) {
    code_point = kReplacementChar;
  }
  if (code_point < 0x80) {
    out.push_back(static_cast<char>(code_point));
  } else if (code_point < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code_point >> 6)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else if (code_point < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code_point >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code_point >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code_point >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code_point & 0x3F)));
  }
}

bool is_valid_utf8(std::string_view bytes) {
  size_t pos = 0;
  while (pos < bytes.size()) {
    const Utf8Char ch = decode_utf8_char(bytes.substr(pos));
    if (ch.status != Utf8Status::kValid) return false;
    pos += ch.n_bytes;
  }
  return true;
}

std::string sanitize_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  size_t pos = 0;
  while (pos < bytes.size()) {
    const Utf8Char ch = decode_utf8_char(bytes.substr(pos));
    if (ch.status == Utf8Status::kValid) {
      out.append(bytes.substr(pos, ch.n_bytes));
    } else {
      append_utf8(out, kReplacementChar);
    }
    pos += ch.n_bytes;
  }
  return out;
}

}  // namespace hearth::text
