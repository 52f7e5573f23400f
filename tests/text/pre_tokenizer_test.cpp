// PreTokenizer: the splits each family's regex gives, worked out by hand from
// the patterns in the models' tokenizer.json files.
#include "text/pre_tokenizer.h"

#include <gtest/gtest.h>

namespace hearth::text {
namespace {

std::vector<std::string> split(std::string_view pre, std::string_view text) {
  auto tokenizer = PreTokenizer::create(pre);
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
  if (!tokenizer.ok()) return {};
  std::vector<std::string_view> words;
  tokenizer->split(text, words);
  return {words.begin(), words.end()};
}

using Words = std::vector<std::string>;

TEST(PreTokenizerTest, Llama3) {
  EXPECT_EQ(split("llama-bpe", "Hello world's 12345 ok\n\n  x"),
            (Words{"Hello", " world", "'s", " ", "123", "45", " ok", "\n\n", " ", " x"}));
  EXPECT_EQ(split("llama-bpe", "I'M here, (ok)!\r\nthen"),
            (Words{"I", "'M", " here", ",", " (", "ok", ")!\r\n", "then"}));
  EXPECT_EQ(split("llama-bpe", "caf\xC3\xA9 \xE4\xB8\xAD\xE6\x96\x87  \xF0\x9F\x98\x80"),
            (Words{"caf\xC3\xA9", " \xE4\xB8\xAD\xE6\x96\x87", " ", " \xF0\x9F\x98\x80"}));
  EXPECT_TRUE(PreTokenizer::create("llama-bpe")->ignore_merges());
}

TEST(PreTokenizerTest, Qwen2SplitsSingleDigits) {
  EXPECT_EQ(split("qwen2", "Hello world's 12345 ok"),
            (Words{"Hello", " world", "'s", " ", "1", "2", "3", "4", "5", " ok"}));
  EXPECT_FALSE(PreTokenizer::create("qwen2")->ignore_merges());
}

TEST(PreTokenizerTest, DeepseekV3) {
  // Digit groups first, then CJK/kana runs, then punctuation-led ASCII words.
  EXPECT_EQ(split("deepseek-v3", "Hello world 12345 \xE4\xBD\xA0\xE5\xA5\xBD\xE3\x81\xB2!!\nx.append(1)  \n"),
            (Words{"Hello", " world", " ", "123", "45", " ", "\xE4\xBD\xA0\xE5\xA5\xBD\xE3\x81\xB2", "!!\n", "x",
                   ".append", "(", "1", ")", "  \n"}));
  EXPECT_FALSE(PreTokenizer::create("deepseek-v3")->ignore_merges());
}

TEST(PreTokenizerTest, Tekken) {
  // Case-aware words (an upper-case run joins the lower-case run after it), single digits.
  EXPECT_EQ(split("tekken", "HelloWorld ABCdef 123 a/b//\n  x"),
            (Words{"Hello", "World", " ABCdef", " ", "1", "2", "3", " a", "/b", "//\n", " ", " x"}));
  EXPECT_TRUE(PreTokenizer::create("tekken")->ignore_merges());
}

TEST(PreTokenizerTest, WhiteSpaceIsUnicodeWhiteSpace) {
  // U+180E MONGOLIAN VOWEL SEPARATOR is not White_Space (PCRE2's own \s says
  // it is): as in HF tokenizers it starts a word like any other non-letter.
  EXPECT_EQ(split("llama-bpe", "x\xE1\xA0\x8Ey"), (Words{"x", "\xE1\xA0\x8Ey"}));
  EXPECT_EQ(split("llama-bpe", "x \xE1\xA0\x8E"), (Words{"x", " \xE1\xA0\x8E"}));
  // U+3000 IDEOGRAPHIC SPACE and U+0085 NEXT LINE are; the last one before a
  // word goes with the word, as a space does.
  EXPECT_EQ(split("llama-bpe", "x\xE3\x80\x80\xC2\x85y"), (Words{"x", "\xE3\x80\x80", "\xC2\x85y"}));
  EXPECT_EQ(split("llama-bpe", "x\xE3\x80\x80\xC2\x85"), (Words{"x", "\xE3\x80\x80\xC2\x85"}));
}

TEST(PreTokenizerTest, Qwen2NormalizesToNfc) {
  EXPECT_EQ(PreTokenizer::create("qwen2")->normalization(), Normalization::kNfc);
  EXPECT_EQ(PreTokenizer::create("llama-bpe")->normalization(), Normalization::kNone);
}

TEST(PreTokenizerTest, Gpt2) {
  EXPECT_EQ(split("gpt2", "Hello world's 12345 ok\n\n  x"),
            (Words{"Hello", " world", "'s", " 12345", " ok", "\n\n ", " x"}));
  // Contractions are case-sensitive in GPT-2's pattern.
  EXPECT_EQ(split("gpt2", "I'M"), (Words{"I", "'", "M"}));
  EXPECT_EQ(split("default", "a  b"), (Words{"a", " ", " b"}));
}

TEST(PreTokenizerTest, SmolLmIsolatesDigitsFirst) {
  EXPECT_EQ(split("smollm", "Hello world's 12345 ok\n\n  x"),
            (Words{"Hello", " world", "'s", " ", "1", "2", "3", "4", "5", " ok", "\n\n ", " x"}));
}

TEST(PreTokenizerTest, IllFormedBytesAreWordsOfTheirOwn) {
  EXPECT_EQ(split("llama-bpe", "ab\xFF" "cd"), (Words{"ab", "\xFF", "cd"}));
  EXPECT_EQ(split("gpt2", "\xE2\x96 x\xC3"), (Words{"\xE2\x96", " x", "\xC3"}));
  EXPECT_EQ(split("qwen2", ""), Words{});
}

TEST(PreTokenizerTest, WordsCoverTheTextExactly) {
  const std::string text = "  Mixed: caf\xC3\xA9, 1234567 \xF0\x9F\x98\x80\xF0\x9F\x98\x80 \t\n end \xFF\xFE tail  ";
  for (const char* pre : {"llama-bpe", "qwen2", "gpt2", "smollm", "deepseek-v3", "tekken"}) {
    std::string joined;
    for (const std::string& word : split(pre, text)) {
      EXPECT_FALSE(word.empty());
      joined += word;
    }
    EXPECT_EQ(joined, text) << pre;
  }
}

TEST(PreTokenizerTest, UnknownNameIsUnimplemented) {
  auto pre = PreTokenizer::create("no-such-pre");
  ASSERT_FALSE(pre.ok());
  EXPECT_EQ(pre.status().code(), ErrorCode::kUnimplemented);
  EXPECT_NE(pre.status().message().find("no-such-pre"), std::string::npos);
}

}  // namespace
}  // namespace hearth::text
