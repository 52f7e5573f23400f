// BpeEncoder: byte-level BPE ("gpt2" tokenizers: GPT-2, Llama 3, Qwen2).
// Each pre-tokenizer word starts as one symbol per byte (its byte-level
// character's token); then, as in HF tokenizers' BPE, the adjacent pair with
// the lowest merge rank is merged (leftmost first on ties) until no ranked
// pair is left.
//
// A byte whose byte-level character is not in the vocabulary becomes unk_id,
// or is dropped when the vocabulary has no unk token (as HF does).
// Thread-safe: encode() is const.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "text/pre_tokenizer.h"
#include "text/vocab.h"

namespace hearth::text {

class BpeEncoder {
 public:
  // Keeps a reference to `vocab`, which must outlive the encoder. kDataLoss
  // naming the merge when one is not "left right", names a text that is not a
  // token, produces a text that is not a token, or repeats an earlier merge.
  static Result<BpeEncoder> create(const Vocab& vocab, const std::vector<std::string>& merges,
                                   PreTokenizer pre_tokenizer, int32_t unk_id);

  // Appends the tokens of `text` (plain text, no special tokens) to `out`,
  // after the pre-tokenizer's normalization (NFC for "qwen2").
  void encode(std::string_view text, std::vector<int32_t>& out) const;

  int64_t n_merges() const { return static_cast<int64_t>(merges_.size()); }

 private:
  struct Merge {
    int32_t rank;
    int32_t merged_id;
  };
  BpeEncoder(const Vocab& vocab, PreTokenizer pre_tokenizer, int32_t unk_id)
      : vocab_(&vocab), pre_tokenizer_(std::move(pre_tokenizer)), unk_id_(unk_id) {}

  static uint64_t pair_key(int32_t left, int32_t right) {
    return (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
  }
  const Merge* find_merge(int32_t left, int32_t right) const {
    const auto it = merges_.find(pair_key(left, right));
    return it == merges_.end() ? nullptr : &it->second;
  }
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;

  const Vocab* vocab_;
  PreTokenizer pre_tokenizer_;
  int32_t unk_id_;
  std::array<int32_t, 256> byte_token_{};  // byte -> token of its byte-level character, or -1
  std::unordered_map<uint64_t, Merge> merges_;
};

}  // namespace hearth::text
