#include "base/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace hearth {
namespace {

TEST(ThreadPoolTest, ParallelForVisitsEveryIndexOnce) {
  for (int n_threads : {1, 2, 4}) {
    ThreadPool pool(n_threads);
    for (int64_t n : {0, 1, 7, 1000, 4097}) {
      std::vector<std::atomic<int>> visits(static_cast<size_t>(n));
      for (int rep = 0; rep < 50; ++rep) {
        pool.parallel_for(n, 16, [&](int64_t begin, int64_t end, int thread_idx) {
          ASSERT_GE(thread_idx, 0);
          ASSERT_LT(thread_idx, n_threads);
          for (int64_t idx = begin; idx < end; ++idx) visits[idx].fetch_add(1);
        });
      }
      for (int64_t idx = 0; idx < n; ++idx) ASSERT_EQ(visits[idx].load(), 50) << "n=" << n;
    }
  }
}

TEST(ThreadPoolTest, RunCallsEachThreadOnce) {
  ThreadPool pool(3);
  for (int rep = 0; rep < 1000; ++rep) {
    std::atomic<int> mask{0};
    pool.run([&](int thread_idx) { mask.fetch_or(1 << thread_idx); });
    ASSERT_EQ(mask.load(), 0b111);
  }
}

}  // namespace
}  // namespace hearth
