// matmul throughput: decode matvec as weight GB/s (against a plain read of the
// same bytes, the bandwidth bound) and prefill as GFLOP/s.
//
// Decode cycles through enough copies of the weights (>= 96 MiB) that they come
// from DRAM, not the L3, as a real model's weights do.
//
//   bench_tensor_matmul --benchmark_filter=Matvec
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <utility>
#include <vector>

#include "base/thread_pool.h"
#include "hwy/targets.h"
#include "tensor/matmul.h"
#include "tensor/packed_weights.h"
#include "tensor/quant.h"

namespace hearth::tensor {
namespace {

constexpr int64_t kDecodeRows = 2048;
constexpr int64_t kDecodeCols = 8192;
constexpr int64_t kColdBytes = 96ll << 20;

std::vector<float> random_floats(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  std::vector<float> values(static_cast<size_t>(n));
  for (float& value : values) value = dist(rng);
  return values;
}

// n_copies of a random [n_rows x n_cols] matrix of `dtype`, back to back.
std::vector<uint8_t> random_weights(DType dtype, int64_t n_rows, int64_t n_cols, int64_t n_copies) {
  const int64_t stride = row_bytes(dtype, n_cols);
  const int64_t matrix_bytes = stride * n_rows;
  std::vector<uint8_t> weights(static_cast<size_t>(matrix_bytes * n_copies));
  const auto row = random_floats(n_cols * 16, 7);
  for (int64_t row_idx = 0; row_idx < n_rows; ++row_idx) {
    quantize_row_ref(dtype, row.data() + (row_idx % 16) * n_cols, weights.data() + row_idx * stride, n_cols);
  }
  for (int64_t copy = 1; copy < n_copies; ++copy) {
    std::copy(weights.begin(), weights.begin() + matrix_bytes, weights.begin() + copy * matrix_bytes);
  }
  return weights;
}

// The bandwidth bound: an integer sum over the same amount of cold memory
// (integer adds reassociate, so the compiler vectorizes it; loads are the limit),
// prefetched like the kernels so both see the same memory system.
void BM_ReadBandwidth(benchmark::State& state) {
  const int n_threads = static_cast<int>(state.range(0));
  ThreadPool pool(n_threads);
  const int64_t n_words = kColdBytes / 8;
  std::vector<uint64_t> data(static_cast<size_t>(n_words), 1);
  std::vector<uint64_t> sums(static_cast<size_t>(n_threads));
  const int64_t chunk = 1 << 15;  // 256 KiB per chunk
  for (auto _ : state) {
    pool.parallel_for(n_words, chunk, [&](int64_t begin, int64_t end, int thread_idx) {
      uint64_t sum = 0;
      // Same software prefetch distance as the kernels (2 KiB), one per cache line.
      for (int64_t line = begin; line < end; line += 8) {
        __builtin_prefetch(data.data() + line + 256);
        for (int64_t idx = line; idx < line + 8; ++idx) sum += data[static_cast<size_t>(idx)];
      }
      sums[static_cast<size_t>(thread_idx)] += sum;
    });
    benchmark::DoNotOptimize(sums.data());
  }
  state.SetBytesProcessed(state.iterations() * kColdBytes);
}
BENCHMARK(BM_ReadBandwidth)->Arg(1)->Arg(2)->UseRealTime();

void BM_Matvec(benchmark::State& state) {
  const DType dtype = static_cast<DType>(state.range(0));
  const int n_threads = static_cast<int>(state.range(1));
  ThreadPool pool(n_threads);
  const int64_t matrix_bytes = row_bytes(dtype, kDecodeCols) * kDecodeRows;
  const int64_t n_copies = std::max<int64_t>(2, kColdBytes / matrix_bytes + 1);
  const auto weights = random_weights(dtype, kDecodeRows, kDecodeCols, n_copies);
  const auto x = random_floats(kDecodeCols, 11);
  std::vector<float> y(kDecodeRows);
  int64_t copy = 0;
  for (auto _ : state) {
    const WeightView view{dtype, weights.data() + copy * matrix_bytes, kDecodeRows, kDecodeCols};
    matmul(view, x.data(), 1, y.data(), pool);
    benchmark::DoNotOptimize(y.data());
    copy = (copy + 1) % n_copies;
  }
  state.SetBytesProcessed(state.iterations() * matrix_bytes);
  state.SetLabel(std::string(dtype_info(dtype).name));
}

void BM_Prefill(benchmark::State& state) {
  const DType dtype = static_cast<DType>(state.range(0));
  const int n_threads = static_cast<int>(state.range(1));
  const int64_t n_tokens = state.range(2);
  constexpr int64_t kRows = 2048, kCols = 2048;
  ThreadPool pool(n_threads);
  const auto weights = random_weights(dtype, kRows, kCols, 1);
  const auto x = random_floats(kCols * n_tokens, 13);
  std::vector<float> y(static_cast<size_t>(kRows * n_tokens));
  for (auto _ : state) {
    matmul({dtype, weights.data(), kRows, kCols}, x.data(), n_tokens, y.data(), pool);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(
      static_cast<double>(2 * kRows * kCols * n_tokens) * 1e-9 * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
  state.SetLabel(std::string(dtype_info(dtype).name));
}

// The same two products on the 8-row interleaved layout (packed_weights.h).
void BM_MatvecPacked(benchmark::State& state) {
  const DType dtype = static_cast<DType>(state.range(0));
  const int n_threads = static_cast<int>(state.range(1));
  ThreadPool pool(n_threads);
  const int64_t matrix_bytes = row_bytes(dtype, kDecodeCols) * kDecodeRows;
  const int64_t n_copies = std::max<int64_t>(2, kColdBytes / matrix_bytes + 1);
  const auto weights = random_weights(dtype, kDecodeRows, kDecodeCols, 1);
  std::vector<PackedWeights> packed;
  for (int64_t copy = 0; copy < n_copies; ++copy) {
    packed.push_back(PackedWeights::pack({dtype, weights.data(), kDecodeRows, kDecodeCols}));
  }
  const auto x = random_floats(kDecodeCols, 11);
  std::vector<float> y(kDecodeRows);
  int64_t copy = 0;
  for (auto _ : state) {
    matmul(packed[static_cast<size_t>(copy)].view(), x.data(), 1, y.data(), pool);
    benchmark::DoNotOptimize(y.data());
    copy = (copy + 1) % n_copies;
  }
  state.SetBytesProcessed(state.iterations() * matrix_bytes);
  state.SetLabel(std::string(dtype_info(dtype).name) + " packed");
}

void BM_PrefillPacked(benchmark::State& state) {
  const DType dtype = static_cast<DType>(state.range(0));
  const int n_threads = static_cast<int>(state.range(1));
  const int64_t n_tokens = state.range(2);
  constexpr int64_t kRows = 2048, kCols = 2048;
  ThreadPool pool(n_threads);
  const auto weights = random_weights(dtype, kRows, kCols, 1);
  const PackedWeights packed = PackedWeights::pack({dtype, weights.data(), kRows, kCols});
  const auto x = random_floats(kCols * n_tokens, 13);
  std::vector<float> y(static_cast<size_t>(kRows * n_tokens));
  for (auto _ : state) {
    matmul(packed.view(), x.data(), n_tokens, y.data(), pool);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(
      static_cast<double>(2 * kRows * kCols * n_tokens) * 1e-9 * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
  state.SetLabel(std::string(dtype_info(dtype).name) + " packed");
}

void packed_args(benchmark::internal::Benchmark* bench) {
  for (DType dtype : {DType::kQ4_0, DType::kQ8_0, DType::kQ4_K}) {
    for (int n_threads : {1, 2}) bench->Args({static_cast<int64_t>(dtype), n_threads, 128});
  }
}
BENCHMARK(BM_PrefillPacked)->Apply(packed_args)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MatvecPacked)->Apply(packed_args)->UseRealTime();

constexpr DType kWeightTypes[] = {DType::kQ4_0, DType::kQ8_0, DType::kQ4_K, DType::kQ5_K,
                                  DType::kQ6_K, DType::kF16,  DType::kBF16, DType::kF32};

void matvec_args(benchmark::internal::Benchmark* bench) {
  for (DType dtype : kWeightTypes) {
    for (int n_threads : {1, 2}) bench->Args({static_cast<int64_t>(dtype), n_threads});
  }
}
BENCHMARK(BM_Matvec)->Apply(matvec_args)->UseRealTime();

void prefill_args(benchmark::internal::Benchmark* bench) {
  for (DType dtype : kWeightTypes) {
    for (int n_threads : {1, 2}) bench->Args({static_cast<int64_t>(dtype), n_threads, 128});
  }
  bench->Args({static_cast<int64_t>(DType::kQ4_0), 2, 512});
}
BENCHMARK(BM_Prefill)->Apply(prefill_args)->UseRealTime()->Unit(benchmark::kMillisecond);

// Batched decode and short prefill: n_tokens activation rows against one warm
// weight matrix (the serving engine batches the decode tokens of concurrent
// requests). Args: dtype, threads, n_rows, n_cols, n_tokens.
void BM_Batch(benchmark::State& state) {
  const DType dtype = static_cast<DType>(state.range(0));
  const int n_threads = static_cast<int>(state.range(1));
  const int64_t n_rows = state.range(2), n_cols = state.range(3), n_tokens = state.range(4);
  ThreadPool pool(n_threads);
  const auto weights = random_weights(dtype, n_rows, n_cols, 1);
  const auto x = random_floats(n_cols * n_tokens, 17);
  std::vector<float> y(static_cast<size_t>(n_rows * n_tokens));
  for (auto _ : state) {
    matmul({dtype, weights.data(), n_rows, n_cols}, x.data(), n_tokens, y.data(), pool);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["tok/s"] =
      benchmark::Counter(static_cast<double>(n_tokens * state.iterations()), benchmark::Counter::kIsRate);
  state.counters["GFLOP/s"] = benchmark::Counter(
      static_cast<double>(2 * n_rows * n_cols * n_tokens) * 1e-9 * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
  state.SetLabel(std::string(dtype_info(dtype).name));
}

void batch_args(benchmark::internal::Benchmark* bench) {
  for (DType dtype : {DType::kQ4_0, DType::kQ8_0, DType::kQ4_K, DType::kQ6_K}) {
    for (const auto& [n_rows, n_cols] : {std::pair<int64_t, int64_t>{2048, 2048}, {8192, 2048}}) {
      for (int64_t n_tokens : {1, 4, 8, 16, 64})
        bench->Args({static_cast<int64_t>(dtype), 1, n_rows, n_cols, n_tokens});
    }
  }
}
BENCHMARK(BM_Batch)->Apply(batch_args)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace hearth::tensor

// HEARTH_BENCH_AVX2=1 keeps Highway off the AVX-512 targets, to time the AVX2
// kernels as an AVX2-only machine runs them.
int main(int argc, char** argv) {
  const char* avx2_only = std::getenv("HEARTH_BENCH_AVX2");
  if (avx2_only != nullptr && avx2_only[0] == '1') hwy::DisableTargets(HWY_AVX3 | HWY_AVX3_DL);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
