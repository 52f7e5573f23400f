// dequantize_row (SIMD, every compiled target) must equal dequantize_row_ref
// bit for bit, on quantized data and on arbitrary bytes (any scale bits,
// including inf and NaN halves).
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

#include "random_data.h"
#include "tensor/quant.h"
#include "tensor/simd_targets.h"

namespace hearth::tensor {
namespace {

constexpr DType kAllTypes[] = {DType::kF32,  DType::kF16,  DType::kBF16, DType::kQ4_0, DType::kQ4_1, DType::kQ5_0, DType::kQ5_1,
                               DType::kQ8_0, DType::kQ4_K, DType::kQ5_K, DType::kQ6_K, DType::kQ8_K, DType::kIQ4_NL, DType::kIQ4_XS, DType::kQ3_K, DType::kQ2_K};

bool same_value(float a, float b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);  // hardware may quiet a NaN
  uint32_t a_bits, b_bits;
  std::memcpy(&a_bits, &a, 4);
  std::memcpy(&b_bits, &b, 4);
  return a_bits == b_bits;
}

void expect_simd_equals_ref(DType dtype, const std::vector<uint8_t>& packed, int64_t n) {
  std::vector<float> expected(static_cast<size_t>(n));
  dequantize_row_ref(dtype, packed.data(), expected.data(), n);
  for (int64_t target : runnable_simd_targets()) {
    ScopedSimdTarget pin(target);
    std::vector<float> got(static_cast<size_t>(n), -1.0f);
    dequantize_row(dtype, packed.data(), got.data(), n);
    for (int64_t idx = 0; idx < n; ++idx) {
      ASSERT_TRUE(same_value(got[idx], expected[idx]))
          << simd_target_name(target) << " " << dtype_info(dtype).name << " idx " << idx << ": " << got[idx]
          << " vs " << expected[idx];
    }
  }
}

TEST(QuantSimdTest, QuantizedRowsMatchReference) {
  for (DType dtype : kAllTypes) {
    // 3 super-blocks, and for the float types a length with a vector tail.
    const int64_t n = dtype_info(dtype).block_elems == 1 ? 771 : 768;
    const auto values = random_normal(n, 200 + static_cast<uint32_t>(dtype), 2.0f);
    std::vector<uint8_t> packed(static_cast<size_t>(row_bytes(dtype, n)));
    quantize_row_ref(dtype, values.data(), packed.data(), n);
    expect_simd_equals_ref(dtype, packed, n);
  }
}

TEST(QuantSimdTest, ArbitraryBytesMatchReference) {
  for (DType dtype : kAllTypes) {
    const int64_t n = dtype_info(dtype).block_elems == 1 ? 4099 : 256 * 16;
    auto packed = random_bytes(row_bytes(dtype, n), 300 + static_cast<uint32_t>(dtype));
    expect_simd_equals_ref(dtype, packed, n);
  }
}

}  // namespace
}  // namespace hearth::tensor
