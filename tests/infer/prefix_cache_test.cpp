#include "infer/prefix_cache.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace hearth::infer {
namespace {

constexpr KvShape kShape{1, 1, 4};
constexpr int64_t kBlock = 4;

std::vector<int32_t> iota_tokens(int32_t n, int32_t first = 0) {
  std::vector<int32_t> tokens(static_cast<size_t>(n));
  std::iota(tokens.begin(), tokens.end(), first);
  return tokens;
}

// Registers tokens' full blocks as a sequence would, in freshly allocated
// blocks that the "sequence" then releases. Returns the blocks.
std::vector<int32_t> fill(PrefixCache& cache, KvBlockPool& pool, const std::vector<int32_t>& tokens) {
  std::vector<int32_t> blocks;
  uint64_t parent = 0;
  for (size_t begin = 0; begin + kBlock <= tokens.size(); begin += kBlock) {
    const int32_t block = pool.allocate();
    EXPECT_GE(block, 0);
    blocks.push_back(block);
    parent = cache.insert(parent, std::span<const int32_t>(tokens).subspan(begin, kBlock), block,
                          static_cast<int64_t>(begin / kBlock));
  }
  for (int32_t block : blocks) pool.release(block);
  return blocks;
}

TEST(PrefixCacheTest, MatchesTheLongestRunOfFullBlocks) {
  KvBlockPool pool(kShape, 8, kBlock);
  PrefixCache cache(pool);
  const std::vector<int32_t> first = iota_tokens(10);  // two full blocks + 2 tokens
  const std::vector<int32_t> blocks = fill(cache, pool, first);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(cache.n_entries(), 2);
  EXPECT_EQ(cache.n_evictable(), 2);

  std::vector<int32_t> second = iota_tokens(12);
  second[9] = 99;  // differs in the third block only
  std::vector<uint64_t> keys;
  const std::vector<int32_t> shared = cache.match(second, 10, &keys);
  EXPECT_EQ(shared, blocks);
  EXPECT_EQ(keys.size(), 2u);
  for (int32_t block : shared) EXPECT_EQ(pool.ref_count(block), 2);
  EXPECT_EQ(cache.n_evictable(), 0);
  for (int32_t block : shared) pool.release(block);
  EXPECT_EQ(cache.n_evictable(), 2);
}

TEST(PrefixCacheTest, RespectsMaxBlocksAndDivergence) {
  KvBlockPool pool(kShape, 8, kBlock);
  PrefixCache cache(pool);
  fill(cache, pool, iota_tokens(12));
  EXPECT_EQ(cache.match(iota_tokens(12), 1).size(), 1u);
  pool.release(cache.match(iota_tokens(12), 1)[0]);  // the first match's reference
  pool.release(cache.match(iota_tokens(12), 1)[0]);
  // The same second block after a different first block is a different prefix.
  std::vector<int32_t> other = iota_tokens(12);
  other[0] = 50;
  EXPECT_TRUE(cache.match(other, 3).empty());
  // Fewer tokens than a block match nothing.
  EXPECT_TRUE(cache.match(iota_tokens(3), 3).empty());
}

TEST(PrefixCacheTest, DuplicateInsertKeepsTheFirstBlock) {
  KvBlockPool pool(kShape, 8, kBlock);
  PrefixCache cache(pool);
  const std::vector<int32_t> blocks_a = fill(cache, pool, iota_tokens(8));
  const std::vector<int32_t> blocks_b = fill(cache, pool, iota_tokens(8));  // computed twice concurrently
  EXPECT_EQ(cache.n_entries(), 2);
  // The second copy was not kept: its blocks are free again.
  for (int32_t block : blocks_b) EXPECT_EQ(pool.ref_count(block), 0);
  std::vector<int32_t> shared = cache.match(iota_tokens(8), 2);
  EXPECT_EQ(shared, blocks_a);
  for (int32_t block : shared) pool.release(block);
}

TEST(PrefixCacheTest, EvictsLeastRecentlyUsedDeepestFirstAndOnlyUnshared) {
  KvBlockPool pool(kShape, 4, kBlock);
  PrefixCache cache(pool);
  fill(cache, pool, iota_tokens(8, 0));    // chain A: 2 blocks
  fill(cache, pool, iota_tokens(8, 100));  // chain B: 2 blocks, newer
  EXPECT_EQ(pool.n_free(), 0);
  // A sequence is using chain B's first block.
  std::vector<int32_t> in_use = cache.match(iota_tokens(4, 100), 1);
  ASSERT_EQ(in_use.size(), 1u);
  // Touch chain A so B's second block is now the oldest evictable.
  std::vector<int32_t> touched = cache.match(iota_tokens(8, 0), 2);
  for (int32_t block : touched) pool.release(block);

  EXPECT_EQ(cache.evict_until_free(1), 1);
  EXPECT_EQ(pool.n_free(), 1);
  // B's first block survives (in use); its second was evicted; A is intact.
  EXPECT_EQ(cache.match(iota_tokens(8, 0), 2).size(), 2u);
  EXPECT_EQ(pool.ref_count(in_use[0]), 2);  // the sequence and the cache
  pool.release(in_use[0]);                  // the sequence ends
  std::vector<int32_t> b_again = cache.match(iota_tokens(8, 100), 2);
  EXPECT_EQ(b_again.size(), 1u);
  for (int32_t block : b_again) pool.release(block);

  // Asking for more than is evictable evicts everything evictable and stops.
  std::vector<int32_t> a_blocks = cache.match(iota_tokens(8, 0), 2);
  for (int32_t block : a_blocks) pool.release(block);  // the earlier match's references
  for (int32_t block : a_blocks) pool.release(block);
  EXPECT_EQ(cache.evict_until_free(10), 3);
  EXPECT_EQ(pool.n_free(), 4);
  EXPECT_EQ(cache.n_entries(), 0);
}

TEST(PrefixCacheTest, ClearReleasesEveryReference) {
  KvBlockPool pool(kShape, 6, kBlock);
  {
    PrefixCache cache(pool);
    fill(cache, pool, iota_tokens(20));
    EXPECT_EQ(pool.n_free(), 1);
  }
  EXPECT_EQ(pool.n_free(), 6);
}

}  // namespace
}  // namespace hearth::infer
