// Embedding throughput of an encoder (bert) GGUF through EmbeddingEngine:
// embeddings/s and tokens/s for batches of equal-length inputs, against the
// compute bound of this machine: FLOPs per token (2 per weight of every layer
// matrix, plus attention's 4 * length * n_embd per layer) over the GEMM
// throughput measured here, now, on the model's own layer matrices (each
// multiplied by 512 random activation rows, the best of a few runs), before
// the first run and again after each, the highest so far kept: a noisy
// moment makes the bound stricter, never looser. Prints one JSON object per
// (batch, length).
//
//   bench_embeddings MODEL.gguf THREADS "1 32 256" "64 512"
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "base/thread_pool.h"
#include "infer/embedding_engine.h"
#include "tensor/matmul.h"

namespace {

using Clock = std::chrono::steady_clock;
using hearth::infer::EmbeddingEngine;

std::vector<int64_t> parse_list(const char* text) {
  std::vector<int64_t> values;
  std::istringstream in(text);
  int64_t value = 0;
  while (in >> value) values.push_back(value);
  return values;
}

// FLOP/s of the layer matrices of one block over kRows activation rows (weights read once per call).
double measure_gemm_flops(const hearth::infer::LlamaModel& model, hearth::ThreadPool& pool) {
  constexpr int64_t kRows = 512;
  const hearth::model::LlamaLayerWeights& layer = model.weights().layers[0];
  const std::vector<const hearth::tensor::WeightView*> matrices = {&layer.wq, &layer.wk, &layer.wv,
                                                                   &layer.wo, &layer.w_up, &layer.w_down};
  int64_t max_cols = 0;
  int64_t max_rows = 0;
  double flops_per_pass = 0.0;
  for (const auto* matrix : matrices) {
    max_cols = std::max(max_cols, matrix->n_cols);
    max_rows = std::max(max_rows, matrix->n_rows);
    flops_per_pass += 2.0 * static_cast<double>(matrix->n_rows * matrix->n_cols) * kRows;
  }
  std::mt19937 rng(7);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(kRows * max_cols));
  for (float& value : x) value = dist(rng);
  std::vector<float> y(static_cast<size_t>(kRows * max_rows));
  double best = 1e30;
  for (int rep = 0; rep < 5; ++rep) {
    const auto start = Clock::now();
    for (const auto* matrix : matrices) hearth::tensor::matmul(*matrix, x.data(), kRows, y.data(), pool);
    best = std::min(best, std::chrono::duration<double>(Clock::now() - start).count());
  }
  return flops_per_pass / best;
}

double flops_per_token(const hearth::model::LlamaConfig& config, int64_t length) {
  const double e = static_cast<double>(config.n_embd);
  const double matrices = 4.0 * e * e + 2.0 * e * static_cast<double>(config.n_ff);
  const double attention = 4.0 * static_cast<double>(length) * e;
  return static_cast<double>(config.n_layer) * (2.0 * matrices + attention);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: %s MODEL.gguf THREADS \"BATCHES\" \"LENGTHS\"\n", argv[0]);
    return 2;
  }
  const int n_threads = std::atoi(argv[2]);
  const std::vector<int64_t> batches = parse_list(argv[3]);
  const std::vector<int64_t> lengths = parse_list(argv[4]);
  if (n_threads < 1 || batches.empty() || lengths.empty()) {
    std::fprintf(stderr, "THREADS must be >= 1 and BATCHES, LENGTHS non-empty lists of integers\n");
    return 2;
  }
  auto loaded = hearth::infer::LlamaModel::load(argv[1]);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n", loaded.status().to_string().c_str());
    return 1;
  }
  const hearth::model::LlamaConfig config = (*loaded)->config();
  hearth::ThreadPool gemm_pool(n_threads);
  const hearth::infer::LlamaModel& model = **loaded;  // the engine owns it from here; it outlives the runs
  double gemm_flops = measure_gemm_flops(model, gemm_pool);
  const int64_t longest = *std::max_element(lengths.begin(), lengths.end());
  hearth::infer::EmbeddingEngineOptions options;
  options.n_ctx = std::min(longest, config.n_ctx_train);
  options.max_batch_tokens = std::max<int64_t>(2048, longest);
  options.max_queued = 1 << 16;
  options.n_threads = n_threads;
  auto engine = EmbeddingEngine::create(std::move(loaded).value(), options);
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n", engine.status().to_string().c_str());
    return 1;
  }
  std::mt19937 rng(11);
  std::uniform_int_distribution<int32_t> token(5, static_cast<int32_t>(config.n_vocab - 1));
  auto run = [&](int64_t batch, int64_t length) {
    hearth::infer::EmbedRequest request;
    for (int64_t idx = 0; idx < batch; ++idx) {
      std::vector<int32_t> ids(static_cast<size_t>(std::min(length, options.n_ctx)));
      for (int32_t& id : ids) id = token(rng);
      request.inputs.push_back(std::move(ids));
    }
    std::promise<bool> done;
    auto future = done.get_future();
    const auto start = Clock::now();
    const hearth::Status submitted = (*engine)->embed(
        std::move(request), [&done](hearth::Result<hearth::infer::EmbedResult> result) { done.set_value(result.ok()); });
    if (!submitted.ok() || !future.get()) return -1.0;
    return std::chrono::duration<double>(Clock::now() - start).count();
  };
  for (int64_t length : lengths) {
    for (int64_t batch : batches) {
      run(std::min<int64_t>(batch, 4), length);  // warm-up: pages in the weights, grows the scratch
      const int n_reps = batch * length >= 256 * 256 ? 1 : batch * length >= 32 * 512 ? 2 : 3;
      double best = 1e30;
      for (int rep = 0; rep < n_reps; ++rep) best = std::min(best, run(batch, length));
      if (best < 0) {
        std::fprintf(stderr, "embedding failed\n");
        return 1;
      }
      gemm_flops = std::max(gemm_flops, measure_gemm_flops(model, gemm_pool));
      const double tokens_per_s = static_cast<double>(batch * length) / best;
      const double bound_tokens_per_s = gemm_flops / flops_per_token(config, length);
      std::printf(
          "{\"threads\": %d, \"batch\": %lld, \"length\": %lld, \"seconds\": %.4f, \"embeddings_per_s\": %.2f, "
          "\"tokens_per_s\": %.1f, \"gemm_gflops\": %.1f, \"gflop_per_token\": %.5f, \"bound_tokens_per_s\": %.1f, "
          "\"bound_fraction\": %.3f}\n",
          n_threads, static_cast<long long>(batch), static_cast<long long>(length), best,
          static_cast<double>(batch) / best, tokens_per_s, gemm_flops / 1e9, flops_per_token(config, length) / 1e9,
          bound_tokens_per_s, tokens_per_s / bound_tokens_per_s);
      std::fflush(stdout);
    }
  }
  (*engine)->drain(1000, "done");
  return 0;
}
