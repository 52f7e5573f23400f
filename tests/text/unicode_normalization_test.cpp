// nfc_normalize: composition, canonical reordering, and ill-formed bytes kept.
#include "text/unicode_normalization.h"

#include <gtest/gtest.h>

namespace hearth::text {
namespace {

TEST(UnicodeNormalizationTest, ComposesToNfc) {
  EXPECT_EQ(nfc_normalize("e\xCC\x81"), "\xC3\xA9");                     // e + U+0301 -> é
  EXPECT_EQ(nfc_normalize("\xE2\x84\xAA"), "K");                         // U+212A KELVIN SIGN
  EXPECT_EQ(nfc_normalize("\xE1\x84\x80\xE1\x85\xA1"), "\xEA\xB0\x80");  // Hangul jamo -> U+AC00
  // Canonical order: U+0323 (ccc 220) before U+0301 (ccc 230); no precomposed q takes either.
  EXPECT_EQ(nfc_normalize("q\xCC\x81\xCC\xA3"), "q\xCC\xA3\xCC\x81");
  // Compatibility characters stay (that is NFKC).
  EXPECT_EQ(nfc_normalize("\xEF\xAC\x81"), "\xEF\xAC\x81");  // U+FB01 ﬁ
}

TEST(UnicodeNormalizationTest, AsciiAndEmptyUnchanged) {
  EXPECT_EQ(nfc_normalize(""), "");
  EXPECT_EQ(nfc_normalize(std::string("a\0b\n", 4)), std::string("a\0b\n", 4));
}

TEST(UnicodeNormalizationTest, IllFormedBytesStayBetweenNormalizedRuns) {
  const std::string text = std::string("e\xCC\x81\xFF") + "e\xCC\x81";  // (\xFFe would be one escape)
  EXPECT_EQ(nfc_normalize(text), "\xC3\xA9\xFF\xC3\xA9");
  // A combining mark after an ill-formed byte has nothing to compose with.
  EXPECT_EQ(nfc_normalize("e\xFF\xCC\x81"), "e\xFF\xCC\x81");
  EXPECT_EQ(nfc_normalize("\xE2\x96"), "\xE2\x96");
}

}  // namespace
}  // namespace hearth::text
