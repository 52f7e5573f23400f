#include "cli/read_bandwidth.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>

#include "tensor/ops.h"

namespace hearth::cli {

ReadBandwidth measure_read_bandwidth(ThreadPool& pool, uint64_t buffer_bytes, int n_reps) {
  const int64_t n_floats = static_cast<int64_t>(buffer_bytes / sizeof(float));
  std::unique_ptr<float[]> buffer(new float[static_cast<size_t>(n_floats)]);
  const int n_threads = pool.n_threads();
  const int64_t slice = n_floats / n_threads / 2 * 2;  // even, so each slice splits into two halves
  // Touch every page from the thread that will read it, so the pages are resident.
  pool.run([&](int thread_idx) { std::fill_n(buffer.get() + thread_idx * slice, slice, 1.0f); });

  // Written by the threads so the reads cannot be optimized away.
  std::vector<double> sink(static_cast<size_t>(n_threads));
  double best_gbs = 0;
  for (int rep = 0; rep < n_reps; ++rep) {
    const auto start = std::chrono::steady_clock::now();
    pool.run([&](int thread_idx) {
      const float* begin = buffer.get() + thread_idx * slice;
      // dot of the two halves of the slice: every byte of the slice is read once.
      sink[static_cast<size_t>(thread_idx)] += tensor::dot_f32(begin, begin + slice / 2, slice / 2);
    });
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best_gbs = std::max(best_gbs, static_cast<double>(slice * n_threads) * sizeof(float) / seconds / 1e9);
  }
  return {best_gbs, static_cast<uint64_t>(slice * n_threads) * sizeof(float)};
}

}  // namespace hearth::cli
