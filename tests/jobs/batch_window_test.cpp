// jobs/batch_window.h at chosen moments: no clock is read.
#include "jobs/batch_window.h"

#include <gtest/gtest.h>

namespace hearth::jobs {
namespace {

constexpr int64_t kHourMs = 3600 * 1000;
constexpr int64_t kMinuteMs = 60 * 1000;

WindowMoment at(int64_t hours, int64_t minutes, int64_t ms_since_interactive = 0) {
  return WindowMoment{hours * kHourMs + minutes * kMinuteMs, ms_since_interactive};
}

TEST(BatchWindow, ParsesAndRefuses) {
  auto night = parse_time_window("22:00-06:00");
  ASSERT_TRUE(night.ok());
  EXPECT_EQ(night->start_ms, 22 * kHourMs);
  EXPECT_EQ(night->end_ms, 6 * kHourMs);
  EXPECT_TRUE(parse_time_window("00:00-24:00").ok());
  for (const char* bad : {"", "22-06", "22:00-06", "24:00-06:00", "10:60-11:00", "10:00-10:00", "aa:bb-cc:dd",
                          "22:00 06:00", "22:00-06:00x"}) {
    EXPECT_FALSE(parse_time_window(bad).ok()) << bad;
  }
  EXPECT_FALSE(parse_window_policy({"22:00-06:00"}, "soon").ok());
  EXPECT_FALSE(parse_window_policy({}, "0").ok());
  EXPECT_FALSE(parse_window_policy({"bad"}, "").ok());
}

TEST(BatchWindow, NoRulesMeansAlwaysOpen) {
  const BatchWindowPolicy none;
  EXPECT_TRUE(window_open(none, at(12, 0)));
  EXPECT_TRUE(window_open(none, at(3, 0)));
}

TEST(BatchWindow, AcrossMidnight) {
  auto policy = parse_window_policy({"22:00-06:00"}, "");
  ASSERT_TRUE(policy.ok());
  EXPECT_TRUE(window_open(*policy, at(22, 0)));
  EXPECT_TRUE(window_open(*policy, at(23, 59)));
  EXPECT_TRUE(window_open(*policy, at(0, 0)));
  EXPECT_TRUE(window_open(*policy, at(5, 59)));
  EXPECT_FALSE(window_open(*policy, at(6, 0)));  // the end is exclusive
  EXPECT_FALSE(window_open(*policy, at(12, 0)));
  EXPECT_FALSE(window_open(*policy, at(21, 59)));
  // At noon the next change is the window's start, ten hours on.
  EXPECT_EQ(ms_until_window_change(*policy, std::nullopt, at(12, 0)), 10 * kHourMs);
  EXPECT_EQ(ms_until_window_change(*policy, std::nullopt, at(23, 0)), 7 * kHourMs);
}

TEST(BatchWindow, IdleRuleAndWindowsEitherOpens) {
  auto policy = parse_window_policy({"01:00-02:00"}, "10m");
  ASSERT_TRUE(policy.ok());
  EXPECT_FALSE(window_open(*policy, at(12, 0, 9 * kMinuteMs)));
  EXPECT_TRUE(window_open(*policy, at(12, 0, 10 * kMinuteMs)));
  EXPECT_TRUE(window_open(*policy, at(1, 30, 0)));
  EXPECT_EQ(ms_until_window_change(*policy, std::nullopt, at(12, 0, 9 * kMinuteMs)), kMinuteMs);
}

TEST(BatchWindow, JobWindowNarrows) {
  const BatchWindowPolicy always;
  auto job = parse_time_window("09:00-10:00");
  ASSERT_TRUE(job.ok());
  EXPECT_TRUE(window_open_for_job(always, *job, at(9, 30)));
  EXPECT_FALSE(window_open_for_job(always, *job, at(10, 30)));
  auto night = parse_window_policy({"22:00-06:00"}, "");
  ASSERT_TRUE(night.ok());
  EXPECT_FALSE(window_open_for_job(*night, *job, at(9, 30)));  // both must allow
  EXPECT_EQ(ms_until_window_change(always, *job, at(8, 0)), kHourMs);
}

}  // namespace
}  // namespace hearth::jobs
