// Parity with HF transformers for the bert family: vectors of a random-weight
// BertModel pooled by mean (as all-MiniLM-L6-v2) and by cls (as bge-base-en),
// and the scores of random-weight cross-encoders (BertForSequenceClassification:
// pooler + classifier; XLMRobertaForSequenceClassification: classifier.dense +
// out_proj, positions from pad_token_id + 1, as bge-reranker-base), recorded by
// tools/make_bert_fixtures.py into tests/fixtures/parity/bert-*.{json,gguf} and
// xlmr-rerank.* (GGUFs converted by hf_to_gguf.py). Missing fixtures are a
// failure, not a skip.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "infer/embedding_engine.h"

#ifndef HEARTH_FIXTURE_DIR
#error "HEARTH_FIXTURE_DIR must name tests/fixtures"
#endif

namespace hearth::infer {
namespace {

const std::string kParityDir = std::string(HEARTH_FIXTURE_DIR) + "/parity/";

nlohmann::json read_doc(const std::string& name) {
  std::ifstream in(kParityDir + name + ".json");
  EXPECT_TRUE(in.good()) << "missing fixture " << name
                         << ".json (make it with: tools/make_bert_fixtures.py --reference, then --convert)";
  if (!in.good()) return {};
  return nlohmann::json::parse(in);
}

std::unique_ptr<EmbeddingEngine> start(const nlohmann::json& doc, const std::string& type) {
  auto model = LlamaModel::load(kParityDir + doc.at("files").at(type).get<std::string>());
  EXPECT_TRUE(model.ok()) << model.status().to_string();
  if (!model.ok()) return nullptr;
  EXPECT_EQ((*model)->config().arch, "bert");
  EXPECT_EQ((*model)->config().pooling, doc.at("pooling").get<int64_t>());
  EmbeddingEngineOptions options;
  options.n_ctx = (*model)->config().n_ctx_train;
  options.max_batch_tokens = 64;  // the long inputs run alone, the short ones together
  options.n_threads = 2;
  auto engine = EmbeddingEngine::create(std::move(model).value(), options);
  EXPECT_TRUE(engine.ok()) << engine.status().to_string();
  return engine.ok() ? std::move(engine).value() : nullptr;
}

// Cosine bounds of issue 12: f32 weights 0.9999, q8_0 0.999.
void check_vectors(const std::string& name, const std::string& type, double min_cosine) {
  const nlohmann::json doc = read_doc(name);
  ASSERT_FALSE(doc.is_null());
  std::unique_ptr<EmbeddingEngine> engine = start(doc, type);
  ASSERT_NE(engine, nullptr);
  EmbedRequest request;
  std::vector<std::vector<double>> expected;
  for (const nlohmann::json& item : doc.at("cases")) {
    request.inputs.push_back(item.at("ids").get<std::vector<int32_t>>());
    expected.push_back(item.at("vector").get<std::vector<double>>());
  }
  auto promise = std::make_shared<std::promise<Result<EmbedResult>>>();
  std::future<Result<EmbedResult>> future = promise->get_future();
  ASSERT_TRUE(
      engine->embed(std::move(request), [promise](Result<EmbedResult> result) { promise->set_value(std::move(result)); })
          .ok());
  ASSERT_EQ(future.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  Result<EmbedResult> result = future.get();
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  ASSERT_EQ(result->vectors.size(), expected.size());
  double worst = 1.0;
  for (size_t case_idx = 0; case_idx < expected.size(); ++case_idx) {
    const std::vector<float>& actual = result->vectors[case_idx];
    ASSERT_EQ(actual.size(), expected[case_idx].size());
    double dot = 0.0;
    for (size_t dim = 0; dim < actual.size(); ++dim) dot += actual[dim] * expected[case_idx][dim];
    worst = std::min(worst, dot);
    EXPECT_GE(dot, min_cosine) << name << " " << type << " case " << case_idx;
  }
  ::testing::Test::RecordProperty("min_cosine_" + name + "_" + type, std::to_string(worst));
}

// Scores within max_abs of HF's float32 logits.
void check_scores(const std::string& name, const std::string& type, double max_abs) {
  const nlohmann::json doc = read_doc(name);
  ASSERT_FALSE(doc.is_null());
  std::unique_ptr<EmbeddingEngine> engine = start(doc, type);
  ASSERT_NE(engine, nullptr);
  EXPECT_TRUE(model::has_capability(engine->capabilities(), model::Capability::kRerank));
  RerankRequest request;
  std::vector<double> expected;
  for (const nlohmann::json& item : doc.at("cases")) {
    request.inputs.push_back(item.at("ids").get<std::vector<int32_t>>());
    request.segments.push_back(item.at("segments").get<std::vector<int32_t>>());
    expected.push_back(item.at("score").get<double>());
  }
  auto promise = std::make_shared<std::promise<Result<RerankResult>>>();
  std::future<Result<RerankResult>> future = promise->get_future();
  ASSERT_TRUE(engine
                  ->rerank(std::move(request),
                           [promise](Result<RerankResult> result) { promise->set_value(std::move(result)); })
                  .ok());
  ASSERT_EQ(future.wait_for(std::chrono::seconds(60)), std::future_status::ready);
  Result<RerankResult> result = future.get();
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  ASSERT_EQ(result->scores.size(), expected.size());
  double worst = 0.0;
  for (size_t case_idx = 0; case_idx < expected.size(); ++case_idx) {
    const double diff = std::abs(result->scores[case_idx] - expected[case_idx]);
    worst = std::max(worst, diff);
    EXPECT_LE(diff, max_abs) << name << " " << type << " case " << case_idx << ": hearth " << result->scores[case_idx]
                             << ", hf " << expected[case_idx];
  }
  ::testing::Test::RecordProperty("max_abs_" + name + "_" + type, std::to_string(worst));
}

TEST(BertParityTest, MeanPoolingF32) { check_vectors("bert-mean", "f32", 0.9999); }
TEST(BertParityTest, MeanPoolingQ8_0) { check_vectors("bert-mean", "q8_0", 0.999); }
TEST(BertParityTest, ClsPoolingF32) { check_vectors("bert-cls", "f32", 0.9999); }
TEST(BertParityTest, ClsPoolingQ8_0) { check_vectors("bert-cls", "q8_0", 0.999); }
TEST(BertParityTest, BertCrossEncoderF32) { check_scores("bert-rerank", "f32", 1e-4); }
TEST(BertParityTest, BertCrossEncoderQ8_0) { check_scores("bert-rerank", "q8_0", 0.05); }
TEST(BertParityTest, XlmRobertaCrossEncoderF32) { check_scores("xlmr-rerank", "f32", 1e-4); }
TEST(BertParityTest, XlmRobertaCrossEncoderQ8_0) { check_scores("xlmr-rerank", "q8_0", 0.05); }

}  // namespace
}  // namespace hearth::infer
