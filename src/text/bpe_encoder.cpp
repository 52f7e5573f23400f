// Rank-ordered byte-level BPE merging; see bpe_encoder.h.
#include "text/bpe_encoder.h"

#include <queue>

#include "text/byte_level.h"
#include "text/unicode_normalization.h"
#include "text/utf8.h"

namespace hearth::text {

Result<BpeEncoder> BpeEncoder::create(const Vocab& vocab, const std::vector<std::string>& merges,
                                      PreTokenizer pre_tokenizer, int32_t unk_id) {
  BpeEncoder encoder(vocab, std::move(pre_tokenizer), unk_id);
  for (int byte = 0; byte < 256; ++byte) {
    std::string ch;
    append_utf8(ch, byte_level_code_point(static_cast<uint8_t>(byte)));
    encoder.byte_token_[byte] = vocab.find(ch);
  }
  if (merges.size() > static_cast<size_t>(INT32_MAX)) return data_loss_error("too many BPE merges");
  encoder.merges_.reserve(merges.size());
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const std::string& merge = merges[rank];
    // The separator is the first space after the first byte, so a left part may
    // itself start with a space in a vocabulary that is not byte-level encoded.
    const size_t space = merge.size() > 1 ? merge.find(' ', 1) : std::string::npos;
    if (space == std::string::npos || space + 1 >= merge.size()) {
      return data_loss_error("BPE merge " + std::to_string(rank) + " is not of the form 'left right'");
    }
    const std::string_view left(merge.data(), space);
    const std::string_view right(merge.data() + space + 1, merge.size() - space - 1);
    const int32_t left_id = vocab.find(left);
    const int32_t right_id = vocab.find(right);
    const int32_t merged_id = vocab.find(std::string(left) + std::string(right));
    if (left_id < 0 || right_id < 0 || merged_id < 0) {
      return data_loss_error("BPE merge " + std::to_string(rank) + " ('" + merge.substr(0, 60) +
                             "') refers to a text that is not in the vocabulary");
    }
    const auto [it, inserted] =
        encoder.merges_.emplace(pair_key(left_id, right_id), Merge{static_cast<int32_t>(rank), merged_id});
    if (!inserted) {
      return data_loss_error("BPE merge " + std::to_string(rank) + " repeats merge " + std::to_string(it->second.rank));
    }
  }
  return encoder;
}

void BpeEncoder::encode(std::string_view text, std::vector<int32_t>& out) const {
  std::string normalized;
  if (pre_tokenizer_.normalization() == Normalization::kNfc) {
    normalized = nfc_normalize(text);
    text = normalized;
  }
  std::vector<std::string_view> words;
  pre_tokenizer_.split(text, words);
  for (std::string_view word : words) encode_word(word, out);
}

void BpeEncoder::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  if (pre_tokenizer_.ignore_merges()) {
    const int32_t whole = vocab_->find(byte_level_encode(word));
    if (whole >= 0) {
      out.push_back(whole);
      return;
    }
  }

  struct Symbol {
    int32_t id;
    int32_t prev;
    int32_t next;
  };
  const auto n = static_cast<int32_t>(word.size());
  std::vector<Symbol> symbols(n);
  for (int32_t pos = 0; pos < n; ++pos) {
    symbols[pos] = {byte_token_[static_cast<uint8_t>(word[pos])], pos - 1, pos + 1 < n ? pos + 1 : -1};
  }

  struct Candidate {
    int32_t rank;
    int32_t left;      // position of the left symbol
    int32_t left_id;   // ids when queued: a changed symbol makes the entry stale
    int32_t right_id;
    int32_t merged_id;
    bool operator>(const Candidate& other) const {
      return rank != other.rank ? rank > other.rank : left > other.left;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> queue;
  auto consider = [&](int32_t left) {
    if (left < 0) return;
    const int32_t right = symbols[left].next;
    if (right < 0 || symbols[left].id < 0 || symbols[right].id < 0) return;
    if (const Merge* merge = find_merge(symbols[left].id, symbols[right].id)) {
      queue.push({merge->rank, left, symbols[left].id, symbols[right].id, merge->merged_id});
    }
  };
  for (int32_t pos = 0; pos + 1 < n; ++pos) consider(pos);

  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.left];
    if (left.id != top.left_id || left.next < 0) continue;
    Symbol& right = symbols[left.next];
    if (right.id != top.right_id) continue;
    // Merge right into left.
    left.id = top.merged_id;
    right.id = -2;  // dead: never matches a queued id
    left.next = right.next;
    if (left.next >= 0) symbols[left.next].prev = top.left;
    consider(left.prev);
    consider(top.left);
  }

  for (int32_t pos = 0; pos >= 0 && pos < n; pos = symbols[pos].next) {
    const int32_t id = symbols[pos].id;
    if (id >= 0) {
      out.push_back(id);
    } else if (unk_id_ >= 0) {
      out.push_back(unk_id_);
    }
  }
}

}  // namespace hearth::text
