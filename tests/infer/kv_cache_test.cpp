#include "infer/kv_cache.h"

#include <gtest/gtest.h>

namespace hearth::infer {
namespace {

TEST(KvCacheTest, RowsAreDisjointAndSized) {
  KvCache cache(3, 5, 2, 4);
  EXPECT_EQ(cache.row_elems(), 8);
  EXPECT_EQ(cache.n_bytes(), 2 * 3 * 5 * 8 * 2);
  // Each (layer, pos) row of K and V is its own 8 halves.
  for (int64_t layer = 0; layer < 3; ++layer) {
    for (int64_t pos = 0; pos < 5; ++pos) {
      for (int64_t elem = 0; elem < 8; ++elem) {
        cache.k_row(layer, pos)[elem] = static_cast<uint16_t>(layer * 100 + pos * 10 + elem);
        cache.v_row(layer, pos)[elem] = static_cast<uint16_t>(5000 + layer * 100 + pos * 10 + elem);
      }
    }
  }
  const KvCache& view = cache;
  for (int64_t layer = 0; layer < 3; ++layer) {
    for (int64_t pos = 0; pos < 5; ++pos) {
      EXPECT_EQ(view.k_row(layer, pos)[7], layer * 100 + pos * 10 + 7);
      EXPECT_EQ(view.v_row(layer, pos)[0], 5000 + layer * 100 + pos * 10);
    }
  }
}

TEST(KvCacheTest, CommitTruncateClear) {
  KvCache cache(1, 4, 1, 2);
  EXPECT_EQ(cache.n_past(), 0);
  ASSERT_TRUE(cache.commit(3).ok());
  EXPECT_EQ(cache.n_past(), 3);
  EXPECT_EQ(cache.commit(2).code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(cache.commit(-1).code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(cache.n_past(), 3);
  ASSERT_TRUE(cache.commit(1).ok());
  EXPECT_EQ(cache.n_past(), 4);

  EXPECT_EQ(cache.truncate(5).code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(cache.truncate(-1).code(), ErrorCode::kOutOfRange);
  ASSERT_TRUE(cache.truncate(2).ok());
  EXPECT_EQ(cache.n_past(), 2);
  ASSERT_TRUE(cache.truncate(2).ok());
  cache.clear();
  EXPECT_EQ(cache.n_past(), 0);
  EXPECT_EQ(cache.truncate(1).code(), ErrorCode::kOutOfRange);
}

}  // namespace
}  // namespace hearth::infer
