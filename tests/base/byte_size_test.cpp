#include "base/byte_size.h"

#include <gtest/gtest.h>

namespace hearth {
namespace {

TEST(ParseByteSize, AcceptsBinaryAndDecimalUnits) {
  EXPECT_EQ(*parse_byte_size("1073741824"), int64_t{1} << 30);
  EXPECT_EQ(*parse_byte_size("20GiB"), int64_t{20} << 30);
  EXPECT_EQ(*parse_byte_size("20G"), int64_t{20} << 30);
  EXPECT_EQ(*parse_byte_size("20 gb"), int64_t{20'000'000'000});
  EXPECT_EQ(*parse_byte_size("512MiB"), int64_t{512} << 20);
  EXPECT_EQ(*parse_byte_size("1.5KiB"), 1536);
  EXPECT_EQ(*parse_byte_size(" 7 B "), 7);
  EXPECT_EQ(*parse_byte_size("2TiB"), int64_t{2} << 40);
}

TEST(ParseByteSize, RefusesWhatIsNotASize) {
  for (const char* text : {"", "GiB", "-1GiB", "12 parsecs", "1..5G", "1e9", "1.5.2", "99999999999999999999TiB"}) {
    const Result<int64_t> parsed = parse_byte_size(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.status().code(), ErrorCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find("is not a size"), std::string::npos);
  }
}

TEST(FormatByteSize, PicksTheLargestUnitAboveOne) {
  EXPECT_EQ(format_byte_size(812), "812 B");
  EXPECT_EQ(format_byte_size(1536), "1.50 KiB");
  EXPECT_EQ(format_byte_size(int64_t{47} << 28), "11.75 GiB");
  EXPECT_EQ(format_byte_size(-(int64_t{3} << 20)), "-3.00 MiB");
}

}  // namespace
}  // namespace hearth
