// paged_attention's sliding window: keys before the window are never read.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "infer/attention.h"
#include "infer/kv_block_pool.h"

namespace hearth::infer {
namespace {

// Cache rows before the window hold NaN: a single read of one would poison
// the output. The result must equal attention over the window's rows alone.
TEST(AttentionTest, SlidingWindowReadsNoRowBeforeTheWindow) {
  constexpr int64_t kHeadDim = 4;
  constexpr int64_t kBlockTokens = 4;
  constexpr int64_t kWindow = 5;
  constexpr int64_t kPos = 13;  // keys 9..13 visible; blocks 0 and 1 (positions 0..7) wholly outside
  KvBlockPool cache({1, 1, kHeadDim}, 4, kBlockTokens, tensor::DType::kF32);
  std::vector<int32_t> blocks;
  for (int idx = 0; idx < 4; ++idx) blocks.push_back(cache.allocate());
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<std::vector<float>> keys, values;
  for (int64_t pos = 0; pos <= kPos; ++pos) {
    std::vector<float> k(kHeadDim), v(kHeadDim);
    for (int64_t dim = 0; dim < kHeadDim; ++dim) {
      k[dim] = pos <= kPos - kWindow ? nan : std::sin(0.7f * static_cast<float>(pos + dim));
      v[dim] = pos <= kPos - kWindow ? nan : std::cos(0.3f * static_cast<float>(pos * 3 + dim));
    }
    cache.store(0, blocks[pos / kBlockTokens], pos % kBlockTokens, k.data(), v.data());
    keys.push_back(k);
    values.push_back(v);
  }
  const std::vector<float> q = {0.5f, -1.0f, 0.25f, 2.0f};
  const AttentionQuery query{blocks.data(), kPos};
  std::vector<float> out(kHeadDim), scores(32);
  ThreadPool pool(1);
  const AttentionShape shape{1, 1, kHeadDim, 0.5f, kWindow};
  paged_attention(cache, 0, shape, std::span<const AttentionQuery>(&query, 1), q.data(), out.data(), scores.data(), 32,
                  pool);

  std::vector<double> weights;
  double sum = 0.0;
  for (int64_t pos = kPos - kWindow + 1; pos <= kPos; ++pos) {
    double dot = 0.0;
    for (int64_t dim = 0; dim < kHeadDim; ++dim) dot += double{q[dim]} * keys[pos][dim];
    weights.push_back(std::exp(0.5 * dot));
    sum += weights.back();
  }
  for (int64_t dim = 0; dim < kHeadDim; ++dim) {
    double expected = 0.0;
    for (int64_t idx = 0; idx < kWindow; ++idx) expected += weights[idx] / sum * values[kPos - kWindow + 1 + idx][dim];
    EXPECT_NEAR(out[dim], expected, 1e-5) << "dim " << dim;
  }
}

}  // namespace
}  // namespace hearth::infer
