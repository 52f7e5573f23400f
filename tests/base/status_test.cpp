#include "base/status.h"

#include <gtest/gtest.h>

namespace hearth {
namespace {

Result<int> parse_positive(int value) {
  if (value <= 0) return invalid_argument_error("value must be positive");
  return value;
}

Result<int> doubled(int value) {
  HEARTH_ASSIGN_OR_RETURN(int parsed, parse_positive(value));
  return parsed * 2;
}

Status check(int value) {
  HEARTH_RETURN_IF_ERROR(parse_positive(value).status());
  return ok_status();
}

TEST(StatusTest, PropagatesErrorsAndValues) {
  EXPECT_EQ(doubled(4).value(), 8);
  Result<int> bad = doubled(-1);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(bad.status().to_string(), "invalid_argument: value must be positive");
  EXPECT_TRUE(check(1).ok());
  EXPECT_EQ(check(0).code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hearth
