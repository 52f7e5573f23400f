// UTF-8 primitives shared by the tokenizers, the stream decoder and the chat
// templates. Decoding is strict (RFC 3629: no overlongs, no surrogates, nothing
// above U+10FFFF); an ill-formed sequence is reported with the length of its
// maximal subpart, so that replacing each one by U+FFFD follows the Unicode
// "substitution of maximal subparts" practice.
// ref: Unicode 15, section 3.9 (Table 3-7, well-formed byte sequences)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace hearth::text {

inline constexpr uint32_t kReplacementChar = 0xFFFD;

enum class Utf8Status : uint8_t {
  kValid,      // a complete, well-formed sequence of n_bytes bytes
  kInvalid,    // n_bytes (>= 1) bytes form a maximal ill-formed subpart
  kTruncated,  // the n_bytes bytes that remain are a proper prefix of a valid sequence
};

struct Utf8Char {
  uint32_t code_point = 0;  // meaningful for kValid only
  uint32_t n_bytes = 0;     // >= 1 whenever the input was not empty
  Utf8Status status = Utf8Status::kInvalid;
};

// Decodes the sequence at the start of `bytes` (which must not be empty).
Utf8Char decode_utf8_char(std::string_view bytes);

// Appends the UTF-8 encoding of `code_point` (a surrogate or a value above
// U+10FFFF is written as U+FFFD).
void append_utf8(std::string& out, uint32_t code_point);

bool is_valid_utf8(std::string_view bytes);

// `bytes` with every ill-formed subpart (including a truncated tail) replaced
// by U+FFFD; valid input is returned unchanged.
std::string sanitize_utf8(std::string_view bytes);

}  // namespace hearth::text
