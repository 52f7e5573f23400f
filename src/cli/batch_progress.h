// The one line `hearth batch status --wait` redraws: a bar, lines done of
// total, failures, the rate since watching began and the time left at that
// rate.
//
//   BatchProgress progress{.n_done = 120, .n_total = 500, .n_failed = 3,
//                          .n_done_at_start = 20, .elapsed_ms = 10'000};
//   std::string line = format_batch_progress(progress);
//   // "[#######.......................] 120/500 lines, 3 failed, 10.0 lines/s, ETA 38s"
#pragma once

#include <cstdint>
#include <string>

namespace hearth::cli {

struct BatchProgress {
  int64_t n_done = 0;  // completed + failed
  int64_t n_total = 0;
  int64_t n_failed = 0;
  int64_t n_done_at_start = 0;  // when watching began: the rate counts lines done since
  int64_t elapsed_ms = 0;       // since watching began
};

std::string format_batch_progress(const BatchProgress& progress);

// "38s", "12m05s", "3h02m"; "?" for a negative count.
std::string format_eta_s(int64_t seconds);

}  // namespace hearth::cli
