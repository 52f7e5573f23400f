// Measures the machine's memory read bandwidth, the denominator of the decode
// bound: decode must read every weight once per token, so tokens/s can be at
// most bandwidth / bytes read per token.
#pragma once

#include <cstdint>

#include "base/thread_pool.h"

namespace hearth::cli {

struct ReadBandwidth {
  double gbs = 0;  // best of the repetitions, 1e9 bytes per second
  uint64_t buffer_bytes = 0;
};

// Streams a buffer far larger than the caches with every thread of `pool`
// (each thread reads its own slice with SIMD loads) and keeps the best of
// `n_reps` passes.
ReadBandwidth measure_read_bandwidth(ThreadPool& pool, uint64_t buffer_bytes = 1ull << 30, int n_reps = 5);

}  // namespace hearth::cli
