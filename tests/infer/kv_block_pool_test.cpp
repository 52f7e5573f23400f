#include "infer/kv_block_pool.h"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "tensor/fp16.h"

namespace hearth::infer {
namespace {

using tensor::DType;

constexpr KvShape kShape{3, 2, 4};  // row_elems 8

// A value unique to (layer, block, slot, elem, k/v) below 2048, so halves represent it exactly.
float marker(int64_t layer, int32_t block, int64_t slot, int64_t elem, bool is_v) {
  return static_cast<float>(layer * 200 + block * 40 + slot * 10 + elem) * (is_v ? -0.5f : 0.25f);
}

class KvBlockPoolTypeTest : public ::testing::TestWithParam<DType> {};

TEST_P(KvBlockPoolTypeTest, RowsAreDisjointAndSized) {
  const DType dtype = GetParam();
  KvBlockPool pool(kShape, 4, 3, dtype);
  EXPECT_EQ(pool.dtype(), dtype);
  EXPECT_EQ(pool.row_elems(), 8);
  const int64_t elem_bytes = dtype == DType::kF16 ? 2 : 4;
  EXPECT_EQ(pool.n_bytes(), 2 * 3 * 4 * 3 * 8 * elem_bytes);
  EXPECT_EQ(KvBlockPool::bytes_per_token(kShape, dtype), 2 * 3 * 8 * elem_bytes);
  std::vector<int32_t> blocks;
  for (int idx = 0; idx < 4; ++idx) blocks.push_back(pool.allocate());
  for (int64_t layer = 0; layer < 3; ++layer) {
    for (int32_t block : blocks) {
      for (int64_t slot = 0; slot < 3; ++slot) {
        std::vector<float> k(8), v(8);
        for (int64_t elem = 0; elem < 8; ++elem) {
          k[elem] = marker(layer, block, slot, elem, false);
          v[elem] = marker(layer, block, slot, elem, true);
        }
        pool.store(layer, block, slot, k.data(), v.data());
      }
    }
  }
  for (int64_t layer = 0; layer < 3; ++layer) {
    for (int32_t block : blocks) {
      for (int64_t slot = 0; slot < 3; ++slot) {
        for (int64_t elem = 0; elem < 8; ++elem) {
          const int64_t at = slot * 8 + elem;
          const float k = dtype == DType::kF16 ? tensor::f16_to_f32(pool.k_block_f16(layer, block)[at])
                                               : pool.k_block_f32(layer, block)[at];
          const float v = dtype == DType::kF16 ? tensor::f16_to_f32(pool.v_block_f16(layer, block)[at])
                                               : pool.v_block_f32(layer, block)[at];
          EXPECT_EQ(k, marker(layer, block, slot, elem, false));
          EXPECT_EQ(v, marker(layer, block, slot, elem, true));
        }
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Types, KvBlockPoolTypeTest, ::testing::Values(DType::kF16, DType::kF32));

TEST(KvBlockPoolTest, AllocatesEachBlockOnceUntilExhausted) {
  KvBlockPool pool(kShape, 5, 16);
  std::set<int32_t> seen;
  for (int idx = 0; idx < 5; ++idx) {
    const int32_t block = pool.allocate();
    ASSERT_GE(block, 0);
    EXPECT_LT(block, 5);
    EXPECT_TRUE(seen.insert(block).second) << "block " << block << " handed out twice";
    EXPECT_EQ(pool.ref_count(block), 1);
  }
  EXPECT_EQ(pool.n_free(), 0);
  EXPECT_EQ(pool.allocate(), -1);
}

TEST(KvBlockPoolTest, SharedBlockIsFreedByItsLastRelease) {
  KvBlockPool pool(kShape, 2, 16);
  const int32_t block = pool.allocate();
  pool.retain(block);
  EXPECT_EQ(pool.ref_count(block), 2);
  pool.release(block);
  EXPECT_EQ(pool.ref_count(block), 1);
  EXPECT_EQ(pool.n_free(), 1);
  pool.release(block);
  EXPECT_EQ(pool.ref_count(block), 0);
  EXPECT_EQ(pool.n_free(), 2);
  // Freed blocks come back.
  EXPECT_GE(pool.allocate(), 0);
  EXPECT_GE(pool.allocate(), 0);
  EXPECT_EQ(pool.allocate(), -1);
}

TEST(KvBlockPoolTest, ManyAllocateReleaseCyclesLeakNothing) {
  KvBlockPool pool(kShape, 8, 4);
  std::vector<int32_t> held;
  uint32_t state = 12345;
  for (int round = 0; round < 2000; ++round) {
    state = state * 1664525u + 1013904223u;
    if ((state >> 16) % 3 != 0 && pool.n_free() > 0) {
      held.push_back(pool.allocate());
    } else if (!held.empty()) {
      const size_t victim = (state >> 8) % held.size();
      pool.release(held[victim]);
      held.erase(held.begin() + static_cast<std::ptrdiff_t>(victim));
    }
    ASSERT_EQ(pool.n_free() + static_cast<int32_t>(held.size()), 8);
  }
  for (int32_t block : held) pool.release(block);
  EXPECT_EQ(pool.n_free(), 8);
}

}  // namespace
}  // namespace hearth::infer
