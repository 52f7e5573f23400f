#include "base/money.h"

#include <gtest/gtest.h>

namespace hearth {
namespace {

TEST(ParseUsd, IsExact) {
  EXPECT_EQ(*parse_usd("12.50"), 12'500'000);
  EXPECT_EQ(*parse_usd("0.15"), 150'000);
  EXPECT_EQ(*parse_usd("$3"), 3'000'000);
  EXPECT_EQ(*parse_usd(".000001"), 1);
  EXPECT_EQ(*parse_usd("0"), 0);
  for (const char* text : {"", "$", "1.", "1.2345678", "-1", "1e3", "12,50", "abc", "99999999999999"}) {
    EXPECT_FALSE(parse_usd(text).ok()) << text;
  }
}

TEST(FormatUsd, SixDecimals) {
  EXPECT_EQ(format_usd(12'500'000), "12.500000");
  EXPECT_EQ(format_usd(1), "0.000001");
  EXPECT_EQ(format_usd(-2'000'001), "-2.000001");
  EXPECT_EQ(*parse_usd(format_usd(987'654'321)), 987'654'321);
}

}  // namespace
}  // namespace hearth
