// The memory model against what hearth's engine actually holds: the weights a
// synthesized file maps, and the KV pool and forward scratch of the objects
// infer::Scheduler builds for the same settings.
#include "planner/memory_plan.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "cli/synth.h"
#include "infer/batch_forward.h"
#include "infer/kv_block_pool.h"
#include "infer/llama_model.h"
#include "model/shape_catalog.h"
#include "tiny_model.h"

namespace hearth::planner {
namespace {

using infer::testing::TinyModelSpec;

TEST(MemoryPlanTest, WeightsOfASynthesizedFileEqualTheCatalogSum) {
  const model::ModelShape* shape = model::find_shape("tiny");
  ASSERT_NE(shape, nullptr);
  ThreadPool pool(2);
  for (model::FileType file_type : model::all_file_types()) {
    SCOPED_TRACE(std::string(model::file_type_name(file_type)));
    const std::string path = infer::testing::temp_model_path("planner_weights");
    cli::SynthOptions options;
    options.shape = shape;
    options.file_type = file_type;
    options.out_path = path;
    ASSERT_TRUE(cli::synthesize_model(options, pool, nullptr).ok());
    Result<std::unique_ptr<infer::LlamaModel>> loaded = infer::LlamaModel::load(path);
    std::remove(path.c_str());
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    Result<int64_t> planned = shape_weights_bytes(shape->config, file_type);
    ASSERT_TRUE(planned.ok()) << planned.status().message();
    // The mapped file's tensors are what the engine reads.
    EXPECT_EQ(file_weights_bytes((*loaded)->file()), *planned);
    EXPECT_GT(*planned, 0);
  }
}

// A mixture of experts: the planner counts the 3-D expert tensors as synth
// writes them and the engine binds them, and a decode step reads only the
// experts a token runs.
TEST(MemoryPlanTest, MoeDecodeReadsOnlyTheActiveExperts) {
  const model::ModelShape* shape = model::find_shape("tiny-moe");  // 8 experts, 2 per token
  ASSERT_NE(shape, nullptr);
  ThreadPool pool(2);
  for (model::FileType file_type : {model::FileType::kQ8_0, model::FileType::kQ4_K_M}) {
    SCOPED_TRACE(std::string(model::file_type_name(file_type)));
    const std::string path = infer::testing::temp_model_path("planner_moe");
    cli::SynthOptions options;
    options.shape = shape;
    options.file_type = file_type;
    options.out_path = path;
    ASSERT_TRUE(cli::synthesize_model(options, pool, nullptr).ok());
    Result<std::unique_ptr<infer::LlamaModel>> loaded = infer::LlamaModel::load(path);
    std::remove(path.c_str());
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    Result<int64_t> planned = shape_weights_bytes(shape->config, file_type);
    Result<int64_t> experts = shape_expert_bytes(shape->config, file_type);
    ASSERT_TRUE(planned.ok() && experts.ok());
    EXPECT_EQ(file_weights_bytes((*loaded)->file()), *planned);
    EXPECT_EQ(file_expert_bytes((*loaded)->file()), *experts);
    EXPECT_EQ(static_cast<int64_t>((*loaded)->weights().n_expert_bytes), *experts);
    EXPECT_GT(*experts, *planned / 2);
    EXPECT_EQ(decode_weights_bytes(shape->config, *planned, *experts), *planned - *experts + *experts / 8 * 2);
  }
  // Qwen3-30B-A3B: 128 experts, 8 per token; about 3B of its 30B parameters are read per token.
  const model::ModelShape* a3b = model::find_shape("qwen3-30b-a3b");
  ASSERT_NE(a3b, nullptr);
  Result<int64_t> weights = shape_weights_bytes(a3b->config, model::FileType::kQ4_K_M);
  Result<int64_t> experts = shape_expert_bytes(a3b->config, model::FileType::kQ4_K_M);
  ASSERT_TRUE(weights.ok() && experts.ok());
  const int64_t decode = decode_weights_bytes(a3b->config, *weights, *experts);
  EXPECT_LT(decode, *weights / 5);
  EXPECT_GT(decode, *weights / 20);
  EXPECT_EQ(decode_weights_bytes(model::find_shape("tiny")->config, *weights, 0), *weights);
}

TEST(MemoryPlanTest, SmolLmFallbackTypesAreCounted) {
  // SmolLM's 576-value rows cannot take K blocks: q4_k falls back to q5_0 (llama.cpp's fallback) on
  // every matrix but ffn_down (rows of 1536), whose blocks are then q4_k in one and q5_0 in the other.
  const model::ModelShape* shape = model::find_shape("smollm-135m");
  ASSERT_NE(shape, nullptr);
  Result<int64_t> q4_k = shape_weights_bytes(shape->config, model::FileType::kQ4_K);
  Result<int64_t> q5_0 = shape_weights_bytes(shape->config, model::FileType::kQ5_0);
  ASSERT_TRUE(q4_k.ok() && q5_0.ok());
  const model::LlamaConfig& c = shape->config;
  const int64_t down_values = c.n_layer * c.n_ff * c.n_embd;
  EXPECT_EQ(*q5_0 - *q4_k, down_values / 32 * 22 - down_values / 256 * 144);
}

TEST(MemoryPlanTest, RowsThatDoNotFitTheTypeAreAnError) {
  model::LlamaConfig config = model::find_shape("tiny")->config;
  config.n_embd = 48;  // not a multiple of Q4_0's 32-value blocks
  config.head_dim = 12;
  Result<int64_t> weights = shape_weights_bytes(config, model::FileType::kQ4_0);
  ASSERT_FALSE(weights.ok());
  EXPECT_EQ(weights.status().code(), ErrorCode::kInvalidArgument);
}

TEST(MemoryPlanTest, SettingsOutsideTheEngineBoundsAreRefused) {
  EXPECT_TRUE(validate_settings(PlanSettings{}).ok());
  EXPECT_FALSE(validate_settings(PlanSettings{.n_ctx = 0}).ok());
  EXPECT_FALSE(validate_settings(PlanSettings{.n_ctx = int64_t{1} << 25}).ok());
  EXPECT_FALSE(validate_settings(PlanSettings{.n_parallel = 0}).ok());
  EXPECT_FALSE(validate_settings(PlanSettings{.n_parallel = 2000}).ok());
  EXPECT_FALSE(validate_settings(PlanSettings{.kv_dtype = tensor::DType::kQ8_0}).ok());
  EXPECT_FALSE(validate_settings(PlanSettings{.n_threads = 0}).ok());
  EXPECT_FALSE(validate_settings(PlanSettings{.n_ctx = 512, .kv_pool_tokens = 100}).ok());  // below one context
}

TEST(MemoryPlanTest, AFixedPoolSizeReplacesContextTimesParallel) {
  const model::LlamaConfig config = model::find_shape("tiny")->config;
  const PlanSettings by_product{.n_ctx = 512, .n_parallel = 4};
  const PlanSettings fixed{.n_ctx = 512, .n_parallel = 4, .kv_pool_tokens = 1000};
  ASSERT_TRUE(validate_settings(fixed).ok());
  EXPECT_EQ(kv_pool_tokens(by_product), 2048);
  EXPECT_EQ(kv_pool_tokens(fixed), 1008);  // whole 16-position blocks
  EXPECT_EQ(kv_pool_bytes(config, fixed) * 2048, kv_pool_bytes(config, by_product) * 1008);
}

TEST(MemoryPlanTest, KvOfDimensionsAtTheirLimitsSaturates) {
  model::LlamaConfig config = model::find_shape("tiny")->config;
  config.n_layer = 1024;  // read_llama_config's limits
  config.n_head = 1024;
  config.n_head_kv = 1024;
  config.head_dim = 1024;
  const PlanSettings settings{.n_ctx = int64_t{1} << 24, .n_parallel = 1024, .kv_dtype = tensor::DType::kF32};
  ASSERT_TRUE(validate_settings(settings).ok());
  EXPECT_EQ(kv_pool_bytes(config, settings), kMaxPlanBytes);
  EXPECT_GT(plan_memory(config, 0, settings).total_bytes(), kMaxPlanBytes);
}

// Model dimensions the engine runs, with weights small enough to write:
// n_layer and the weight values do not change the scratch.
std::vector<TinyModelSpec> engine_specs() {
  std::vector<TinyModelSpec> specs;
  specs.push_back(infer::testing::llama_gqa_llama3_spec(tensor::DType::kF32));
  specs.push_back(infer::testing::qwen2_tied_spec(tensor::DType::kF32));
  // The expert FFN's scratch replaces the dense one; gemma2's windowed layers share the global RoPE.
  specs.push_back(infer::testing::family_spec("qwen3moe", tensor::DType::kF32));
  specs.push_back(infer::testing::family_spec("gemma2", tensor::DType::kF32));
  TinyModelSpec smollm;  // smollm-135m's widths, vocabulary and GQA
  smollm.n_vocab = 49152;
  smollm.n_embd = 576;
  smollm.n_head = 9;
  smollm.n_head_kv = 3;
  smollm.n_ff = 1536;
  smollm.n_layer = 3;
  smollm.tied_output = true;
  smollm.matrix_dtype = tensor::DType::kQ8_0;
  specs.push_back(smollm);
  return specs;
}

struct Combo {
  int64_t n_ctx;
  int64_t n_parallel;
  int64_t max_batch_tokens;
  tensor::DType kv_dtype;
  int n_threads;
};

TEST(MemoryPlanTest, KvAndScratchEqualTheEngineAllocations) {
  const std::vector<Combo> combos = {
      {64, 1, 32, tensor::DType::kF16, 1},
      {100, 3, 32, tensor::DType::kF16, 2},
      {257, 4, 8, tensor::DType::kF32, 2},
      {40, 6, 4, tensor::DType::kF16, 3},  // more sequences than batch tokens: logits stop at 4 rows
  };
  int n_checked = 0;
  for (const TinyModelSpec& spec : engine_specs()) {
    Result<std::unique_ptr<infer::LlamaModel>> loaded = infer::testing::load_tiny_model(spec, "planner_engine");
    ASSERT_TRUE(loaded.ok()) << loaded.status().message();
    const infer::LlamaModel& model = **loaded;
    const model::LlamaConfig& config = model.config();
    for (const Combo& combo : combos) {
      SCOPED_TRACE(spec.arch + " n_embd " + std::to_string(spec.n_embd) + " ctx " + std::to_string(combo.n_ctx) +
                   " parallel " + std::to_string(combo.n_parallel));
      // What infer::Scheduler::create builds for these options.
      const int64_t block_tokens = 16;
      const int64_t n_blocks = (combo.n_ctx * combo.n_parallel + block_tokens - 1) / block_tokens;
      infer::KvBlockPool cache({config.n_layer, config.n_head_kv, config.head_dim}, static_cast<int32_t>(n_blocks),
                               block_tokens, combo.kv_dtype);
      ThreadPool threads(combo.n_threads);
      infer::BatchForward forward(model, cache, threads, combo.max_batch_tokens, combo.n_ctx);
      // A decode step of every sequence grows the logits to their peak.
      const int64_t n_seqs = std::min(combo.n_parallel, combo.max_batch_tokens);
      std::vector<int32_t> tokens(static_cast<size_t>(n_seqs), 1);
      std::vector<int32_t> blocks;
      std::vector<infer::BatchSequence> batch;
      for (int64_t seq_idx = 0; seq_idx < n_seqs; ++seq_idx) blocks.push_back(cache.allocate());
      for (int64_t seq_idx = 0; seq_idx < n_seqs; ++seq_idx) {
        batch.push_back({std::span<const int32_t>(&tokens[static_cast<size_t>(seq_idx)], 1), 0,
                         std::span<const int32_t>(&blocks[static_cast<size_t>(seq_idx)], 1), infer::LogitRows::kLast});
      }
      ASSERT_EQ(forward.forward(batch).size(), static_cast<size_t>(n_seqs * config.n_vocab));

      const PlanSettings settings{.n_ctx = combo.n_ctx,
                                  .n_parallel = combo.n_parallel,
                                  .max_batch_tokens = combo.max_batch_tokens,
                                  .kv_block_tokens = block_tokens,
                                  .kv_dtype = combo.kv_dtype,
                                  .n_threads = combo.n_threads};
      ASSERT_TRUE(validate_settings(settings).ok());
      const MemoryPlan plan = plan_memory(config, file_weights_bytes(model.file()), settings);
      EXPECT_EQ(plan.kv_bytes, cache.n_bytes());
      EXPECT_EQ(plan.scratch_bytes, forward.scratch_bytes());
      EXPECT_EQ(plan.kv_bytes + plan.scratch_bytes, cache.n_bytes() + forward.scratch_bytes());
      EXPECT_EQ(plan.kv_pool_tokens, n_blocks * block_tokens);
      ++n_checked;
    }
  }
  EXPECT_GE(n_checked, 12);
}

}  // namespace
}  // namespace hearth::planner
