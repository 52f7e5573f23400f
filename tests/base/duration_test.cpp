#include "base/duration.h"

#include <gtest/gtest.h>

namespace hearth {
namespace {

TEST(ParseDuration, AcceptsGoSyntax) {
  EXPECT_EQ(*parse_duration_ms("5m"), 300'000);
  EXPECT_EQ(*parse_duration_ms("1h30m"), 5'400'000);
  EXPECT_EQ(*parse_duration_ms("90s"), 90'000);
  EXPECT_EQ(*parse_duration_ms("250ms"), 250);
  EXPECT_EQ(*parse_duration_ms("1.5h"), 5'400'000);
  EXPECT_EQ(*parse_duration_ms("0"), 0);
  EXPECT_EQ(*parse_duration_ms("-1"), -1);
  EXPECT_EQ(*parse_duration_ms("-5m"), -300'000);
}

TEST(ParseDuration, RefusesWhatIsNotADuration) {
  for (const char* text : {"", "5", "m", "5 m", "5d", "1h-3m", "--1", "999999999999h", "1.2.3s"}) {
    const Result<int64_t> parsed = parse_duration_ms(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_NE(parsed.status().message().find("is not a duration"), std::string::npos);
  }
}

TEST(FormatDuration, RoundTripsWholeUnits) {
  EXPECT_EQ(format_duration_ms(-1), "forever");
  EXPECT_EQ(format_duration_ms(0), "0s");
  EXPECT_EQ(format_duration_ms(5'400'000), "1h30m");
  EXPECT_EQ(format_duration_ms(1500), "1500ms");
  for (const int64_t duration_ms : {int64_t{1000}, int64_t{61'000}, int64_t{7'322'000}}) {
    EXPECT_EQ(*parse_duration_ms(format_duration_ms(duration_ms)), duration_ms);
  }
}

}  // namespace
}  // namespace hearth
