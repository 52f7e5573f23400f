// matmul on every compiled SIMD target against matmul_ref and float64 references.
//
// Three checks per case, each with a bound computed from the data:
//  1. matmul_ref against an independent double sum over the dequantized
//     weights (the reference itself is right).
//  2. matmul against the exact product of the dequantized weights with the
//     8-bit activations the kernels see ("emulated"): only float rounding in
//     the kernel separates them.
//  3. matmul against matmul_ref on the original activations: (2) plus the
//     activation quantization error, bounded by sum |w_i| |x_i - xq_i|.
// Results must also be bit-identical for 1 and 2 threads (each output is
// computed by one thread in an order that does not depend on the tiling).
#include "tensor/matmul.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "random_data.h"
#include "tensor/activation_quant.h"
#include "tensor/matmul_kernels.h"
#include "tensor/packed_weights.h"
#include "tensor/quant.h"
#include "tensor/simd_targets.h"

namespace hearth::tensor {
namespace {

constexpr double kFloatEps = 1.0 / (1 << 24);

struct Shape {
  int64_t n_rows;
  int64_t n_cols;
  int64_t n_tokens;
};

struct Case {
  DType dtype;
  Shape shape;
  std::vector<uint8_t> weights;
  std::vector<float> x;
  std::vector<float> y_ref;        // matmul_ref on x
  std::vector<double> y_emulated;  // dequantized W times the 8-bit activations, in double
  std::vector<double> emulated_tol;
  std::vector<double> quant_tol;  // sum |w_i| |x_i - xq_i|
};

// The activation values the kernels multiply with, dequantized.
std::vector<float> kernel_activations(DType dtype, const std::vector<float>& x, int64_t n_cols, int64_t n_tokens) {
  std::vector<float> xq(x.size());
  for (int64_t token_idx = 0; token_idx < n_tokens; ++token_idx) {
    const float* src = x.data() + token_idx * n_cols;
    float* dst = xq.data() + token_idx * n_cols;
    switch (activation_layout(dtype)) {
      case ActivationLayout::kQ8_0:
      case ActivationLayout::kQ8_1:
      case ActivationLayout::kQ8_0Sum:
      case ActivationLayout::kQ8_0Pairs: {  // the same values in another order (Q8_1, Q8_0Sum add sums)
        std::vector<ActBlockQ8_0> blocks(static_cast<size_t>(n_cols / 32));
        quantize_activations_q8_0_ref(src, blocks.data(), n_cols);
        for (int64_t col = 0; col < n_cols; ++col) dst[col] = blocks[col / 32].qs[col % 32] * blocks[col / 32].d;
        break;
      }
      case ActivationLayout::kQ8_K: {
        std::vector<uint8_t> blocks(static_cast<size_t>(row_bytes(DType::kQ8_K, n_cols)));
        quantize_row_ref(DType::kQ8_K, src, blocks.data(), n_cols);
        dequantize_row_ref(DType::kQ8_K, blocks.data(), dst, n_cols);
        break;
      }
      case ActivationLayout::kF32:
        std::copy(src, src + n_cols, dst);
        break;
    }
  }
  return xq;
}

Case make_case(DType dtype, Shape shape, uint32_t seed) {
  Case c;
  c.dtype = dtype;
  c.shape = shape;
  const int64_t stride = row_bytes(dtype, shape.n_cols);
  const auto w_float = random_normal(shape.n_rows * shape.n_cols, seed, 0.5f);
  c.weights.resize(static_cast<size_t>(stride * shape.n_rows));
  for (int64_t row = 0; row < shape.n_rows; ++row) {
    quantize_row_ref(dtype, w_float.data() + row * shape.n_cols, c.weights.data() + row * stride, shape.n_cols);
  }
  c.x = random_normal(shape.n_tokens * shape.n_cols, seed + 1, 2.0f);
  c.y_ref.resize(static_cast<size_t>(shape.n_tokens * shape.n_rows));
  matmul_ref({dtype, c.weights.data(), shape.n_rows, shape.n_cols}, c.x.data(), shape.n_tokens, c.y_ref.data());

  const auto xq = kernel_activations(dtype, c.x, shape.n_cols, shape.n_tokens);
  const int64_t block = std::max<int64_t>(dtype_info(dtype).block_elems, 32);
  std::vector<float> w_row(static_cast<size_t>(shape.n_cols));
  for (int64_t row = 0; row < shape.n_rows; ++row) {
    dequantize_row_ref(dtype, c.weights.data() + row * stride, w_row.data(), shape.n_cols);
    // Largest |w| of each block: the dequantized K values d_sub*q - m_sub are
    // formed from terms at most ~3x that, each rounded once in the reference.
    std::vector<float> block_max(static_cast<size_t>((shape.n_cols + block - 1) / block), 0.0f);
    for (int64_t col = 0; col < shape.n_cols; ++col) {
      block_max[col / block] = std::max(block_max[col / block], std::fabs(w_row[col]));
    }
    for (int64_t token = 0; token < shape.n_tokens; ++token) {
      const float* xt = c.x.data() + token * shape.n_cols;
      const float* xqt = xq.data() + token * shape.n_cols;
      double exact = 0, emulated = 0, magnitude = 0, quant_err = 0;
      for (int64_t col = 0; col < shape.n_cols; ++col) {
        exact += static_cast<double>(w_row[col]) * xt[col];
        emulated += static_cast<double>(w_row[col]) * xqt[col];
        magnitude += (std::fabs(w_row[col]) + 3.0 * block_max[col / block]) * std::fabs(xqt[col]);
        quant_err += std::fabs(static_cast<double>(w_row[col])) * std::fabs(xt[col] - xqt[col]);
      }
      const size_t out = static_cast<size_t>(token * shape.n_rows + row);
      // Check 1: matmul_ref rounds a double sum to float once.
      EXPECT_NEAR(c.y_ref[out], static_cast<double>(exact), 1e-6 * static_cast<double>(magnitude) + 1e-30)
          << dtype_info(dtype).name << " row " << row << " token " << token;
      c.y_emulated.push_back(static_cast<double>(emulated));
      // Kernel rounding: each block's integer sum converted (exact below 2^24, else
      // one rounding), scaled (one rounding) and accumulated into a float lane
      // (one rounding per block per lane), then the lanes summed: a few roundings
      // per block, each relative to at most the magnitude sum.
      const double n_blocks = static_cast<double>(shape.n_cols) / 32.0;
      c.emulated_tol.push_back(4.0 * (n_blocks + 16.0) * kFloatEps * static_cast<double>(magnitude) + 1e-30);
      c.quant_tol.push_back(static_cast<double>(quant_err));
    }
  }
  // Outputs were pushed row-major; reorder to y's token-major layout.
  std::vector<double> emulated(c.y_emulated.size()), emulated_tol(c.y_emulated.size()), quant_tol(c.y_emulated.size());
  for (int64_t row = 0; row < shape.n_rows; ++row) {
    for (int64_t token = 0; token < shape.n_tokens; ++token) {
      const size_t from = static_cast<size_t>(row * shape.n_tokens + token);
      const size_t to = static_cast<size_t>(token * shape.n_rows + row);
      emulated[to] = c.y_emulated[from];
      emulated_tol[to] = c.emulated_tol[from];
      quant_tol[to] = c.quant_tol[from];
    }
  }
  c.y_emulated = std::move(emulated);
  c.emulated_tol = std::move(emulated_tol);
  c.quant_tol = std::move(quant_tol);
  return c;
}

std::vector<Shape> shapes_for(DType dtype) {
  const int64_t block = dtype_info(dtype).block_elems;
  std::vector<Shape> shapes;
  // Float types: a column count that is not a multiple of any vector length.
  const int64_t narrow = block == 1 ? 37 : (block == 32 ? 544 : 768);  // 17 blocks / 3 super-blocks
  for (int64_t n_tokens : {1, 3, 17}) {
    shapes.push_back({37, narrow, n_tokens});
    shapes.push_back({300, block == 1 ? 1024 : 1024, n_tokens});
  }
  return shapes;
}

// Checks matmul on `view` (the case's weights, in either layout) on every target.
void check_agrees_with_references(const Case& c, const WeightView& view) {
  ThreadPool one_thread(1);
  ThreadPool two_threads(2);
  const Shape& shape = c.shape;
  for (int64_t target : runnable_simd_targets()) {
    ScopedSimdTarget pin(target);
    SCOPED_TRACE(simd_target_name(target) + " " + std::string(dtype_info(c.dtype).name) + " rows " +
                 std::to_string(shape.n_rows) + " cols " + std::to_string(shape.n_cols) + " tokens " +
                 std::to_string(shape.n_tokens) + (view.layout == WeightLayout::kRows8 ? " packed" : ""));
    std::vector<float> y1(c.y_ref.size(), NAN), y2(c.y_ref.size(), NAN);
    matmul(view, c.x.data(), shape.n_tokens, y1.data(), one_thread);
    matmul(view, c.x.data(), shape.n_tokens, y2.data(), two_threads);
    for (size_t out = 0; out < y1.size(); ++out) {
      ASSERT_EQ(y1[out], y2[out]) << "thread count changed output " << out;
      ASSERT_NEAR(y1[out], c.y_emulated[out], c.emulated_tol[out]) << "output " << out;
      ASSERT_NEAR(y1[out], c.y_ref[out], c.emulated_tol[out] + c.quant_tol[out] * 1.0001) << "output " << out;
    }
  }
}

// The serving engine batches tokens of unrelated requests into one matmul and
// promises each request the output it would get alone: a token's row must not
// depend on how many tokens share the call, nor on where it sits among them.
void check_rows_independent_of_batch(const Case& c, const WeightView& view) {
  ThreadPool two_threads(2);
  const int64_t n_rows = c.shape.n_rows;
  const int64_t n_cols = c.shape.n_cols;
  const int64_t n_all = c.shape.n_tokens;
  for (int64_t target : runnable_simd_targets()) {
    ScopedSimdTarget pin(target);
    SCOPED_TRACE(simd_target_name(target) + " " + std::string(dtype_info(c.dtype).name) +
                 (view.layout == WeightLayout::kRows8 ? " packed" : ""));
    std::vector<float> alone(static_cast<size_t>(n_all * n_rows));
    for (int64_t token = 0; token < n_all; ++token) {
      matmul(view, c.x.data() + token * n_cols, 1, alone.data() + token * n_rows, two_threads);
    }
    for (const int64_t n_tokens : {2, 3, 4, 5, 8, 13, 16, 19}) {
      for (const int64_t first : {int64_t{0}, n_all - n_tokens}) {
        std::vector<float> batched(static_cast<size_t>(n_tokens * n_rows));
        matmul(view, c.x.data() + first * n_cols, n_tokens, batched.data(), two_threads);
        for (int64_t out = 0; out < n_tokens * n_rows; ++out) {
          ASSERT_EQ(batched[static_cast<size_t>(out)], alone[static_cast<size_t>(first * n_rows + out)])
              << n_tokens << " tokens from " << first << ", output " << out;
        }
      }
    }
  }
}

class MatmulTest : public ::testing::TestWithParam<DType> {};

TEST_P(MatmulTest, AgreesWithReferencesOnEveryTarget) {
  const DType dtype = GetParam();
  uint32_t seed = 1000 + static_cast<uint32_t>(dtype) * 100;
  for (const Shape& shape : shapes_for(dtype)) {
    const Case c = make_case(dtype, shape, seed += 7);
    check_agrees_with_references(c, {dtype, c.weights.data(), shape.n_rows, shape.n_cols});
  }
}

TEST_P(MatmulTest, EachTokenRowIsIndependentOfTheBatch) {
  const DType dtype = GetParam();
  const Case c = make_case(dtype, {96, 1024, 19}, 4242 + static_cast<uint32_t>(dtype));
  check_rows_independent_of_batch(c, {dtype, c.weights.data(), 96, 1024});
}

// The 8-row interleaved layout (packed_weights.h): the same checks, on row
// counts that leave every tail size of the last group, odd token counts, and
// odd block counts; and the same results as matmul_ref on the GGUF rows.
class PackedMatmulTest : public ::testing::TestWithParam<DType> {};

TEST_P(PackedMatmulTest, AgreesWithReferencesOnEveryTarget) {
  const DType dtype = GetParam();
  uint32_t seed = 7000 + static_cast<uint32_t>(dtype) * 100;
  // Column counts in blocks of 32 values, scaled to whole blocks of the type.
  const int64_t col_unit = dtype_info(dtype).block_elems / 32;
  for (Shape shape : std::vector<Shape>{{1, 64, 1},
                                        {8, 32, 5},
                                        {37, 544, 1},
                                        {37, 544, 3},
                                        {45, 96, 17},
                                        {300, 1024, 1},
                                        {300, 1024, 4},
                                        {300, 1024, 17},
                                        {130, 2048, 9}}) {
    shape.n_cols *= col_unit;
    const Case c = make_case(dtype, shape, seed += 7);
    const PackedWeights packed = PackedWeights::pack({dtype, c.weights.data(), shape.n_rows, shape.n_cols});
    ASSERT_EQ(packed.view().layout, WeightLayout::kRows8);
    ASSERT_EQ(packed.n_bytes(), packed_bytes(dtype, shape.n_rows, shape.n_cols));
    std::vector<float> y_ref_packed(c.y_ref.size(), NAN);
    matmul_ref(packed.view(), c.x.data(), shape.n_tokens, y_ref_packed.data());
    ASSERT_EQ(y_ref_packed, c.y_ref);
    check_agrees_with_references(c, packed.view());
  }
}

TEST_P(PackedMatmulTest, EachTokenRowIsIndependentOfTheBatch) {
  const DType dtype = GetParam();
  // 93 rows: eleven full groups and a tail of five.
  const Case c = make_case(dtype, {93, 1024, 19}, 4343 + static_cast<uint32_t>(dtype));
  const PackedWeights packed = PackedWeights::pack({dtype, c.weights.data(), 93, 1024});
  check_rows_independent_of_batch(c, packed.view());
}

TEST_P(PackedMatmulTest, UnpackRestoresEveryRow) {
  const DType dtype = GetParam();
  const int64_t n_cols = dtype_info(dtype).block_elems * 5;
  const Case c = make_case(dtype, {21, n_cols, 1}, 99);
  const PackedWeights packed = PackedWeights::pack({dtype, c.weights.data(), 21, n_cols});
  const int64_t stride = row_bytes(dtype, n_cols);
  std::vector<uint8_t> row(static_cast<size_t>(stride));
  for (int64_t row_idx = 0; row_idx < 21; ++row_idx) {
    unpack_row(packed.view(), row_idx, row.data());
    ASSERT_EQ(std::memcmp(row.data(), c.weights.data() + row_idx * stride, static_cast<size_t>(stride)), 0)
        << "row " << row_idx;
  }
}

std::string dtype_name(const ::testing::TestParamInfo<DType>& info) { return std::string(dtype_info(info.param).name); }

INSTANTIATE_TEST_SUITE_P(AllWeightTypes, MatmulTest,
                         ::testing::Values(DType::kF32, DType::kF16, DType::kBF16, DType::kQ4_0, DType::kQ4_1,
                                           DType::kQ5_0, DType::kQ5_1, DType::kQ8_0, DType::kQ4_K, DType::kQ5_K,
                                           DType::kQ6_K, DType::kIQ4_NL, DType::kIQ4_XS, DType::kQ3_K, DType::kQ2_K),
                         dtype_name);
INSTANTIATE_TEST_SUITE_P(PackedTypes, PackedMatmulTest, ::testing::Values(DType::kQ4_0, DType::kQ8_0, DType::kQ4_K),
                         dtype_name);

TEST(MatmulTest, ActivationQuantizationMatchesReferenceOnEveryTarget) {
  const auto x = random_normal(4096, 77, 3.0f);
  std::vector<ActBlockQ8_0> expected(4096 / 32), got(4096 / 32);
  quantize_activations_q8_0_ref(x.data(), expected.data(), 4096);
  std::vector<uint8_t> expected_k(static_cast<size_t>(row_bytes(DType::kQ8_K, 4096))), got_k(expected_k.size());
  quantize_row_ref(DType::kQ8_K, x.data(), expected_k.data(), 4096);
  for (int64_t target : runnable_simd_targets()) {
    ScopedSimdTarget pin(target);
    SCOPED_TRACE(simd_target_name(target));
    quantize_activations_q8_0(x.data(), got.data(), 4096);
    EXPECT_EQ(std::memcmp(got.data(), expected.data(), sizeof(ActBlockQ8_0) * got.size()), 0);
    quantize_activations_q8_k(x.data(), reinterpret_cast<BlockQ8_K*>(got_k.data()), 4096);
    EXPECT_EQ(got_k, expected_k);
    // Q8_1: the Q8_0 values plus d * sum.
    std::vector<ActBlockQ8_1> q8_1_expected(4096 / 32), q8_1_got(4096 / 32);
    quantize_activations_q8_1_ref(x.data(), q8_1_expected.data(), 4096);
    quantize_activations_q8_1(x.data(), q8_1_got.data(), 4096);
    EXPECT_EQ(std::memcmp(q8_1_got.data(), q8_1_expected.data(), sizeof(ActBlockQ8_1) * q8_1_got.size()), 0);
    for (size_t block_idx = 0; block_idx < q8_1_expected.size(); ++block_idx) {
      ASSERT_EQ(q8_1_expected[block_idx].d, expected[block_idx].d);
      ASSERT_EQ(std::memcmp(q8_1_expected[block_idx].qs, expected[block_idx].qs, 32), 0);
      int sum = 0;
      for (int8_t q : expected[block_idx].qs) sum += q;
      ASSERT_EQ(q8_1_expected[block_idx].d_sum, expected[block_idx].d * static_cast<float>(sum));
    }
    // Pairs, with an odd block count (the last pair half empty): same values as the blocks.
    const int64_t n_odd = 4096 - 32;
    std::vector<ActPairQ8_0> pairs_expected(static_cast<size_t>(act_pairs_q8_0(n_odd)));
    std::vector<ActPairQ8_0> pairs_got(pairs_expected.size());
    quantize_activations_q8_0_pairs_ref(x.data(), pairs_expected.data(), n_odd);
    quantize_activations_q8_0_pairs(x.data(), pairs_got.data(), n_odd);
    EXPECT_EQ(std::memcmp(pairs_got.data(), pairs_expected.data(), sizeof(ActPairQ8_0) * pairs_got.size()), 0);
    for (int64_t block_idx = 0; block_idx < n_odd / 32; ++block_idx) {
      const ActPairQ8_0& pair = pairs_expected[static_cast<size_t>(block_idx / 2)];
      const int slot = static_cast<int>(block_idx % 2);
      ASSERT_EQ(pair.d[slot], expected[static_cast<size_t>(block_idx)].d);
      ASSERT_EQ(std::memcmp(pair.qs_low + 16 * slot, expected[static_cast<size_t>(block_idx)].qs, 16), 0);
      ASSERT_EQ(std::memcmp(pair.qs_high + 16 * slot, expected[static_cast<size_t>(block_idx)].qs + 16, 16), 0);
      const ActBlockQ8_0& block = expected[static_cast<size_t>(block_idx)];
      for (int lane_idx = 0; lane_idx < 8; ++lane_idx) {
        const int elem = 2 * lane_idx;
        ASSERT_EQ(pair.sum8[8 * slot + lane_idx],
                  8 * (block.qs[elem] + block.qs[elem + 1] + block.qs[16 + elem] + block.qs[17 + elem]));
        if (lane_idx < 4) {
          ASSERT_EQ(pair.d_spread[4 * slot + lane_idx], block.d);
        }
      }
    }
    EXPECT_EQ(pairs_expected.back().d[1], 0.0f);
    // Q8_0 plus the integer sum (the interleaved kernels' activations).
    std::vector<ActBlockQ8_0Sum> sum_expected(4096 / 32), sum_got(4096 / 32);
    quantize_activations_q8_0_sum_ref(x.data(), sum_expected.data(), 4096);
    quantize_activations_q8_0_sum(x.data(), sum_got.data(), 4096);
    EXPECT_EQ(std::memcmp(sum_got.data(), sum_expected.data(), sizeof(ActBlockQ8_0Sum) * sum_got.size()), 0);
    for (size_t block_idx = 0; block_idx < sum_expected.size(); ++block_idx) {
      ASSERT_EQ(sum_expected[block_idx].d, expected[block_idx].d);
      ASSERT_EQ(std::memcmp(sum_expected[block_idx].qs, expected[block_idx].qs, 32), 0);
      int sum = 0;
      for (int8_t q : expected[block_idx].qs) sum += q;
      ASSERT_EQ(sum_expected[block_idx].sum, sum);
    }
  }
}

TEST(MatmulTest, EmptyShapesWriteNothing) {
  ThreadPool pool(2);
  std::vector<uint8_t> weights(static_cast<size_t>(row_bytes(DType::kQ4_0, 64) * 2));
  std::vector<float> x(64, 1.0f), y(2, 5.0f);
  matmul({DType::kQ4_0, weights.data(), 2, 64}, x.data(), 0, y.data(), pool);
  matmul({DType::kQ4_0, weights.data(), 0, 64}, x.data(), 1, y.data(), pool);
  EXPECT_EQ(y, std::vector<float>(2, 5.0f));
}

}  // namespace
}  // namespace hearth::tensor
