#include "infer/token_trie.h"

#include <algorithm>
#include <deque>
#include <numeric>

namespace hearth::infer {

TokenTrie::TokenTrie(std::span<const std::string> token_bytes) : n_vocab_(static_cast<int64_t>(token_bytes.size())) {
  ids_.resize(token_bytes.size());
  std::iota(ids_.begin(), ids_.end(), 0);
  std::erase_if(ids_, [&](int32_t id) { return token_bytes[static_cast<size_t>(id)].empty(); });
  // std::string compares as unsigned bytes (char_traits<char>::compare is memcmp).
  std::sort(ids_.begin(), ids_.end(), [&](int32_t a, int32_t b) {
    const std::string& bytes_a = token_bytes[static_cast<size_t>(a)];
    const std::string& bytes_b = token_bytes[static_cast<size_t>(b)];
    return bytes_a < bytes_b || (bytes_a == bytes_b && a < b);
  });
  // Each node covers the sorted ids sharing its prefix; those equal to the
  // prefix come first, the rest split into runs by their next byte.
  struct Pending {
    uint32_t node;
    size_t lo;
    size_t hi;
    size_t depth;
  };
  std::deque<Pending> pending;
  nodes_.push_back(Node{});
  pending.push_back({0, 0, ids_.size(), 0});
  while (!pending.empty()) {
    const Pending item = pending.front();
    pending.pop_front();
    const auto bytes_of = [&](size_t pos) -> const std::string& { return token_bytes[static_cast<size_t>(ids_[pos])]; };
    size_t pos = item.lo;
    while (pos < item.hi && bytes_of(pos).size() == item.depth) ++pos;
    nodes_[item.node].token_begin = static_cast<uint32_t>(item.lo);
    nodes_[item.node].token_end = static_cast<uint32_t>(pos);
    nodes_[item.node].edge_begin = static_cast<uint32_t>(edges_.size());
    while (pos < item.hi) {
      const char byte = bytes_of(pos)[item.depth];
      size_t run_end = pos;
      while (run_end < item.hi && bytes_of(run_end)[item.depth] == byte) ++run_end;
      const auto child = static_cast<uint32_t>(nodes_.size());
      nodes_.push_back(Node{});
      edges_.push_back({static_cast<uint8_t>(byte), child});
      pending.push_back({child, pos, run_end, item.depth + 1});
      pos = run_end;
    }
    nodes_[item.node].edge_end = static_cast<uint32_t>(edges_.size());
  }
}

int64_t TokenTrie::fill_allowed(const GrammarMatcher& matcher, std::vector<uint8_t>* allowed) {
  allowed->assign(static_cast<size_t>(n_vocab_), 0);
  if (states_.empty()) {
    states_.push_back(matcher);
  } else {
    states_[0] = matcher;
  }
  return walk(0, 0, allowed);
}

int64_t TokenTrie::walk(uint32_t node_idx, size_t depth, std::vector<uint8_t>* allowed) {
  int64_t n_allowed = 0;
  const Node& node = nodes_[node_idx];
  if (depth > 0) {
    for (uint32_t pos = node.token_begin; pos < node.token_end; ++pos) {
      (*allowed)[static_cast<size_t>(ids_[pos])] = 1;
      ++n_allowed;
    }
  }
  for (uint32_t edge_idx = node.edge_begin; edge_idx < node.edge_end; ++edge_idx) {
    const Edge edge = edges_[edge_idx];
    if (states_.size() <= depth + 1) states_.push_back(states_[depth]);
    states_[depth + 1] = states_[depth];
    if (!states_[depth + 1].accept(edge.byte)) continue;
    n_allowed += walk(edge.child, depth + 1, allowed);
  }
  return n_allowed;
}

}  // namespace hearth::infer
