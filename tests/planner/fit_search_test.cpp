// Max-context and best-quantization searches, and the decode bound.
#include "planner/fit_search.h"

#include <gtest/gtest.h>

#include "model/shape_catalog.h"

namespace hearth::planner {
namespace {

constexpr int64_t kGiB = int64_t{1} << 30;

TEST(FitSearchTest, MaxContextIsTheLargestThatFits) {
  const model::LlamaConfig& config = model::find_shape("llama-3.1-8b")->config;
  Result<int64_t> weights = shape_weights_bytes(config, model::FileType::kQ4_K_M);
  ASSERT_TRUE(weights.ok());
  const PlanSettings settings{.n_ctx = 1, .n_parallel = 2};
  const int64_t budget = *weights + 3 * kGiB;
  const int64_t n_ctx = max_context_that_fits(config, *weights, settings, budget, config.n_ctx_train);
  ASSERT_GT(n_ctx, 0);
  ASSERT_LT(n_ctx, config.n_ctx_train);
  PlanSettings at = settings;
  at.n_ctx = n_ctx;
  EXPECT_LE(plan_memory(config, *weights, at).total_bytes(), budget);
  at.n_ctx = n_ctx + 1;
  EXPECT_GT(plan_memory(config, *weights, at).total_bytes(), budget);
}

TEST(FitSearchTest, MaxContextStopsAtTheLimitAndIsZeroWhenNothingFits) {
  const model::LlamaConfig& config = model::find_shape("tiny")->config;
  const PlanSettings settings;
  EXPECT_EQ(max_context_that_fits(config, 1000, settings, 64 * kGiB, 2048), 2048);
  EXPECT_EQ(max_context_that_fits(config, 1000, settings, 1000, 2048), 0);
  EXPECT_EQ(max_context_that_fits(config, 1000, settings, 64 * kGiB, 0), 0);
}

TEST(FitSearchTest, BestQuantIsTheLargestThatFits) {
  const model::LlamaConfig& config = model::find_shape("llama-3.1-8b")->config;
  const PlanSettings settings{.n_ctx = 8192};
  Result<int64_t> q8 = shape_weights_bytes(config, model::FileType::kQ8_0);
  Result<int64_t> q6 = shape_weights_bytes(config, model::FileType::kQ6_K);
  ASSERT_TRUE(q8.ok() && q6.ok());
  // A budget just short of Q8_0's plan: Q6_K is next in size.
  const int64_t budget = plan_memory(config, *q8, settings).total_bytes() - 1;
  std::optional<QuantChoice> choice = best_quant_that_fits(config, settings, budget);
  ASSERT_TRUE(choice.has_value());
  EXPECT_EQ(choice->file_type, model::FileType::kQ6_K);
  EXPECT_EQ(choice->weights_bytes, *q6);
  EXPECT_FALSE(best_quant_that_fits(config, settings, kGiB).has_value());
  std::optional<QuantChoice> all = best_quant_that_fits(config, settings, 1024 * kGiB);
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->file_type, model::FileType::kF32);
}

TEST(FitSearchTest, DecodeBoundIsBandwidthOverBytesPerToken) {
  MemoryPlan plan;
  plan.weights_bytes = 4'000'000'000;
  plan.kv_bytes_per_token = 100'000;
  // 546 GB/s over 4.0 GB + 10000 * 100 kB = 5.0 GB.
  EXPECT_DOUBLE_EQ(decode_tps_bound(plan, 10000, 546.0), 546.0 / 5.0);
  // A mixture of experts reads 1.0 GB of its 4.0 GB of weights per token: 546 / 2.0.
  plan.decode_weights_bytes = 1'000'000'000;
  EXPECT_DOUBLE_EQ(decode_tps_bound(plan, 10000, 546.0), 546.0 / 2.0);
  EXPECT_EQ(decode_tps_bound(plan, 10000, 0.0), 0.0);
}

}  // namespace
}  // namespace hearth::planner
