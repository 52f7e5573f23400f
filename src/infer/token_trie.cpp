#include "infer/token_trie.h"

#include <algorithm>
#include <deque>
#include <numeric>

namespace hearth::infer {
namespace {

// The code points of `bytes` when it is plain JSON string text (see the
// header); -1 when it is not.
int32_t plain_code_points(const std::string& bytes) {
  int32_t n_code_points = 0;
  size_t pos = 0;
  while (pos < bytes.size()) {
    const auto lead = static_cast<uint8_t>(bytes[pos]);
    size_t n_continuation = 0;
    uint8_t lo = 0x80;
    uint8_t hi = 0xBF;
    if (lead < 0x80) {
      if (lead < 0x20 || lead == '"' || lead == '\\') return -1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      n_continuation = 1;
    } else if (lead == 0xE0) {
      n_continuation = 2;
      lo = 0xA0;
    } else if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF) {
      n_continuation = 2;
    } else if (lead == 0xED) {
      n_continuation = 2;
      hi = 0x9F;
    } else if (lead == 0xF0) {
      n_continuation = 3;
      lo = 0x90;
    } else if (lead >= 0xF1 && lead <= 0xF3) {
      n_continuation = 3;
    } else if (lead == 0xF4) {
      n_continuation = 3;
      hi = 0x8F;
    } else {
      return -1;
    }
    if (pos + n_continuation >= bytes.size() && n_continuation > 0) return -1;  // cut short
    for (size_t idx = 1; idx <= n_continuation; ++idx) {
      const auto byte = static_cast<uint8_t>(bytes[pos + idx]);
      if (byte < lo || byte > hi) return -1;
      lo = 0x80;
      hi = 0xBF;
    }
    pos += n_continuation + 1;
    ++n_code_points;
  }
  return n_code_points;
}

}  // namespace

template <typename Keep>
void TokenTrie::Trie::build(std::span<const std::string> token_bytes, const Keep& keep) {
  ids.resize(token_bytes.size());
  std::iota(ids.begin(), ids.end(), 0);
  std::erase_if(ids, [&](int32_t id) { return token_bytes[static_cast<size_t>(id)].empty() || !keep(id); });
  // std::string compares as unsigned bytes (char_traits<char>::compare is memcmp).
  std::sort(ids.begin(), ids.end(), [&](int32_t a, int32_t b) {
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
  nodes.push_back(Node{});
  pending.push_back({0, 0, ids.size(), 0});
  while (!pending.empty()) {
    const Pending item = pending.front();
    pending.pop_front();
    const auto bytes_of = [&](size_t pos) -> const std::string& { return token_bytes[static_cast<size_t>(ids[pos])]; };
    size_t pos = item.lo;
    while (pos < item.hi && bytes_of(pos).size() == item.depth) ++pos;
    nodes[item.node].token_begin = static_cast<uint32_t>(item.lo);
    nodes[item.node].token_end = static_cast<uint32_t>(pos);
    nodes[item.node].edge_begin = static_cast<uint32_t>(edges.size());
    while (pos < item.hi) {
      const char byte = bytes_of(pos)[item.depth];
      size_t run_end = pos;
      while (run_end < item.hi && bytes_of(run_end)[item.depth] == byte) ++run_end;
      const auto child = static_cast<uint32_t>(nodes.size());
      nodes.push_back(Node{});
      edges.push_back({static_cast<uint8_t>(byte), child});
      pending.push_back({child, pos, run_end, item.depth + 1});
      pos = run_end;
    }
    nodes[item.node].edge_end = static_cast<uint32_t>(edges.size());
  }
}

TokenTrie::TokenTrie(std::span<const std::string> token_bytes) : n_vocab_(static_cast<int64_t>(token_bytes.size())) {
  std::vector<int32_t> plain(token_bytes.size(), -1);
  for (size_t id = 0; id < token_bytes.size(); ++id) {
    if (token_bytes[id].empty()) continue;
    plain[id] = plain_code_points(token_bytes[id]);
    if (plain[id] >= 0) {
      plain_ids_.push_back(static_cast<int32_t>(id));
      code_points_.push_back(plain[id]);
    }
  }
  all_.build(token_bytes, [](int32_t) { return true; });
  not_plain_.build(token_bytes, [&](int32_t id) { return plain[static_cast<size_t>(id)] < 0; });
}

int64_t TokenTrie::fill_allowed(const GrammarMatcher& matcher, std::vector<uint8_t>* allowed) {
  allowed->assign(static_cast<size_t>(n_vocab_), 0);
  if (states_.empty()) {
    states_.push_back(matcher);
  } else {
    states_[0] = matcher;
  }
  const int64_t room = matcher.plain_string_room();
  if (room == -2) return walk(all_, 0, 0, allowed);
  int64_t n_allowed = 0;
  for (size_t idx = 0; idx < plain_ids_.size(); ++idx) {
    if (room < 0 || code_points_[idx] <= room) {
      (*allowed)[static_cast<size_t>(plain_ids_[idx])] = 1;
      ++n_allowed;
    }
  }
  return n_allowed + walk(not_plain_, 0, 0, allowed);
}

int64_t TokenTrie::walk(const Trie& trie, uint32_t node_idx, size_t depth, std::vector<uint8_t>* allowed) {
  int64_t n_allowed = 0;
  const Trie::Node& node = trie.nodes[node_idx];
  if (depth > 0) {
    for (uint32_t pos = node.token_begin; pos < node.token_end; ++pos) {
      (*allowed)[static_cast<size_t>(trie.ids[pos])] = 1;
      ++n_allowed;
    }
  }
  for (uint32_t edge_idx = node.edge_begin; edge_idx < node.edge_end; ++edge_idx) {
    const Trie::Edge edge = trie.edges[edge_idx];
    if (states_.size() <= depth + 1) states_.push_back(states_[depth]);
    states_[depth + 1] = states_[depth];
    if (!states_[depth + 1].accept(edge.byte)) continue;
    n_allowed += walk(trie, edge.child, depth + 1, allowed);
  }
  return n_allowed;
}

}  // namespace hearth::infer
