// GPT-2 byte-level alphabet: every byte is mapped to one printable code point
// so a byte-level BPE vocabulary can hold arbitrary bytes as text. Printable
// Latin-1 bytes ('!'..'~', 0xA1..0xAC, 0xAE..0xFF) map to themselves; the other
// 68 bytes map, in byte order, to U+0100..U+0143 (so ' ' is U+0120 'Ġ' and
// '\n' is U+010A 'Ċ').
// ref: https://github.com/openai/gpt-2/blob/master/src/encoder.py (bytes_to_unicode)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace hearth::text {

// The code point byte `byte` is written as.
uint32_t byte_level_code_point(uint8_t byte);

// The byte that `code_point` stands for, or -1 when it is not in the alphabet.
int byte_level_byte(uint32_t code_point);

// Each byte of `bytes` as its byte-level character (UTF-8 encoded).
std::string byte_level_encode(std::string_view bytes);

// The inverse of byte_level_encode(). A character outside the alphabet (a
// vocabulary entry that was not byte-level encoded) is copied through
// unchanged, as are ill-formed UTF-8 bytes, so no input is ever lost.
std::string byte_level_decode(std::string_view text);

}  // namespace hearth::text
