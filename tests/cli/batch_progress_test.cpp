// cli/batch_progress.h: the line `hearth batch status --wait` draws, on hand-computed cases.
#include "cli/batch_progress.h"

#include <gtest/gtest.h>

namespace hearth::cli {
namespace {

TEST(BatchProgress, RateAndEta) {
  // 100 lines in 10 s since watching began: 10 lines/s, 380 left -> 38 s.
  BatchProgress progress{120, 500, 3, 20, 10'000};
  EXPECT_EQ(format_batch_progress(progress),
            "[#######.......................] 120/500 lines, 3 failed, 10.0 lines/s, ETA 38s");
  // 7 lines in 3 s: 2.33 lines/s; 3 left -> 9/7 s, rounded up to 2 s.
  progress = BatchProgress{7, 10, 0, 0, 3'000};
  EXPECT_EQ(format_batch_progress(progress), "[#####################.........] 7/10 lines, 2.3 lines/s, ETA 2s");
}

TEST(BatchProgress, NothingYetAndDone) {
  EXPECT_EQ(format_batch_progress(BatchProgress{0, 4, 0, 0, 5'000}),
            "[..............................] 0/4 lines, ETA ?");
  EXPECT_EQ(format_batch_progress(BatchProgress{4, 4, 0, 4, 5'000}), "[##############################] 4/4 lines");
  EXPECT_EQ(format_eta_s(3725), "1h02m");
  EXPECT_EQ(format_eta_s(725), "12m05s");
  EXPECT_EQ(format_eta_s(-1), "?");
}

}  // namespace
}  // namespace hearth::cli
