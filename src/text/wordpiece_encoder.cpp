// Greedy longest-match WordPiece; see wordpiece_encoder.h.
#include "text/wordpiece_encoder.h"

#include <string>

#include "text/utf8.h"
#include "text/vocab.h"

namespace hearth::text {
namespace {

constexpr std::string_view kPhantomSpace = "\xE2\x96\x81";  // U+2581

}  // namespace

int32_t WordPieceEncoder::find_piece(std::string_view text) const {
  const int32_t id = vocab_.find(text);
  if (id < 0) return -1;
  const TokenType type = vocab_.type(id);
  return type == TokenType::kNormal || type == TokenType::kUserDefined ? id : -1;
}

void WordPieceEncoder::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  // Code point boundaries: offsets[idx] is where code point idx starts.
  std::vector<size_t> offsets;
  size_t pos = 0;
  while (pos < word.size()) {
    offsets.push_back(pos);
    pos += decode_utf8_char(word.substr(pos)).n_bytes;
  }
  const size_t n_chars = offsets.size();
  offsets.push_back(word.size());
  if (static_cast<int64_t>(n_chars) > kMaxWordChars) {
    if (unk_id_ >= 0) out.push_back(unk_id_);
    return;
  }

  const size_t n_before = out.size();
  std::string candidate;
  size_t start = 0;
  while (start < n_chars) {
    int32_t piece = -1;
    size_t end = n_chars;
    for (; end > start; --end) {
      const std::string_view text = word.substr(offsets[start], offsets[end] - offsets[start]);
      if (start == 0) {
        candidate.assign(kPhantomSpace);
        candidate.append(text);
        piece = find_piece(candidate);
      } else if (text.substr(0, kPhantomSpace.size()) != kPhantomSpace) {
        // A continuation never starts with U+2581: in the phantom form "##\u2581x" and the
        // word start "x" would both be "\u2581x" (HF finds no such continuation).
        piece = find_piece(text);
      }
      if (piece >= 0) break;
    }
    if (piece < 0) {
      out.resize(n_before);
      if (unk_id_ >= 0) out.push_back(unk_id_);
      return;
    }
    out.push_back(piece);
    start = end;
  }
}

}  // namespace hearth::text
