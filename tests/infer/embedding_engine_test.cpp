// EmbeddingEngine on tiny random qwen3 embedding models, against the float64
// reference forward pass (reference_llama.h) pooled and normalized here.
#include "infer/embedding_engine.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <condition_variable>
#include <future>
#include <mutex>

#include "infer/kv_block_pool.h"
#include "reference_llama.h"
#include "tiny_model.h"

namespace hearth::infer {
namespace {

using namespace std::chrono_literals;

// The reference vector of one input: pooled as the file says, L2-normalized.
std::vector<double> reference_vector(const model::GgufFile& file, const testing::TinyModelSpec& spec,
                                     const std::vector<int32_t>& ids) {
  testing::ReferenceOptions options;
  options.round_kv_to_f16 = false;
  const std::vector<double> hidden = testing::reference_hidden(file, spec, ids, options);
  const size_t n_embd = static_cast<size_t>(spec.n_embd);
  const size_t n_rows = ids.size();
  std::vector<double> pooled(n_embd, 0.0);
  for (size_t row = 0; row < n_rows; ++row) {
    const bool take = spec.pooling == 1 || (spec.pooling == 2 && row == 0) || (spec.pooling == 3 && row + 1 == n_rows);
    if (!take) continue;
    for (size_t dim = 0; dim < n_embd; ++dim) pooled[dim] += hidden[row * n_embd + dim];
  }
  double norm = 0.0;
  for (double value : pooled) norm += value * value;
  for (double& value : pooled) value /= std::sqrt(norm);
  return pooled;
}

// Submits and waits (bounded: a hang guard) for the result.
Result<EmbedResult> embed_and_wait(Engine& engine, EmbedRequest request) {
  auto promise = std::make_shared<std::promise<Result<EmbedResult>>>();
  std::future<Result<EmbedResult>> future = promise->get_future();
  Status submitted = engine.embed(std::move(request),
                                  [promise](Result<EmbedResult> result) { promise->set_value(std::move(result)); });
  if (!submitted.ok()) return submitted;
  if (future.wait_for(60s) != std::future_status::ready) return internal_error("no result within 60 s");
  return future.get();
}

std::vector<int32_t> ids_of(int n, int salt, int64_t n_vocab) {
  std::vector<int32_t> ids;
  for (int idx = 0; idx < n; ++idx) ids.push_back(static_cast<int32_t>(3 + (idx * 11 + salt * 17) % (n_vocab - 3)));
  return ids;
}

class EmbeddingEngineTest : public ::testing::TestWithParam<int64_t> {
 protected:
  void SetUp() override {
    spec_ = testing::family_spec("qwen3", tensor::DType::kF32);
    spec_.pooling = GetParam();
    const std::string path = testing::temp_model_path("embedding_engine_" + std::to_string(GetParam()));
    ASSERT_TRUE(testing::write_tiny_model(spec_, path).ok());
    auto file = model::GgufFile::open(path);
    ASSERT_TRUE(file.ok()) << file.status().to_string();
    reference_file_ = std::make_unique<model::GgufFile>(std::move(file).value());
    auto model = LlamaModel::load(path);
    ASSERT_TRUE(model.ok()) << model.status().to_string();
    EmbeddingEngineOptions options;
    options.n_ctx = 40;
    options.max_batch_tokens = 8;  // inputs share steps and long ones span several
    options.kv_dtype = tensor::DType::kF32;
    options.n_threads = 2;
    auto engine = EmbeddingEngine::create(std::move(model).value(), options);
    ASSERT_TRUE(engine.ok()) << engine.status().to_string();
    engine_ = std::move(engine).value();
  }

  testing::TinyModelSpec spec_;
  std::unique_ptr<model::GgufFile> reference_file_;
  std::unique_ptr<EmbeddingEngine> engine_;
};

TEST_P(EmbeddingEngineTest, VectorsEqualTheReferencePooledAndNormalized) {
  EXPECT_EQ(engine_->capabilities(), model::capability_bit(model::Capability::kEmbed));
  EmbedRequest request;
  for (int length : {1, 3, 8, 13, 40}) request.inputs.push_back(ids_of(length, length, spec_.n_vocab));
  const std::vector<std::vector<int32_t>> inputs = request.inputs;
  Result<EmbedResult> result = embed_and_wait(*engine_, std::move(request));
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  ASSERT_EQ(result->vectors.size(), inputs.size());
  EXPECT_EQ(result->n_prompt_tokens, 1 + 3 + 8 + 13 + 40);
  for (size_t input_idx = 0; input_idx < inputs.size(); ++input_idx) {
    SCOPED_TRACE("input " + std::to_string(input_idx));
    const std::vector<double> expected = reference_vector(*reference_file_, spec_, inputs[input_idx]);
    const std::vector<float>& actual = result->vectors[input_idx];
    ASSERT_EQ(actual.size(), expected.size());
    double dot = 0.0;
    double norm = 0.0;
    for (size_t dim = 0; dim < actual.size(); ++dim) {
      dot += actual[dim] * expected[dim];
      norm += static_cast<double>(actual[dim]) * actual[dim];
    }
    EXPECT_NEAR(norm, 1.0, 1e-5);
    EXPECT_GE(dot, 0.99999) << "cosine similarity";
    EXPECT_LT(testing::relative_l2_error(actual, expected), 1e-3);
  }
  const EngineStats stats = engine_->stats();
  EXPECT_EQ(stats.n_prompt_tokens_total, 65);
  EXPECT_GE(stats.n_steps_total, 65 / 8);
  EXPECT_EQ(stats.n_running + stats.n_waiting, 0);
}

TEST_P(EmbeddingEngineTest, AVectorDoesNotDependOnWhatSharedItsSteps) {
  const std::vector<int32_t> ids = ids_of(11, 5, spec_.n_vocab);
  Result<EmbedResult> alone = embed_and_wait(*engine_, EmbedRequest{{ids}});
  ASSERT_TRUE(alone.ok());
  Result<EmbedResult> among =
      embed_and_wait(*engine_, EmbedRequest{{ids_of(3, 1, spec_.n_vocab), ids, ids_of(6, 2, spec_.n_vocab)}});
  ASSERT_TRUE(among.ok());
  EXPECT_EQ(alone->vectors[0], among->vectors[1]);  // bit for bit
}

INSTANTIATE_TEST_SUITE_P(Poolings, EmbeddingEngineTest, ::testing::Values(1, 2, 3),
                         [](const ::testing::TestParamInfo<int64_t>& info) {
                           return std::string(info.param == 1 ? "mean" : info.param == 2 ? "cls" : "last");
                         });

class EmbeddingEngineLimitsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spec_ = testing::family_spec("qwen3", tensor::DType::kQ8_0);
    spec_.pooling = 3;
    auto model = testing::load_tiny_model(spec_, "embedding_limits");
    ASSERT_TRUE(model.ok()) << model.status().to_string();
    EmbeddingEngineOptions options;
    options.n_ctx = 16;
    options.n_threads = 1;
    auto engine = EmbeddingEngine::create(std::move(model).value(), options);
    ASSERT_TRUE(engine.ok()) << engine.status().to_string();
    engine_ = std::move(engine).value();
  }
  testing::TinyModelSpec spec_;
  std::unique_ptr<EmbeddingEngine> engine_;
};

TEST_F(EmbeddingEngineLimitsTest, BadInputsAreRefusedNamingTheInput) {
  auto no_op = [](Result<EmbedResult>) {};
  Status none = engine_->embed(EmbedRequest{}, no_op);
  EXPECT_EQ(none.code(), ErrorCode::kInvalidArgument);
  Status empty = engine_->embed(EmbedRequest{{{1, 2}, {}}}, no_op);
  EXPECT_EQ(empty.code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(empty.message(), "input 1 is empty");
  Status too_long = engine_->embed(EmbedRequest{{std::vector<int32_t>(17, 4)}}, no_op);
  EXPECT_EQ(too_long.code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(too_long.message(), "input 0 has 17 tokens; the model takes at most 16");
  Status bad_id = engine_->embed(EmbedRequest{{{1, static_cast<int32_t>(spec_.n_vocab)}}}, no_op);
  EXPECT_EQ(bad_id.code(), ErrorCode::kOutOfRange);
  // Text generation is not this engine's.
  auto refused = engine_->submit(SequenceRequest{}, nullptr);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kFailedPrecondition);
}

TEST_F(EmbeddingEngineLimitsTest, DrainFinishesWhatIsQueuedThenRefuses) {
  Result<EmbedResult> before = embed_and_wait(*engine_, EmbedRequest{{{1, 2, 3}}});
  ASSERT_TRUE(before.ok());
  EXPECT_EQ(engine_->drain(10000, "going away"), 0);
  Status after = engine_->embed(EmbedRequest{{{1, 2, 3}}}, [](Result<EmbedResult>) {});
  EXPECT_EQ(after.code(), ErrorCode::kUnavailable);
  EmbeddingEngineOptions options;
  options.n_ctx = 16;
  const int64_t bytes_per_token =
      KvBlockPool::bytes_per_token({spec_.n_layer, spec_.n_head_kv, spec_.resolved_head_dim()}, tensor::DType::kF16);
  const EngineMemory memory = engine_->memory();
  EXPECT_EQ(memory.cache_bytes, embedding_pool_tokens(options) * bytes_per_token);
  EXPECT_EQ(embedding_pool_tokens(options), 16 + 512 + 8 * 16);
}

TEST(EmbeddingEngineCreateTest, AModelThatPoolsNothingIsNotAnEmbeddingModel) {
  auto model = testing::load_tiny_model(testing::family_spec("qwen3", tensor::DType::kF32), "embedding_no_pooling");
  ASSERT_TRUE(model.ok());
  auto engine = EmbeddingEngine::create(std::move(model).value(), EmbeddingEngineOptions{});
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hearth::infer
