// Utf8StreamDecoder: turns a byte stream cut at arbitrary points (one token's
// bytes at a time) into text that is always valid UTF-8.
//
// push() returns every complete character seen so far and keeps back a
// trailing proper prefix of a multi-byte sequence (at most 3 bytes) until the
// next push(); ill-formed subparts become U+FFFD. flush() ends the stream:
// a held-back prefix that never completed becomes one U+FFFD.
//
//   Utf8StreamDecoder utf8;
//   for (int32_t id : generated) send(utf8.push(tokenizer.token_to_bytes(id)));
//   send(utf8.flush());
//
// Not thread-safe: one decoder per stream.
#pragma once

#include <string>
#include <string_view>

namespace hearth::text {

class Utf8StreamDecoder {
 public:
  std::string push(std::string_view bytes);
  std::string flush();
  // Bytes held back waiting for the rest of a character (0 to 3).
  size_t n_pending_bytes() const { return pending_.size(); }

 private:
  std::string pending_;
};

}  // namespace hearth::text
