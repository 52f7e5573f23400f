#include "tensor/dtype.h"

#include <gtest/gtest.h>

#include <cctype>
#include <string>

#include "tensor/quant_blocks.h"

namespace hearth::tensor {
namespace {

TEST(DTypeTest, BlockSizesMatchGguf) {
  EXPECT_EQ(dtype_info(DType::kQ4_0).block_bytes, static_cast<int64_t>(sizeof(BlockQ4_0)));
  EXPECT_EQ(dtype_info(DType::kQ4_1).block_bytes, static_cast<int64_t>(sizeof(BlockQ4_1)));
  EXPECT_EQ(dtype_info(DType::kQ5_1).block_bytes, static_cast<int64_t>(sizeof(BlockQ5_1)));
  EXPECT_EQ(dtype_info(DType::kIQ4_NL).block_bytes, static_cast<int64_t>(sizeof(BlockIQ4_NL)));
  EXPECT_EQ(dtype_info(DType::kIQ4_XS).block_bytes, static_cast<int64_t>(sizeof(BlockIQ4_XS)));
  EXPECT_EQ(dtype_info(DType::kQ3_K).block_bytes, static_cast<int64_t>(sizeof(BlockQ3_K)));
  EXPECT_EQ(dtype_info(DType::kQ2_K).block_bytes, static_cast<int64_t>(sizeof(BlockQ2_K)));
  EXPECT_EQ(dtype_info(DType::kQ5_0).block_bytes, static_cast<int64_t>(sizeof(BlockQ5_0)));
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
  EXPECT_EQ(find_dtype(6)->dtype, DType::kQ5_0);
  EXPECT_EQ(find_dtype(16), nullptr);  // iq2_xxs: not supported
  EXPECT_EQ(find_dtype(0xFFFFFFFFu), nullptr);
}

TEST(DTypeTest, GgmlNamesOfEveryId) {
  EXPECT_EQ(ggml_type_name(0), "F32");
  EXPECT_EQ(ggml_type_name(6), "Q5_0");
  EXPECT_EQ(ggml_type_name(16), "IQ2_XXS");
  EXPECT_EQ(ggml_type_name(29), "IQ1_M");
  EXPECT_EQ(ggml_type_name(30), "BF16");
  EXPECT_EQ(ggml_type_name(39), "MXFP4");
  EXPECT_EQ(ggml_type_name(40), "");
  EXPECT_EQ(ggml_type_name(0xFFFFFFFFu), "");
  // Every supported type's name is ggml's in lower case.
  for (uint32_t type_id = 0; type_id < 64; ++type_id) {
    const DTypeInfo* info = find_dtype(type_id);
    if (info == nullptr) continue;
    std::string upper(info->name);
    for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(upper, ggml_type_name(type_id));
  }
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
