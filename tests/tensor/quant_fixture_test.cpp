// Layout check against an independent implementation: tools/quant_reference.py
// (numpy) writes tests/fixtures/quant/<type>.blocks (raw block bytes) and
// <type>.f32 (their dequantized values, little-endian float32). Every type must
// have its pair: a missing fixture is a failure, not a skip.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "tensor/quant.h"
#include "tensor/simd_targets.h"

#ifndef HEARTH_FIXTURE_DIR
#error "HEARTH_FIXTURE_DIR must point at tests/fixtures"
#endif

namespace hearth::tensor {
namespace {

bool read_file(const std::string& path, std::vector<uint8_t>* bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  bytes->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  return true;
}

class QuantFixtureTest : public ::testing::TestWithParam<const char*> {};

TEST_P(QuantFixtureTest, DequantizeMatchesNumpyReference) {
  const std::string name = GetParam();
  const std::string base = std::string(HEARTH_FIXTURE_DIR) + "/quant/" + name;
  std::vector<uint8_t> blocks, values_bytes;
  ASSERT_TRUE(read_file(base + ".blocks", &blocks)) << "missing fixture " << base << ".blocks";
  ASSERT_TRUE(read_file(base + ".f32", &values_bytes)) << "missing fixture " << base << ".f32";
  const auto dtype = parse_dtype(name);
  ASSERT_TRUE(dtype.has_value()) << name;
  const DTypeInfo& info = dtype_info(*dtype);
  ASSERT_FALSE(blocks.empty());
  ASSERT_EQ(blocks.size() % static_cast<size_t>(info.block_bytes), 0u) << "not a whole number of blocks";
  const int64_t n = static_cast<int64_t>(blocks.size()) / info.block_bytes * info.block_elems;
  ASSERT_EQ(values_bytes.size(), static_cast<size_t>(n) * 4) << "value count does not match the blocks";
  std::vector<float> expected(static_cast<size_t>(n));
  std::memcpy(expected.data(), values_bytes.data(), values_bytes.size());  // hearth hosts are little-endian

  std::vector<float> got(static_cast<size_t>(n));
  dequantize_row_ref(*dtype, blocks.data(), got.data(), n);
  for (int64_t idx = 0; idx < n; ++idx) {
    if (std::isnan(expected[idx])) {
      ASSERT_TRUE(std::isnan(got[idx])) << name << " idx " << idx;
      continue;
    }
    // Every value of these layouts is exact in float32 up to one rounding in
    // both implementations; 1e-6 relative leaves room for nothing else.
    ASSERT_NEAR(got[idx], expected[idx], 1e-6 * std::fabs(expected[idx])) << name << " idx " << idx;
  }
  // The SIMD path on every target agrees with the same fixture.
  for (int64_t target : runnable_simd_targets()) {
    ScopedSimdTarget pin(target);
    std::vector<float> simd(static_cast<size_t>(n));
    dequantize_row(*dtype, blocks.data(), simd.data(), n);
    for (int64_t idx = 0; idx < n; ++idx) {
      if (std::isnan(expected[idx])) continue;
      ASSERT_NEAR(simd[idx], expected[idx], 1e-6 * std::fabs(expected[idx])) << simd_target_name(target) << " " << idx;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllFixtureTypes, QuantFixtureTest,
                         ::testing::Values("q4_0", "q8_0", "q4_k", "q5_k", "q6_k", "f16", "bf16", "q5_0", "q5_1",
                                           "q4_1", "iq4_nl", "iq4_xs", "q3_k", "q2_k"));

}  // namespace
}  // namespace hearth::tensor
