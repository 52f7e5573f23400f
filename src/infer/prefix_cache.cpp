#include "infer/prefix_cache.h"

#include <algorithm>
#include <cassert>
#include <tuple>

namespace hearth::infer {
namespace {

// ref: splitmix64 finalizer (Steele, Lea, Flood 2014), a strong 64-bit mixer.
uint64_t mix(uint64_t value) {
  value += 0x9E3779B97F4A7C15ull;
  value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9ull;
  value = (value ^ (value >> 27)) * 0x94D049BB133111EBull;
  return value ^ (value >> 31);
}

}  // namespace

uint64_t PrefixCache::chain_hash(uint64_t parent, std::span<const int32_t> block_tokens) {
  uint64_t hash = mix(parent ^ 0x6A09E667F3BCC908ull);
  for (int32_t token : block_tokens) hash = mix(hash ^ static_cast<uint32_t>(token));
  return hash;
}

std::vector<int32_t> PrefixCache::match(std::span<const int32_t> tokens, int64_t max_blocks,
                                        std::vector<uint64_t>* chain_out) {
  const auto block_tokens = static_cast<size_t>(pool_.block_tokens());
  std::vector<int32_t> blocks;
  if (chain_out != nullptr) chain_out->clear();
  ++clock_;
  uint64_t parent = 0;
  for (size_t begin = 0; begin + block_tokens <= tokens.size() && static_cast<int64_t>(blocks.size()) < max_blocks;
       begin += block_tokens) {
    const std::span<const int32_t> block_ids = tokens.subspan(begin, block_tokens);
    const uint64_t key = chain_hash(parent, block_ids);
    const auto found = entries_.find(key);
    if (found == entries_.end()) break;
    Entry& entry = found->second;
    if (entry.parent != parent || !std::equal(block_ids.begin(), block_ids.end(), entry.tokens.begin())) break;
    entry.last_use = clock_;
    pool_.retain(entry.block);
    blocks.push_back(entry.block);
    if (chain_out != nullptr) chain_out->push_back(key);
    parent = key;
  }
  return blocks;
}

uint64_t PrefixCache::insert(uint64_t parent, std::span<const int32_t> block_tokens, int32_t block, int64_t depth) {
  assert(static_cast<int64_t>(block_tokens.size()) == pool_.block_tokens());
  const uint64_t key = chain_hash(parent, block_tokens);
  const auto [it, inserted] =
      entries_.try_emplace(key, Entry{block, depth, parent, ++clock_, {block_tokens.begin(), block_tokens.end()}});
  if (inserted) pool_.retain(block);
  return key;
}

int64_t PrefixCache::n_evictable() const {
  return std::count_if(entries_.begin(), entries_.end(),
                       [this](const auto& item) { return pool_.ref_count(item.second.block) == 1; });
}

int64_t PrefixCache::evict_until_free(int32_t n_free_wanted) {
  if (pool_.n_free() >= n_free_wanted) return 0;
  struct Candidate {
    uint64_t last_use;
    int64_t depth;
    uint64_t key;
  };
  std::vector<Candidate> candidates;
  for (const auto& [key, entry] : entries_) {
    if (pool_.ref_count(entry.block) == 1) candidates.push_back({entry.last_use, entry.depth, key});
  }
  // Oldest first; within one use, deepest first.
  std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    return std::tie(a.last_use, b.depth) < std::tie(b.last_use, a.depth);
  });
  int64_t n_evicted = 0;
  for (const Candidate& candidate : candidates) {
    if (pool_.n_free() >= n_free_wanted) break;
    const auto found = entries_.find(candidate.key);
    pool_.release(found->second.block);
    entries_.erase(found);
    ++n_evicted;
  }
  return n_evicted;
}

void PrefixCache::clear() {
  for (const auto& [key, entry] : entries_) pool_.release(entry.block);
  entries_.clear();
}

}  // namespace hearth::infer
