// Utf8StreamDecoder: every output chunk is valid UTF-8, and the concatenated
// output equals the one-shot sanitize_utf8() of the whole stream whatever the
// chunking (so a split character is never lost, duplicated or broken).
#include "text/utf8_stream.h"

#include <gtest/gtest.h>

#include <random>

#include "text/utf8.h"

namespace hearth::text {
namespace {

std::string stream_in_chunks(std::string_view input, const std::vector<size_t>& cuts) {
  Utf8StreamDecoder decoder;
  std::string out;
  size_t prev = 0;
  for (size_t cut : cuts) {
    const std::string chunk = decoder.push(input.substr(prev, cut - prev));
    EXPECT_TRUE(is_valid_utf8(chunk));
    out += chunk;
    prev = cut;
  }
  const std::string chunk = decoder.push(input.substr(prev));
  EXPECT_TRUE(is_valid_utf8(chunk));
  out += chunk;
  out += decoder.flush();
  EXPECT_EQ(decoder.n_pending_bytes(), 0u);
  return out;
}

TEST(Utf8StreamDecoderTest, SplitMultiByteCharactersAtEveryPoint) {
  const std::string text = "a\xC3\xA9z \xE2\x82\xAC \xF0\x9F\x98\x80 \xE4\xB8\xAD\xE6\x96\x87 e\xCC\x81";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    EXPECT_EQ(stream_in_chunks(text, {cut}), text) << cut;
    for (size_t cut2 = cut; cut2 <= text.size(); ++cut2) {
      EXPECT_EQ(stream_in_chunks(text, {cut, cut2}), text) << cut << "," << cut2;
    }
  }
}

TEST(Utf8StreamDecoderTest, ByteAtATimeHoldsBackIncompleteEmoji) {
  Utf8StreamDecoder decoder;
  EXPECT_EQ(decoder.push("\xF0"), "");
  EXPECT_EQ(decoder.push("\x9F"), "");
  EXPECT_EQ(decoder.push("\x98"), "");
  EXPECT_EQ(decoder.n_pending_bytes(), 3u);
  EXPECT_EQ(decoder.push("\x80!"), "\xF0\x9F\x98\x80!");
  EXPECT_EQ(decoder.flush(), "");
}

TEST(Utf8StreamDecoderTest, InvalidBytesBecomeReplacementCharacters) {
  Utf8StreamDecoder decoder;
  EXPECT_EQ(decoder.push("a\xFF" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(decoder.push("\xE2\x96"), "");
  EXPECT_EQ(decoder.push("x"), "\xEF\xBF\xBDx");  // the prefix did not complete
  EXPECT_EQ(decoder.push("\xC3"), "");
  EXPECT_EQ(decoder.flush(), "\xEF\xBF\xBD");     // the stream ended inside a character
  EXPECT_EQ(decoder.flush(), "");
}

TEST(Utf8StreamDecoderTest, RandomChunkingMatchesOneShotSanitize) {
  std::mt19937 rng(99);
  const std::string pieces[] = {"a", " ", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x98\x80", "\xE4\xB8\xAD",
                                "\xFF", "\x80", "\xC3", "\xE2\x82", "\xF0\x9F\x98", "\xED\xA0\x80"};
  for (int iter = 0; iter < 3000; ++iter) {
    std::string input;
    const int n_pieces = static_cast<int>(rng() % 12);
    for (int idx = 0; idx < n_pieces; ++idx) input += pieces[rng() % std::size(pieces)];
    std::vector<size_t> cuts;
    for (size_t pos = 0; pos < input.size(); ++pos) {
      if (rng() % 3 == 0) cuts.push_back(pos);
    }
    ASSERT_EQ(stream_in_chunks(input, cuts), sanitize_utf8(input)) << testing::PrintToString(input);
  }
}

}  // namespace
}  // namespace hearth::text
