#include "infer/kv_cache.h"

#include <gtest/gtest.h>

#include <vector>

#include "tensor/fp16.h"

namespace hearth::infer {
namespace {

using tensor::DType;

// A value unique to (layer, pos, elem, k/v) that halves represent exactly.
float marker(int64_t layer, int64_t pos, int64_t elem, bool is_v) {
  return static_cast<float>(layer * 100 + pos * 10 + elem) * (is_v ? -0.5f : 0.25f);
}

class KvCacheTypeTest : public ::testing::TestWithParam<DType> {};

TEST_P(KvCacheTypeTest, RowsAreDisjointAndSized) {
  const DType dtype = GetParam();
  KvCache cache(3, 5, 2, 4, dtype);
  EXPECT_EQ(cache.dtype(), dtype);
  EXPECT_EQ(cache.row_elems(), 8);
  const int64_t elem_bytes = dtype == DType::kF16 ? 2 : 4;
  EXPECT_EQ(cache.n_bytes(), 2 * 3 * 5 * 8 * elem_bytes);
  for (int64_t layer = 0; layer < 3; ++layer) {
    for (int64_t pos = 0; pos < 5; ++pos) {
      std::vector<float> k(8), v(8);
      for (int64_t elem = 0; elem < 8; ++elem) {
        k[elem] = marker(layer, pos, elem, false);
        v[elem] = marker(layer, pos, elem, true);
      }
      cache.store(layer, pos, k.data(), v.data());
    }
  }
  for (int64_t layer = 0; layer < 3; ++layer) {
    for (int64_t pos = 0; pos < 5; ++pos) {
      for (int64_t elem = 0; elem < 8; ++elem) {
        const float k = dtype == DType::kF16 ? tensor::f16_to_f32(cache.k_row_f16(layer, pos)[elem])
                                             : cache.k_row_f32(layer, pos)[elem];
        const float v = dtype == DType::kF16 ? tensor::f16_to_f32(cache.v_row_f16(layer, pos)[elem])
                                             : cache.v_row_f32(layer, pos)[elem];
        EXPECT_EQ(k, marker(layer, pos, elem, false));
        EXPECT_EQ(v, marker(layer, pos, elem, true));
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Types, KvCacheTypeTest, ::testing::Values(DType::kF16, DType::kF32));

TEST(KvCacheTest, HalvesRoundToNearest) {
  KvCache cache(1, 1, 1, 2, DType::kF16);
  const float k[2] = {1.0f + 1.0f / 4096.0f, 3.14159265f};  // below half an ulp of 1, and pi
  const float v[2] = {65504.0f, -1e-8f};
  cache.store(0, 0, k, v);
  EXPECT_EQ(tensor::f16_to_f32(cache.k_row_f16(0, 0)[0]), 1.0f);
  EXPECT_EQ(tensor::f16_to_f32(cache.k_row_f16(0, 0)[1]), 3.140625f);
  EXPECT_EQ(tensor::f16_to_f32(cache.v_row_f16(0, 0)[0]), 65504.0f);
  EXPECT_EQ(tensor::f16_to_f32(cache.v_row_f16(0, 0)[1]), -0.0f);
}

TEST(KvCacheTest, CommitTruncateClear) {
  KvCache cache(1, 4, 1, 2);
  EXPECT_EQ(cache.dtype(), DType::kF16);
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
