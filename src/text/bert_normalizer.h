// BERT's text preparation before WordPiece, as HF tokenizers' BertNormalizer
// (clean_text, handle_chinese_chars, strip_accents, lowercase: the uncased
// models' settings, which all-MiniLM, bge, e5 and gte ship) followed by its
// BertPreTokenizer (split on whitespace, every punctuation character a word
// of its own).
//
//   std::vector<std::string> words = bert_words("Héllo, 世界!");  // {"hello", ",", "世", "界", "!"}
//
// In order, per code point: U+0000, U+FFFD and "other" characters (Cc except
// \t \n \r, Cf, Cn, Co, Cs) are dropped and White_Space becomes ' '; CJK
// ideographs get a space on each side; the text is decomposed (NFD) and
// nonspacing marks (Mn) are dropped; letters are lowercased (simple case
// mapping: the one full mapping that differs, U+0130, never survives the
// decomposition before it). Punctuation is ASCII's (every graphic non
// alphanumeric) plus the Unicode P* categories. Ill-formed UTF-8 is dropped,
// as HF drops the U+FFFD it would have become.
//
// Character properties come from utf8proc (Unicode 15); HF tokenizers' come
// from the Rust crates it links, some older: characters assigned after
// Unicode 9 may be classified differently (the parity corpus avoids them).
// ref: https://github.com/huggingface/tokenizers (normalizers/bert.rs, pre_tokenizers/bert.rs)
//
// Thread-safe (no state).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace hearth::text {

// Appends the words of `text` to `words` (each non-empty, valid UTF-8).
void bert_words(std::string_view text, std::vector<std::string>& words);

}  // namespace hearth::text
