// TokenTrie: the vocabulary's byte strings in a trie, to find every token a
// GrammarMatcher accepts in one walk: tokens sharing a prefix share the
// matcher's work on it, and a prefix the matcher rejects prunes all of them.
//
//   TokenTrie trie(token_bytes);   // token_bytes[id]: the bytes id adds to the output
//   trie.fill_allowed(matcher, &allowed);  // allowed[id] = 1 when matcher accepts id's bytes
//
// Inside a string's text, where nearly every token is allowed, a walk would
// visit the whole trie; there, tokens that are plain text (no '"', '\', control
// bytes, only whole UTF-8 characters) are allowed by their code point count
// alone, and only the others are walked, in a second trie of their own.
//
// Tokens with no bytes (control tokens, whose text is not output) are never
// allowed; end-of-generation tokens are the caller's to add.
//
// Thread-safety: fill_allowed() uses the trie's scratch; one caller at a time.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "infer/grammar_matcher.h"

namespace hearth::infer {

class TokenTrie {
 public:
  explicit TokenTrie(std::span<const std::string> token_bytes);

  // Resizes `allowed` to the vocabulary size; returns how many ids are allowed.
  int64_t fill_allowed(const GrammarMatcher& matcher, std::vector<uint8_t>* allowed);

  size_t n_nodes() const { return all_.nodes.size(); }

 private:
  struct Trie {
    struct Node {
      uint32_t edge_begin = 0;  // children: edges[edge_begin, edge_end)
      uint32_t edge_end = 0;
      uint32_t token_begin = 0;  // ids ending here: ids[token_begin, token_end)
      uint32_t token_end = 0;
    };
    struct Edge {
      uint8_t byte;
      uint32_t child;
    };
    std::vector<Node> nodes;
    std::vector<Edge> edges;
    std::vector<int32_t> ids;  // sorted by their bytes

    // Over the ids for which keep(id) holds and whose bytes are not empty.
    template <typename Keep>
    void build(std::span<const std::string> token_bytes, const Keep& keep);
  };

  int64_t walk(const Trie& trie, uint32_t node_idx, size_t depth, std::vector<uint8_t>* allowed);

  int64_t n_vocab_ = 0;
  Trie all_;
  Trie not_plain_;                     // tokens that are not plain string text
  std::vector<int32_t> plain_ids_;     // the plain ones
  std::vector<int32_t> code_points_;   // per entry of plain_ids_
  std::vector<GrammarMatcher> states_;  // scratch: the matcher at each depth of the walk
};

}  // namespace hearth::infer
