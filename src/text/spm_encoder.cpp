// Score-ordered SentencePiece BPE; see spm_encoder.h.
#include "text/spm_encoder.h"

#include <queue>

#include "text/utf8.h"

namespace hearth::text {

SpmEncoder::SpmEncoder(const Vocab& vocab, int32_t unk_id) : vocab_(&vocab), unk_id_(unk_id) {
  byte_token_.fill(-1);
  for (int32_t id = 0; id < vocab.size(); ++id) {
    if (vocab.type(id) == TokenType::kByte && byte_token_[vocab.byte_value(id)] < 0) {
      byte_token_[vocab.byte_value(id)] = id;
    }
  }
}

int32_t SpmEncoder::find_piece(std::string_view text) const {
  const int32_t id = vocab_->find(text);
  if (id < 0) return -1;
  const TokenType type = vocab_->type(id);
  return type == TokenType::kNormal || type == TokenType::kUserDefined ? id : -1;
}

void SpmEncoder::encode(std::string_view text, std::vector<int32_t>& out) const {
  struct Symbol {
    uint32_t start;  // byte offset into text
    uint32_t n_bytes;  // 0 once merged into its left neighbour
    int32_t prev;
    int32_t next;
  };
  std::vector<Symbol> symbols;
  symbols.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const uint32_t len = decode_utf8_char(text.substr(pos)).n_bytes;  // 1 for an ill-formed byte
    const auto idx = static_cast<int32_t>(symbols.size());
    symbols.push_back({static_cast<uint32_t>(pos), len, idx - 1, -1});
    if (idx > 0) symbols[idx - 1].next = idx;
    pos += len;
  }

  struct Candidate {
    float score;
    int32_t left;
    uint32_t n_bytes;  // combined length when queued: a changed symbol makes the entry stale
    bool operator<(const Candidate& other) const {  // max-heap: higher score, then leftmost
      return score != other.score ? score < other.score : left > other.left;
    }
  };
  std::priority_queue<Candidate> queue;
  auto consider = [&](int32_t left) {
    if (left < 0 || symbols[left].next < 0) return;
    const Symbol& a = symbols[left];
    const Symbol& b = symbols[a.next];
    const uint32_t n_bytes = a.n_bytes + b.n_bytes;
    const int32_t id = find_piece(text.substr(a.start, n_bytes));
    if (id >= 0) queue.push({vocab_->score(id), left, n_bytes});
  };
  for (int32_t idx = 0; idx + 1 < static_cast<int32_t>(symbols.size()); ++idx) consider(idx);

  while (!queue.empty()) {
    const Candidate top = queue.top();
    queue.pop();
    Symbol& left = symbols[top.left];
    if (left.n_bytes == 0 || left.next < 0) continue;
    Symbol& right = symbols[left.next];
    // Symbols only grow, so an unchanged combined length means an unchanged pair.
    if (left.n_bytes + right.n_bytes != top.n_bytes) continue;
    left.n_bytes = top.n_bytes;
    right.n_bytes = 0;
    left.next = right.next;
    if (left.next >= 0) symbols[left.next].prev = top.left;
    consider(left.prev);
    consider(top.left);
  }

  for (int32_t idx = symbols.empty() ? -1 : 0; idx >= 0; idx = symbols[idx].next) {
    const Symbol& sym = symbols[idx];
    const std::string_view piece = text.substr(sym.start, sym.n_bytes);
    const int32_t id = find_piece(piece);
    if (id >= 0) {
      out.push_back(id);
      continue;
    }
    // An unmerged symbol is one character: its bytes, or one unk for all of them.
    bool all_bytes = true;
    for (char c : piece) all_bytes = all_bytes && byte_token_[static_cast<uint8_t>(c)] >= 0;
    if (all_bytes) {
      for (char c : piece) out.push_back(byte_token_[static_cast<uint8_t>(c)]);
    } else if (unk_id_ >= 0) {
      out.push_back(unk_id_);
    }
  }
}

}  // namespace hearth::text
