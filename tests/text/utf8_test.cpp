// UTF-8 primitives, checked against utf8proc (an independent decoder) on
// random bytes and against hand-written sequences from Unicode Table 3-7.
#include "text/utf8.h"

#include <gtest/gtest.h>
#include <utf8proc.h>

#include <random>

namespace hearth::text {
namespace {

TEST(Utf8Test, DecodesWellFormedSequences) {
  struct Case { std::string bytes; uint32_t code_point; };
  const Case cases[] = {
      {"A", 0x41}, {"\xC2\x80", 0x80}, {"\xC3\xA9", 0xE9}, {"\xDF\xBF", 0x7FF},
      {"\xE0\xA0\x80", 0x800}, {"\xE2\x96\x81", 0x2581}, {"\xED\x9F\xBF", 0xD7FF},
      {"\xEE\x80\x80", 0xE000}, {"\xEF\xBF\xBD", 0xFFFD}, {"\xF0\x90\x80\x80", 0x10000},
      {"\xF0\x9F\x98\x80", 0x1F600}, {"\xF4\x8F\xBF\xBF", 0x10FFFF},
  };
  for (const Case& c : cases) {
    const Utf8Char ch = decode_utf8_char(c.bytes);
    EXPECT_EQ(ch.status, Utf8Status::kValid) << c.code_point;
    EXPECT_EQ(ch.code_point, c.code_point);
    EXPECT_EQ(ch.n_bytes, c.bytes.size());
    std::string encoded;
    append_utf8(encoded, c.code_point);
    EXPECT_EQ(encoded, c.bytes);
  }
}

TEST(Utf8Test, RejectsIllFormedWithMaximalSubpart) {
  struct Case { std::string bytes; Utf8Status status; uint32_t n_bytes; };
  const Case cases[] = {
      {"\x80", Utf8Status::kInvalid, 1},            // lone continuation
      {"\xC0\xAF", Utf8Status::kInvalid, 1},        // overlong lead
      {"\xC1\xBF", Utf8Status::kInvalid, 1},
      {"\xE0\x80\x80", Utf8Status::kInvalid, 1},    // overlong 3-byte
      {"\xED\xA0\x80", Utf8Status::kInvalid, 1},    // surrogate
      {"\xF4\x90\x80\x80", Utf8Status::kInvalid, 1},  // above U+10FFFF
      {"\xF5\x80", Utf8Status::kInvalid, 1},
      {"\xFF", Utf8Status::kInvalid, 1},
      {"\xE2\x96" "A", Utf8Status::kInvalid, 2},    // cut short by ASCII
      {"\xF0\x9F\x98" "A", Utf8Status::kInvalid, 3},
      {"\xE2\x96", Utf8Status::kTruncated, 2},
      {"\xF0\x9F", Utf8Status::kTruncated, 2},
      {"\xC3", Utf8Status::kTruncated, 1},
  };
  for (const Case& c : cases) {
    const Utf8Char ch = decode_utf8_char(c.bytes);
    EXPECT_EQ(ch.status, c.status) << testing::PrintToString(c.bytes);
    EXPECT_EQ(ch.n_bytes, c.n_bytes) << testing::PrintToString(c.bytes);
  }
}

TEST(Utf8Test, AppendReplacesSurrogatesAndOutOfRange) {
  std::string out;
  append_utf8(out, 0xD800);
  append_utf8(out, 0x110000);
  EXPECT_EQ(out, "\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Utf8Test, SanitizeReplacesEachMaximalSubpart) {
  // Example from Unicode section 3.9 (U+FFFD substitution of maximal subparts).
  const std::string input = "\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64";
  EXPECT_EQ(sanitize_utf8(input),
            "a\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c\xEF\xBF\xBD\xEF\xBF\xBD" "d");
  EXPECT_EQ(sanitize_utf8("h\xC3\xA9llo"), "h\xC3\xA9llo");
  EXPECT_EQ(sanitize_utf8(""), "");
}

// Random byte strings biased towards UTF-8-looking bytes: our validity verdict
// and code points must agree with utf8proc's.
TEST(Utf8Test, AgreesWithUtf8procOnRandomBytes) {
  std::mt19937 rng(1234);
  const uint8_t interesting[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1,
                                 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF};
  for (int iter = 0; iter < 200000; ++iter) {
    std::string bytes;
    const int len = 1 + static_cast<int>(rng() % 4);
    for (int idx = 0; idx < len; ++idx) {
      bytes.push_back(static_cast<char>(rng() % 2 ? interesting[rng() % sizeof(interesting)] : rng() % 256));
    }
    const Utf8Char ours = decode_utf8_char(bytes);
    utf8proc_int32_t ref_cp = -1;
    const utf8proc_ssize_t ref_len = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(bytes.data()),
                                                      static_cast<utf8proc_ssize_t>(bytes.size()), &ref_cp);
    if (ref_len > 0) {
      ASSERT_EQ(ours.status, Utf8Status::kValid) << testing::PrintToString(bytes);
      ASSERT_EQ(ours.code_point, static_cast<uint32_t>(ref_cp));
      ASSERT_EQ(ours.n_bytes, static_cast<uint32_t>(ref_len));
    } else {
      ASSERT_NE(ours.status, Utf8Status::kValid) << testing::PrintToString(bytes);
    }
    ASSERT_GE(ours.n_bytes, 1u);
    ASSERT_LE(ours.n_bytes, bytes.size());
    ASSERT_TRUE(is_valid_utf8(sanitize_utf8(bytes)));
  }
}

}  // namespace
}  // namespace hearth::text
