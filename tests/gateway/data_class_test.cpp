#include "gateway/data_class.h"

#include <gtest/gtest.h>

namespace hearth::gateway {
namespace {

TEST(DataClassTest, NamesRoundTripAndOrderBySensitivity) {
  for (DataClass data_class : {DataClass::kPublic, DataClass::kInternal, DataClass::kConfidential}) {
    EXPECT_EQ(parse_data_class(data_class_name(data_class)), data_class);
  }
  EXPECT_FALSE(parse_data_class("Confidential"));
  EXPECT_FALSE(parse_data_class(""));
  EXPECT_EQ(stricter(DataClass::kPublic, DataClass::kConfidential), DataClass::kConfidential);
  EXPECT_EQ(stricter(DataClass::kInternal, DataClass::kPublic), DataClass::kInternal);
}

}  // namespace
}  // namespace hearth::gateway
