// PrefixCache: remembers full KV blocks by the tokens that produced them, so
// a later sequence that starts with the same tokens maps those blocks
// instead of computing them again.
//
// A block's key is a chain hash: hash(parent key, the block's tokens), the
// parent being the key of the block before it (0 for the first). Equal keys
// mean equal prefixes: on a hit the entry's parent key and tokens are
// compared too, so only a 64-bit collision of two parent chains could map a
// wrong block.
//
// The cache holds one reference on every block it remembers. A block that
// only the cache holds is evictable: evict_until_free() releases such blocks,
// least recently used first (and, among equals, the deepest first, so a
// chain is cut from its end).
//
//   std::vector<int32_t> shared = cache.match(prompt, max_blocks);  // retained for the caller
//   ... after the forward pass fills block i of a sequence:
//   hashes[i] = cache.insert(i == 0 ? 0 : hashes[i - 1], block_tokens_of_i, blocks[i], i);
//
// Thread-safety: none; the engine thread owns it with the pool.
#pragma once

#include <cstdint>
#include <span>
#include <unordered_map>
#include <vector>

#include "infer/kv_block_pool.h"

namespace hearth::infer {

class PrefixCache {
 public:
  // The pool must outlive the cache.
  explicit PrefixCache(KvBlockPool& pool) : pool_(pool) {}
  // Releases every block the cache holds.
  ~PrefixCache() { clear(); }
  PrefixCache(const PrefixCache&) = delete;
  PrefixCache& operator=(const PrefixCache&) = delete;

  static uint64_t chain_hash(uint64_t parent, std::span<const int32_t> block_tokens);

  // The blocks of the longest cached run of full blocks that `tokens` starts
  // with, at most max_blocks; each gains one reference for the caller.
  // chain_out (if not null) receives their keys.
  std::vector<int32_t> match(std::span<const int32_t> tokens, int64_t max_blocks,
                             std::vector<uint64_t>* chain_out = nullptr);

  // Remembers `block` as the full block after the prefix keyed `parent`
  // (depth = its index in the sequence) and returns its key. The cache takes
  // a reference unless an entry for the key exists already (then nothing changes).
  // Precondition: block_tokens.size() == the pool's block_tokens.
  uint64_t insert(uint64_t parent, std::span<const int32_t> block_tokens, int32_t block, int64_t depth);

  // Releases least recently used evictable blocks until the pool has
  // n_free_wanted free blocks or nothing evictable is left. Returns the number evicted.
  int64_t evict_until_free(int32_t n_free_wanted);

  int64_t n_entries() const { return static_cast<int64_t>(entries_.size()); }
  // Entries whose block only the cache holds.
  int64_t n_evictable() const;
  // Forgets every entry, releasing its reference.
  void clear();

 private:
  struct Entry {
    int32_t block;
    int64_t depth;
    uint64_t parent;
    uint64_t last_use;
    std::vector<int32_t> tokens;
  };

  KvBlockPool& pool_;
  std::unordered_map<uint64_t, Entry> entries_;
  uint64_t clock_ = 0;  // advances on every match and insert; orders last_use
};

}  // namespace hearth::infer
