// WordPiece: each word (see bert_normalizer.h) becomes its longest
// vocabulary prefix, then the longest continuation piece of the rest, and so
// on; a word with a remainder no piece starts, or of more than 100 code
// points, becomes the unknown token as a whole (HF tokenizers' WordPiece
// model, max_input_chars_per_word = 100).
//
// The vocabulary is in the form llama.cpp's converter writes for BERT
// ("phantom space"): a word-initial piece "foo" is stored as "\u2581foo", a
// continuation "##bar" as "bar"; control tokens ([CLS], [SEP], ...) as they are.
// The form cannot tell a continuation that starts with U+2581 from a word
// start; BERT vocabularies have none, so such a continuation is never matched.
// ref: https://github.com/huggingface/tokenizers (models/wordpiece)
//
// Thread-safe after construction.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace hearth::text {

class Vocab;

class WordPieceEncoder {
 public:
  static constexpr int64_t kMaxWordChars = 100;

  // `vocab` must outlive the encoder; unk_id is emitted for words no pieces cover (-1: dropped).
  WordPieceEncoder(const Vocab& vocab, int32_t unk_id) : vocab_(vocab), unk_id_(unk_id) {}

  // Appends the ids of one word (non-empty, valid UTF-8) to `out`.
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;

 private:
  // The id of a piece a word may be cut into: a normal or user-defined token.
  int32_t find_piece(std::string_view text) const;

  const Vocab& vocab_;
  int32_t unk_id_;
};

}  // namespace hearth::text
