#include "tensor/dtype.h"

#include <gtest/gtest.h>

#include "tensor/quant_blocks.h"

namespace hearth::tensor {
namespace {

TEST(DTypeTest, BlockSizesMatchGguf) {
  EXPECT_EQ(dtype_info(DType::kQ4_0).block_bytes, static_cast<int64_t>(sizeof(BlockQ4_0)));
  EXPECT_EQ(dtype_info(DType::kQ8_0).block_bytes, static_cast<int64_t>(sizeof(BlockQ8_0)));
  EXPECT_EQ(dtype_info(DType::kQ4_K).block_bytes, static_cast<int64_t>(sizeof(BlockQ4_K)));
  EXPECT_EQ(dtype_info(DType::kQ5_K).block_bytes, static_cast<int64_t>(sizeof(BlockQ5_K)));
  EXPECT_EQ(dtype_info(DType::kQ6_K).block_bytes, static_cast<int64_t>(sizeof(BlockQ6_K)));
  EXPECT_EQ(dtype_info(DType::kQ8_K).block_bytes, static_cast<int64_t>(sizeof(BlockQ8_K)));
  EXPECT_EQ(row_bytes(DType::kQ4_K, 512), 288);
  EXPECT_EQ(row_bytes(DType::kF16, 7), 14);
  EXPECT_EQ(row_bytes(DType::kBF16, 3), 6);
  EXPECT_EQ(row_bytes(DType::kF32, 3), 12);
}

TEST(DTypeTest, FindByGgmlId) {
  ASSERT_NE(find_dtype(12), nullptr);
  EXPECT_EQ(find_dtype(12)->dtype, DType::kQ4_K);
  EXPECT_EQ(find_dtype(30)->name, "bf16");
  EXPECT_EQ(find_dtype(3), nullptr);  // q4_1: not supported
  EXPECT_EQ(find_dtype(0xFFFFFFFFu), nullptr);
}

TEST(DTypeTest, ParseNames) {
  EXPECT_EQ(parse_dtype("q4_k"), DType::kQ4_K);
  EXPECT_EQ(parse_dtype("Q4_K"), DType::kQ4_K);
  EXPECT_EQ(parse_dtype("F16"), DType::kF16);
  EXPECT_EQ(parse_dtype("q6_k"), DType::kQ6_K);
  EXPECT_EQ(parse_dtype("q4"), std::nullopt);
  EXPECT_EQ(parse_dtype(""), std::nullopt);
  EXPECT_EQ(parse_dtype("q4_k "), std::nullopt);
}

}  // namespace
}  // namespace hearth::tensor
