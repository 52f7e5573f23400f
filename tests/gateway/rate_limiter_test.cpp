#include "gateway/rate_limiter.h"

#include <gtest/gtest.h>

namespace hearth::gateway {
namespace {

TEST(RateLimiterTest, RequestsPerMinuteSlideAndSayHowLongToWait) {
  RateLimiter limiter;
  EXPECT_FALSE(limiter.admit("alice", 2, std::nullopt, 0));
  EXPECT_FALSE(limiter.admit("alice", 2, std::nullopt, 10'000));
  EXPECT_EQ(limiter.admit("alice", 2, std::nullopt, 20'000), 40);  // the first leaves at 60 s
  EXPECT_FALSE(limiter.admit("bob", 2, std::nullopt, 20'000));     // keys are counted apart
  EXPECT_FALSE(limiter.admit("alice", 2, std::nullopt, 60'000));
  EXPECT_EQ(limiter.admit("alice", 2, std::nullopt, 60'500), 10);
}

TEST(RateLimiterTest, TokensPerMinuteCountWhatWasUsed) {
  RateLimiter limiter;
  EXPECT_FALSE(limiter.admit("alice", std::nullopt, 100, 0));
  limiter.add_tokens("alice", 70, 1'000);
  EXPECT_FALSE(limiter.admit("alice", std::nullopt, 100, 2'000));
  limiter.add_tokens("alice", 50, 3'000);                           // 120 in the window
  EXPECT_EQ(limiter.admit("alice", std::nullopt, 100, 4'000), 57);  // below 100 once the 70 leave at 61 s
  EXPECT_FALSE(limiter.admit("alice", std::nullopt, 100, 61'000));
}

TEST(RateLimiterTest, NoLimitsNoCounting) {
  RateLimiter limiter;
  for (int request = 0; request < 1000; ++request) EXPECT_FALSE(limiter.admit("alice", std::nullopt, std::nullopt, 0));
  limiter.add_tokens("alice", 1'000'000, 0);
  EXPECT_FALSE(limiter.admit("alice", std::nullopt, std::nullopt, 0));
}

}  // namespace
}  // namespace hearth::gateway
