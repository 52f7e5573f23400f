#include "base/base64.h"

#include <gtest/gtest.h>

namespace hearth {
namespace {

// RFC 4648 section 10's test vectors.
TEST(Base64Test, RfcVectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
}

TEST(Base64Test, EveryByteValue) {
  EXPECT_EQ(base64_encode(std::string("\x00\xff\xfe", 3)), "AP/+");
  EXPECT_EQ(base64_encode(std::string("\xfb\xef\xbe", 3)), "++++");
}

TEST(Base64Test, DecodesWhatItEncodes) {
  for (const std::string text : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
    EXPECT_EQ(base64_decode(base64_encode(text)), text);
  }
  std::string every_byte;
  for (int value = 0; value < 256; ++value) every_byte += static_cast<char>(value);
  EXPECT_EQ(base64_decode(base64_encode(every_byte)), every_byte);
  EXPECT_EQ(base64_decode("Zm9vYg"), "foob");  // unpadded
}

TEST(Base64Test, RefusesWhatNoEncoderWrites) {
  EXPECT_EQ(base64_decode("Zm9v!"), std::nullopt);     // not in the alphabet
  EXPECT_EQ(base64_decode("Zm=9v"), std::nullopt);     // padding inside
  EXPECT_EQ(base64_decode("Zm9vY"), std::nullopt);     // a lone sixth of a byte
  EXPECT_EQ(base64_decode("Z==="), std::nullopt);
  EXPECT_EQ(base64_decode("Zm9v\nYg=="), std::nullopt);  // no line breaks
}

}  // namespace
}  // namespace hearth
