// The bert graph (EncoderForward through EmbeddingEngine) on tiny random
// models, against a float64 restatement of HF's BertModel written here from
// the file's weights: embeddings + LayerNorm, per layer bidirectional
// attention with biases, residual + LayerNorm, up + GELU (erf) + down,
// residual + LayerNorm; mean or cls pooling, L2-normalized.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <future>

#include "infer/embedding_engine.h"
#include "infer/encoder_forward.h"
#include "tensor/quant.h"
#include "tiny_model.h"

namespace hearth::infer {
namespace {

using namespace std::chrono_literals;
using Matrix = std::vector<double>;  // row-major [rows x cols]

Matrix rows_of(const tensor::WeightView& view) {
  Matrix out(static_cast<size_t>(view.n_rows * view.n_cols));
  std::vector<float> row(static_cast<size_t>(view.n_cols));
  const int64_t row_bytes = tensor::row_bytes(view.dtype, view.n_cols);
  for (int64_t r = 0; r < view.n_rows; ++r) {
    tensor::dequantize_row_ref(view.dtype, static_cast<const uint8_t*>(view.data) + r * row_bytes, row.data(),
                               view.n_cols);
    for (int64_t c = 0; c < view.n_cols; ++c) out[static_cast<size_t>(r * view.n_cols + c)] = row[static_cast<size_t>(c)];
  }
  return out;
}

// x [n x in] -> [n x out] = x W^T + b.
Matrix linear(const Matrix& x, int64_t n, const tensor::WeightView& w, const float* bias) {
  const Matrix weights = rows_of(w);
  Matrix y(static_cast<size_t>(n * w.n_rows));
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t o = 0; o < w.n_rows; ++o) {
      double sum = bias[o];
      for (int64_t i = 0; i < w.n_cols; ++i) sum += x[static_cast<size_t>(t * w.n_cols + i)] * weights[static_cast<size_t>(o * w.n_cols + i)];
      y[static_cast<size_t>(t * w.n_rows + o)] = sum;
    }
  }
  return y;
}

void layer_norm(Matrix& x, int64_t n, int64_t dim, const float* w, const float* b, double eps) {
  for (int64_t t = 0; t < n; ++t) {
    double* row = x.data() + t * dim;
    double mean = 0.0;
    for (int64_t i = 0; i < dim; ++i) mean += row[i];
    mean /= static_cast<double>(dim);
    double var = 0.0;
    for (int64_t i = 0; i < dim; ++i) var += (row[i] - mean) * (row[i] - mean);
    var /= static_cast<double>(dim);
    for (int64_t i = 0; i < dim; ++i) row[i] = (row[i] - mean) / std::sqrt(var + eps) * w[i] + b[i];
  }
}

std::vector<double> reference_vector(const LlamaModel& model, const std::vector<int32_t>& ids) {
  const model::LlamaConfig& c = model.config();
  const model::LlamaWeights& w = model.weights();
  const auto n = static_cast<int64_t>(ids.size());
  const int64_t e = c.n_embd;
  const Matrix tok = rows_of(w.token_embd), pos = rows_of(w.pos_embd), types = rows_of(w.token_types);
  Matrix x(static_cast<size_t>(n * e));
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t i = 0; i < e; ++i) {
      x[static_cast<size_t>(t * e + i)] =
          tok[static_cast<size_t>(ids[static_cast<size_t>(t)] * e + i)] + pos[static_cast<size_t>(t * e + i)] + types[static_cast<size_t>(i)];
    }
  }
  layer_norm(x, n, e, w.token_embd_norm, w.token_embd_norm_b, c.rms_eps);
  const int64_t hd = c.head_dim;
  for (const model::LlamaLayerWeights& layer : w.layers) {
    const Matrix q = linear(x, n, layer.wq, layer.bq), k = linear(x, n, layer.wk, layer.bk),
                 v = linear(x, n, layer.wv, layer.bv);
    Matrix attn(static_cast<size_t>(n * e), 0.0);
    for (int64_t h = 0; h < c.n_head; ++h) {
      for (int64_t i = 0; i < n; ++i) {
        std::vector<double> p(static_cast<size_t>(n));
        double max_s = -1e300;
        for (int64_t j = 0; j < n; ++j) {
          double s = 0.0;
          for (int64_t d = 0; d < hd; ++d) s += q[static_cast<size_t>(i * e + h * hd + d)] * k[static_cast<size_t>(j * e + h * hd + d)];
          p[static_cast<size_t>(j)] = s / std::sqrt(static_cast<double>(hd));
          max_s = std::max(max_s, p[static_cast<size_t>(j)]);
        }
        double sum = 0.0;
        for (double& value : p) sum += (value = std::exp(value - max_s));
        for (int64_t j = 0; j < n; ++j) {
          for (int64_t d = 0; d < hd; ++d) {
            attn[static_cast<size_t>(i * e + h * hd + d)] += p[static_cast<size_t>(j)] / sum * v[static_cast<size_t>(j * e + h * hd + d)];
          }
        }
      }
    }
    Matrix o = linear(attn, n, layer.wo, layer.bo);
    for (size_t idx = 0; idx < x.size(); ++idx) x[idx] += o[idx];
    layer_norm(x, n, e, layer.attn_out_norm, layer.attn_out_norm_b, c.rms_eps);
    Matrix up = linear(x, n, layer.w_up, layer.b_up);
    for (double& value : up) value = 0.5 * value * (1.0 + std::erf(value / std::sqrt(2.0)));
    Matrix down = linear(up, n, layer.w_down, layer.b_down);
    for (size_t idx = 0; idx < x.size(); ++idx) x[idx] += down[idx];
    layer_norm(x, n, e, layer.layer_out_norm, layer.layer_out_norm_b, c.rms_eps);
  }
  std::vector<double> pooled(static_cast<size_t>(e), 0.0);
  const int64_t n_rows = c.pooling == 2 ? 1 : n;
  for (int64_t t = 0; t < n_rows; ++t) {
    for (int64_t i = 0; i < e; ++i) pooled[static_cast<size_t>(i)] += x[static_cast<size_t>(t * e + i)] / static_cast<double>(n_rows);
  }
  double norm = 0.0;
  for (double value : pooled) norm += value * value;
  for (double& value : pooled) value /= std::sqrt(norm);
  return pooled;
}

Result<EmbedResult> embed_and_wait(Engine& engine, EmbedRequest request) {
  auto promise = std::make_shared<std::promise<Result<EmbedResult>>>();
  std::future<Result<EmbedResult>> future = promise->get_future();
  Status submitted = engine.embed(std::move(request),
                                  [promise](Result<EmbedResult> result) { promise->set_value(std::move(result)); });
  if (!submitted.ok()) return submitted;
  if (future.wait_for(60s) != std::future_status::ready) return internal_error("no result within 60 s");
  return future.get();
}

const std::vector<std::vector<int32_t>> kInputs = {{5}, {7, 3, 90, 12}, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13},
                                                   {40, 41, 40, 41, 40, 41, 40, 41, 40, 41, 40, 41, 40, 41, 40, 41,
                                                    40, 41, 40, 41, 40, 41, 40, 41, 40, 41, 40, 41, 40, 41, 40, 95}};

void check_against_reference(testing::TinyModelSpec spec, double max_abs) {
  auto model = testing::load_tiny_model(spec, "encoder_ref");
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  std::vector<std::vector<double>> expected;
  for (const auto& ids : kInputs) expected.push_back(reference_vector(**model, ids));
  EmbeddingEngineOptions options;
  options.n_ctx = 32;
  options.max_batch_tokens = 20;  // the 32-token input runs alone; the others share steps
  options.n_threads = 2;
  auto engine = EmbeddingEngine::create(std::move(model).value(), options);
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  EmbedRequest request;
  request.inputs = kInputs;
  auto result = embed_and_wait(**engine, std::move(request));
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  ASSERT_EQ(result->vectors.size(), kInputs.size());
  for (size_t idx = 0; idx < kInputs.size(); ++idx) {
    ASSERT_EQ(result->vectors[idx].size(), 64u);
    double worst = 0.0;
    for (size_t dim = 0; dim < 64; ++dim) worst = std::max(worst, std::abs(result->vectors[idx][dim] - expected[idx][dim]));
    EXPECT_LT(worst, max_abs) << "input " << idx;
  }
  EXPECT_EQ(result->n_prompt_tokens, 1 + 4 + 13 + 32);
  EXPECT_EQ((*engine)->memory().cache_bytes, 0) << "an encoder holds no KV pool";
  EXPECT_EQ((*engine)->drain(1000, "test"), 0);
}

TEST(EncoderForwardTest, MeanPoolingMatchesTheFloat64Reference) {
  check_against_reference(testing::bert_spec(tensor::DType::kF32), 2e-5);
}

TEST(EncoderForwardTest, ClsPoolingMatchesTheFloat64Reference) {
  testing::TinyModelSpec spec = testing::bert_spec(tensor::DType::kF32);
  spec.pooling = 2;
  check_against_reference(spec, 2e-5);
}

TEST(EncoderForwardTest, Q8_0StaysCloseToTheReference) {
  check_against_reference(testing::bert_spec(tensor::DType::kQ8_0), 0.05);
}

// Inputs of 96 tokens and more take attention's GEMM path; beside short ones in one pass.
TEST(EncoderForwardTest, LongInputsMatchTheFloat64Reference) {
  testing::TinyModelSpec spec = testing::bert_spec(tensor::DType::kF32);
  spec.n_ctx_train = 160;
  auto model = testing::load_tiny_model(spec, "encoder_long_ref");
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  std::vector<std::vector<int32_t>> inputs = {{3, 4, 5}, {}, {9, 8}};
  for (int32_t pos = 0; pos < 150; ++pos) inputs[1].push_back(5 + (pos * 37) % 90);
  std::vector<std::vector<double>> expected;
  for (const auto& ids : inputs) expected.push_back(reference_vector(**model, ids));
  EmbeddingEngineOptions options;
  options.n_ctx = 160;
  options.max_batch_tokens = 512;
  options.n_threads = 2;
  auto engine = EmbeddingEngine::create(std::move(model).value(), options);
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  EmbedRequest request;
  request.inputs = inputs;
  auto result = embed_and_wait(**engine, std::move(request));
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  for (size_t idx = 0; idx < inputs.size(); ++idx) {
    double worst = 0.0;
    for (size_t dim = 0; dim < 64; ++dim) worst = std::max(worst, std::abs(result->vectors[idx][dim] - expected[idx][dim]));
    EXPECT_LT(worst, 2e-5) << "input " << idx;
  }
}

// Each input's rows do not depend on what else shares the pass.
TEST(EncoderForwardTest, RowsDoNotDependOnTheBatch) {
  auto model = testing::load_tiny_model(testing::bert_spec(tensor::DType::kQ8_0), "encoder_batch");
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  ThreadPool pool(2);
  EncoderForward encoder(**model, pool);
  std::vector<EncoderInput> together;
  for (const auto& ids : kInputs) together.push_back({ids, {}});
  const std::span<const float> together_rows = encoder.forward(together);
  const std::vector<float> all(together_rows.begin(), together_rows.end());
  size_t offset = 0;
  for (const auto& ids : kInputs) {
    const std::vector<EncoderInput> alone = {{ids, {}}};
    const std::span<const float> rows = encoder.forward(alone);
    ASSERT_EQ(rows.size(), ids.size() * 64);
    for (size_t idx = 0; idx < rows.size(); ++idx) ASSERT_EQ(rows[idx], all[offset + idx]) << "value " << idx;
    offset += rows.size();
  }
  EXPECT_GT(encoder.scratch_bytes(), 0);
}

// Segment B's rows differ from segment A's (token_types row 1 is read).
TEST(EncoderForwardTest, SegmentsSelectTheTokenTypeRow) {
  auto model = testing::load_tiny_model(testing::bert_spec(tensor::DType::kF32), "encoder_segments");
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  ThreadPool pool(1);
  EncoderForward encoder(**model, pool);
  const std::vector<int32_t> ids = {4, 5, 6};
  const std::vector<int32_t> segments = {0, 1, 1};
  const std::span<const float> plain_rows = encoder.forward(std::vector<EncoderInput>{{ids, {}}});
  const std::vector<float> plain(plain_rows.begin(), plain_rows.end());
  const std::span<const float> typed = encoder.forward(std::vector<EncoderInput>{{ids, segments}});
  double diff = 0.0;
  for (size_t idx = 0; idx < plain.size(); ++idx) diff += std::abs(plain[idx] - typed[idx]);
  EXPECT_GT(diff, 1e-3);
}

TEST(EncoderForwardTest, EngineRefusesAContextBeyondThePositionEmbeddings) {
  auto model = testing::load_tiny_model(testing::bert_spec(tensor::DType::kF32), "encoder_ctx");
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  EmbeddingEngineOptions options;
  options.n_ctx = 33;
  auto engine = EmbeddingEngine::create(std::move(model).value(), options);
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(engine.status().message().find("32"), std::string::npos) << engine.status().message();
}

TEST(EncoderForwardTest, EngineRefusesInputsLongerThanTheContext) {
  auto model = testing::load_tiny_model(testing::bert_spec(tensor::DType::kF32), "encoder_long");
  ASSERT_TRUE(model.ok()) << model.status().to_string();
  EmbeddingEngineOptions options;
  options.n_ctx = 16;
  auto engine = EmbeddingEngine::create(std::move(model).value(), options);
  ASSERT_TRUE(engine.ok()) << engine.status().to_string();
  EmbedRequest request;
  request.inputs = {std::vector<int32_t>(17, 5)};
  const Status status = (*engine)->embed(std::move(request), [](Result<EmbedResult>) {});
  EXPECT_EQ(status.code(), ErrorCode::kOutOfRange);
}

}  // namespace
}  // namespace hearth::infer
