// SpmEncoder: SentencePiece-style BPE ("llama" tokenizers: Llama 1/2,
// Mistral v0.1/v0.2). The caller has already replaced spaces by U+2581.
// The text starts as one symbol per UTF-8 character; the adjacent pair whose
// concatenation is the highest-scoring token is merged (leftmost first on
// ties) until no pair forms a token. A final symbol that is not a token (a
// character outside the vocabulary) becomes its <0xAB> byte tokens, or
// unk_id where a byte token is missing, or nothing when there is no unk token
// either. An ill-formed UTF-8 byte is a symbol of its own. Only normal and
// user-defined tokens are pieces: control, unused and byte tokens are never
// the result of a merge (as in SentencePiece).
// ref: https://github.com/google/sentencepiece/blob/master/src/bpe_model.cc
// Thread-safe: encode() is const.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "text/vocab.h"

namespace hearth::text {

class SpmEncoder {
 public:
  // Keeps a reference to `vocab`, which must outlive the encoder.
  SpmEncoder(const Vocab& vocab, int32_t unk_id);

  void encode(std::string_view escaped_text, std::vector<int32_t>& out) const;

 private:
  // The normal or user-defined token whose text is `text`, or -1.
  int32_t find_piece(std::string_view text) const;

  const Vocab* vocab_;
  int32_t unk_id_;
  std::array<int32_t, 256> byte_token_{};  // byte -> its <0xAB> token, or -1
};

}  // namespace hearth::text
