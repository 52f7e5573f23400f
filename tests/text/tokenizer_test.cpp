// Tokenizer on small hand-built vocabularies whose expected ids are worked out
// by hand from the merge rules, plus the validation of hostile specs.
#include "text/tokenizer.h"

#include <gtest/gtest.h>

#include "text/byte_level.h"
#include "text/utf8.h"

namespace hearth::text {
namespace {

using Ids = std::vector<int32_t>;

// A byte-level vocabulary: the 256 byte characters (id = byte), then `extra`
// normal tokens given in plain text, then `specials` as control tokens.
TokenizerSpec byte_level_spec(std::string pre, const std::vector<std::string>& extra,
                              const std::vector<std::string>& merges,
                              const std::vector<std::string>& specials = {}) {
  TokenizerSpec spec;
  spec.model = "gpt2";
  spec.pre = std::move(pre);
  for (int byte = 0; byte < 256; ++byte) {
    spec.tokens.push_back(byte_level_encode(std::string(1, static_cast<char>(byte))));
  }
  for (const std::string& text : extra) spec.tokens.push_back(byte_level_encode(text));
  spec.token_types.assign(spec.tokens.size(), static_cast<int32_t>(TokenType::kNormal));
  for (const std::string& text : specials) {
    spec.tokens.push_back(text);
    spec.token_types.push_back(static_cast<int32_t>(TokenType::kControl));
  }
  for (const std::string& merge : merges) {
    const size_t space = merge.find(' ', 1);
    spec.merges.push_back(byte_level_encode(merge.substr(0, space)) + " " +
                          byte_level_encode(merge.substr(space + 1)));
  }
  return spec;
}

std::unique_ptr<Tokenizer> make(TokenizerSpec spec) {
  auto tokenizer = Tokenizer::create(std::move(spec));
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
  return tokenizer.ok() ? std::move(tokenizer).value() : nullptr;
}

int32_t id_of(const Tokenizer& tokenizer, std::string_view plain) {
  return tokenizer.find_token(byte_level_encode(plain));
}

TEST(BpeTokenizerTest, MergesByRankLeftmostFirst) {
  // "abc": with "b c" ranked first the result is a|bc; with "a b" first, ab|c.
  auto bc_first = make(byte_level_spec("gpt2", {"bc", "ab"}, {"b c", "a b"}));
  EXPECT_EQ(bc_first->encode("abc", false, false), (Ids{'a', 256}));
  auto ab_first = make(byte_level_spec("gpt2", {"bc", "ab"}, {"a b", "b c"}));
  EXPECT_EQ(ab_first->encode("abc", false, false), (Ids{257, 'c'}));
  // Equal pairs: the leftmost merges first, then the result merges on.
  auto aa = make(byte_level_spec("gpt2", {"aa", "aaaa"}, {"a a", "aa aa"}));
  EXPECT_EQ(aa->encode("aaaaa", false, false), (Ids{257, 'a'}));
  EXPECT_EQ(aa->encode("aaa", false, false), (Ids{256, 'a'}));
}

TEST(BpeTokenizerTest, MergesStayWithinPreTokenizerWords) {
  auto tokenizer = make(byte_level_spec("gpt2", {" t", " th", " the", "he"}, {"  t", " t h", " th e", "h e"}));
  // " the the" -> " the", " the"; "the" alone has no leading space: t|he.
  const int32_t the = id_of(*tokenizer, " the");
  ASSERT_GE(the, 0);
  EXPECT_EQ(tokenizer->encode(" the the", false, false), (Ids{the, the}));
  EXPECT_EQ(tokenizer->encode("the", false, false), (Ids{'t', id_of(*tokenizer, "he")}));
}

TEST(BpeTokenizerTest, Llama3IgnoresMergesForWholeWordTokens) {
  // "hello" is a token but no merge chain reaches it.
  const std::vector<std::string> extra = {"he", "hello"};
  const std::vector<std::string> merges = {"h e"};
  auto llama3 = make(byte_level_spec("llama-bpe", extra, merges));
  auto qwen2 = make(byte_level_spec("qwen2", extra, merges));
  EXPECT_EQ(llama3->encode("hello", false, false), (Ids{257}));
  EXPECT_EQ(qwen2->encode("hello", false, false), (Ids{256, 'l', 'l', 'o'}));
}

TEST(BpeTokenizerTest, Qwen2NormalizesToNfcFirst) {
  // "e" + U+0301 COMBINING ACUTE ACCENT is "é" (C3 A9) after NFC, as in Qwen's tokenizer.json.
  auto qwen2 = make(byte_level_spec("qwen2", {"\xC3\xA9"}, {"\xC3 \xA9"}));
  const int32_t e_acute = id_of(*qwen2, "\xC3\xA9");
  EXPECT_EQ(qwen2->encode("e\xCC\x81", false, false), (Ids{e_acute}));
  EXPECT_EQ(qwen2->encode("\xC3\xA9", false, false), (Ids{e_acute}));
  // Other families keep the text as it is.
  auto llama3 = make(byte_level_spec("llama-bpe", {"\xC3\xA9"}, {"\xC3 \xA9"}));
  EXPECT_EQ(llama3->encode("e\xCC\x81", false, false), (Ids{'e', 0xCC, 0x81}));
}

TEST(BpeTokenizerTest, SpecialTokensAndAddSpecial) {
  TokenizerSpec spec = byte_level_spec("llama-bpe", {}, {}, {"<|begin_of_text|>", "<|eot_id|>", "<|eot_id|>x"});
  spec.bos_id = 256;
  spec.eot_id = 257;
  spec.add_bos = true;
  auto tokenizer = make(spec);
  EXPECT_EQ(tokenizer->encode("a", true, false), (Ids{256, 'a'}));
  EXPECT_EQ(tokenizer->encode("a", false, false), (Ids{'a'}));
  // Without parse_special the control text is plain text (bytes here).
  const Ids plain = tokenizer->encode("<|eot_id|>", false, false);
  EXPECT_EQ(plain.size(), 10u);
  EXPECT_EQ(tokenizer->decode(plain, true), "<|eot_id|>");
  // With it, the longest special token at the leftmost position wins.
  EXPECT_EQ(tokenizer->encode("a<|eot_id|>xy<|eot_id|>", false, true), (Ids{'a', 258, 'y', 257}));
  EXPECT_EQ(tokenizer->decode(Ids{256, 'h', 'i', 257}, false), "<|begin_of_text|>hi<|eot_id|>");
  EXPECT_EQ(tokenizer->decode(Ids{256, 'h', 'i', 257}, true), "hi");
  EXPECT_TRUE(tokenizer->is_end_of_generation(257));
  EXPECT_FALSE(tokenizer->is_end_of_generation(256));
  EXPECT_FALSE(tokenizer->is_end_of_generation('a'));
}

TEST(BpeTokenizerTest, UserDefinedTokensAreAlwaysMatched) {
  TokenizerSpec spec = byte_level_spec("gpt2", {}, {});
  spec.tokens.push_back("<tool>");
  spec.token_types.push_back(static_cast<int32_t>(TokenType::kUserDefined));
  auto tokenizer = make(spec);
  EXPECT_EQ(tokenizer->encode("a<tool>b", false, false), (Ids{'a', 256, 'b'}));
  EXPECT_EQ(tokenizer->decode(Ids{'a', 256, 'b'}, true), "a<tool>b");
}

TEST(BpeTokenizerTest, ArbitraryBytesRoundTrip) {
  auto tokenizer = make(byte_level_spec("llama-bpe", {"ab"}, {"a b"}));
  std::string bytes;
  for (int byte = 0; byte < 256; ++byte) bytes.push_back(static_cast<char>(byte));
  bytes += "ab\xFF\xC3 ab";
  const Ids ids = tokenizer->encode(bytes, false, false);
  EXPECT_EQ(tokenizer->decode(ids, false), bytes);
}

TEST(BpeTokenizerTest, MissingByteCharacterBecomesUnkOrNothing) {
  TokenizerSpec spec = byte_level_spec("gpt2", {}, {});
  spec.tokens['x'] = "<unk>";  // the byte-level 'x' is gone; <unk> takes its place
  spec.token_types['x'] = static_cast<int32_t>(TokenType::kUnknown);
  auto no_unk = make(spec);
  EXPECT_EQ(no_unk->encode("axb", false, false), (Ids{'a', 'b'}));
  spec.unk_id = 'x';
  auto with_unk = make(spec);
  EXPECT_EQ(with_unk->encode("axb", false, false), (Ids{'a', 'x', 'b'}));
}

// A SentencePiece vocabulary: <unk>, <s>, </s>, 256 byte tokens, then pieces.
TokenizerSpec spm_spec(const std::vector<std::pair<std::string, float>>& pieces, bool with_bytes = true) {
  TokenizerSpec spec;
  spec.model = "llama";
  spec.tokens = {"<unk>", "<s>", "</s>"};
  spec.scores = {0, 0, 0};
  spec.token_types = {2, 3, 3};
  if (with_bytes) {
    for (int byte = 0; byte < 256; ++byte) {
      char text[8];
      std::snprintf(text, sizeof(text), "<0x%02X>", byte);
      spec.tokens.push_back(text);
      spec.scores.push_back(0);
      spec.token_types.push_back(static_cast<int32_t>(TokenType::kByte));
    }
  }
  for (const auto& [text, score] : pieces) {
    spec.tokens.push_back(text);
    spec.scores.push_back(score);
    spec.token_types.push_back(static_cast<int32_t>(TokenType::kNormal));
  }
  spec.unk_id = 0;
  spec.bos_id = 1;
  spec.eos_id = 2;
  spec.add_bos = true;
  spec.add_space_prefix = true;
  return spec;
}

constexpr int32_t kFirstPiece = 3 + 256;

TEST(SpmTokenizerTest, MergesHighestScoreFirst) {
  // ids: ▁=259 h=260 e=261 l=262 o=263 ▁h=264 he=265 ll=266 ▁he=267 llo=268 ▁hello=269
  auto tokenizer = make(spm_spec({{"\xE2\x96\x81", -1}, {"h", -2}, {"e", -2}, {"l", -2}, {"o", -2},
                                  {"\xE2\x96\x81h", -5}, {"he", -3}, {"ll", -4}, {"\xE2\x96\x81he", -6},
                                  {"llo", -7}, {"\xE2\x96\x81hello", -8}}));
  // "▁hello": he(-3) first, then ll(-4), then ▁he(-6), llo(-7), ▁hello(-8).
  EXPECT_EQ(tokenizer->encode("hello", false, false), (Ids{kFirstPiece + 10}));
  EXPECT_EQ(tokenizer->encode("hello", true, false), (Ids{1, kFirstPiece + 10}));
  // "▁hel": he first (-3 beats ▁h at -5), then ▁he; l stays.
  EXPECT_EQ(tokenizer->encode("hel", false, false), (Ids{kFirstPiece + 8, kFirstPiece + 3}));
  // Unknown characters fall back to their UTF-8 bytes: é = C3 A9.
  EXPECT_EQ(tokenizer->encode("h\xC3\xA9", false, false), (Ids{kFirstPiece + 5, 3 + 0xC3, 3 + 0xA9}));
  EXPECT_EQ(tokenizer->decode(Ids{1, kFirstPiece + 5, 3 + 0xC3, 3 + 0xA9}, true), "h\xC3\xA9");
  EXPECT_EQ(tokenizer->decode(Ids{1, kFirstPiece + 5, 3 + 0xC3, 3 + 0xA9}, false), "<s> h\xC3\xA9");
  EXPECT_EQ(tokenizer->token_to_bytes(kFirstPiece + 10), " hello");
  EXPECT_TRUE(tokenizer->is_end_of_generation(2));
}

TEST(SpmTokenizerTest, UserDefinedPiecesDecodeEscapedSpaces) {
  // Gemma's vocabulary has runs of U+2581 as user-defined tokens; HF's decoder
  // turns every U+2581 back into a space, theirs included.
  TokenizerSpec spec = spm_spec({{"\xE2\x96\x81", -1}, {"\xE2\x96\x81\xE2\x96\x81", -2}});
  spec.token_types.back() = static_cast<int32_t>(TokenType::kUserDefined);
  spec.add_space_prefix = false;
  auto tokenizer = make(std::move(spec));
  const int32_t two_spaces = kFirstPiece + 1;
  EXPECT_EQ(tokenizer->encode("  ", false, false), (Ids{two_spaces}));
  EXPECT_EQ(tokenizer->token_to_bytes(two_spaces), "  ");
  EXPECT_EQ(tokenizer->decode(Ids{two_spaces, kFirstPiece}, true), "   ");
}

TEST(SpmTokenizerTest, SpacePrefixAfterSpecialTokens) {
  auto tokenizer = make(spm_spec({{"\xE2\x96\x81", -1}, {"a", -2}, {"\xE2\x96\x81" "a", -1}}));
  const int32_t space_a = kFirstPiece + 2;
  EXPECT_EQ(tokenizer->encode("a</s>a", false, true), (Ids{space_a, 2, space_a}));
  EXPECT_EQ(tokenizer->encode("a a", false, false), (Ids{space_a, space_a}));
  EXPECT_EQ(tokenizer->encode("", true, false), (Ids{1}));
  EXPECT_EQ(tokenizer->encode("", false, false), Ids{});
}

TEST(SpmTokenizerTest, WithoutByteTokensUnknownCharactersBecomeUnk) {
  auto tokenizer = make(spm_spec({{"\xE2\x96\x81", -1}, {"a", -2}}, /*with_bytes=*/false));
  EXPECT_EQ(tokenizer->encode("a\xE4\xB8\xAD" "a", false, false), (Ids{3, 4, 0, 4}));
  EXPECT_EQ(tokenizer->decode(Ids{3, 4, 0, 4}, true), "aa");
  EXPECT_EQ(tokenizer->decode(Ids{3, 4, 0, 4}, false), "a<unk>a");
}

TEST(SpmTokenizerTest, IllFormedBytesAreByteTokens) {
  auto tokenizer = make(spm_spec({{"\xE2\x96\x81", -1}, {"a", -2}}));
  const std::string text = "a\xFF\xE2\x96";
  const Ids ids = tokenizer->encode(text, false, false);
  EXPECT_EQ(ids, (Ids{kFirstPiece, kFirstPiece + 1, 3 + 0xFF, 3 + 0xE2, 3 + 0x96}));
  EXPECT_EQ(tokenizer->decode(ids, true), text);
}

TEST(TokenizerValidationTest, RejectsHostileSpecs) {
  auto expect_error = [](TokenizerSpec spec, ErrorCode code, std::string_view needle) {
    auto tokenizer = Tokenizer::create(std::move(spec));
    ASSERT_FALSE(tokenizer.ok());
    EXPECT_EQ(tokenizer.status().code(), code) << tokenizer.status().to_string();
    EXPECT_NE(tokenizer.status().message().find(needle), std::string::npos) << tokenizer.status().to_string();
  };
  const TokenizerSpec good = byte_level_spec("gpt2", {"ab"}, {"a b"});
  ASSERT_TRUE(Tokenizer::create(good).ok());

  TokenizerSpec spec = good;
  spec.model = "t5";
  expect_error(spec, ErrorCode::kUnimplemented, "t5");
  spec = good;
  spec.pre = "klingon";
  expect_error(spec, ErrorCode::kUnimplemented, "klingon");
  spec = good;
  spec.tokens.clear();
  spec.token_types.clear();
  expect_error(spec, ErrorCode::kDataLoss, "empty");
  spec = good;
  spec.tokens[5] = spec.tokens[6];
  expect_error(spec, ErrorCode::kDataLoss, "repeats");
  spec = good;
  spec.token_types[3] = 9;
  expect_error(spec, ErrorCode::kDataLoss, "type");
  spec = good;
  spec.token_types.pop_back();
  expect_error(spec, ErrorCode::kDataLoss, "token types");
  spec = good;
  spec.scores = {1.0f};
  expect_error(spec, ErrorCode::kDataLoss, "scores");
  spec = good;
  spec.bos_id = 257;
  expect_error(spec, ErrorCode::kDataLoss, "bos");
  spec = good;
  spec.eot_id = -7;
  expect_error(spec, ErrorCode::kDataLoss, "eot");
  spec = good;
  spec.add_eos = true;
  expect_error(spec, ErrorCode::kDataLoss, "eos");
  spec = good;
  spec.merges.push_back("a q");  // "aq" is not a token
  expect_error(spec, ErrorCode::kDataLoss, "merge 1");
  spec = good;
  spec.merges.push_back("ab");
  expect_error(spec, ErrorCode::kDataLoss, "form");
  spec = good;
  spec.merges.push_back("a b");
  expect_error(spec, ErrorCode::kDataLoss, "repeats");
  spec = spm_spec({});
  spec.tokens[10] = "<0xZZ>";
  expect_error(spec, ErrorCode::kDataLoss, "<0xAB>");
  spec = spm_spec({});
  spec.scores[4] = std::numeric_limits<float>::quiet_NaN();
  expect_error(spec, ErrorCode::kDataLoss, "NaN");
}

TEST(TokenizerValidationTest, DecodeIgnoresAndValidateReportsBadIds) {
  auto tokenizer = make(byte_level_spec("gpt2", {}, {}));
  const Ids ids = {'a', -1, 1 << 30, 'b'};
  EXPECT_EQ(tokenizer->decode(ids, false), "ab");
  EXPECT_EQ(tokenizer->token_to_bytes(-5), "");
  const Status status = tokenizer->validate_ids(ids);
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(status.message().find("position 1"), std::string::npos);
  EXPECT_TRUE(tokenizer->validate_ids(Ids{'a'}).ok());
}

}  // namespace
}  // namespace hearth::text

namespace hearth::text {
namespace {

// A WordPiece vocabulary in llama.cpp's phantom-space form.
std::unique_ptr<Tokenizer> bert_tokenizer() {
  TokenizerSpec spec;
  spec.model = "bert";
  const std::string s = "\xE2\x96\x81";  // U+2581
  spec.tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", s + "hello", s + ",", s + "world", s + "!",
                 s + "un",   "aff",   "able",  s + "cafe", s + "\xE4\xBD\xA0", s + "\xE5\xA5\xBD", s + "a", "a"};
  spec.token_types.assign(spec.tokens.size(), static_cast<int32_t>(TokenType::kNormal));
  for (int idx = 0; idx < 5; ++idx) spec.token_types[static_cast<size_t>(idx)] = static_cast<int32_t>(TokenType::kControl);
  spec.pad_id = 0;
  spec.unk_id = 1;
  spec.bos_id = 2;
  spec.eos_id = 3;
  spec.add_bos = true;
  spec.add_eos = true;
  auto tokenizer = Tokenizer::create(std::move(spec));
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
  return std::move(tokenizer).value();
}

TEST(WordPieceTokenizerTest, NormalizesSplitsAndCutsWords) {
  auto tokenizer = bert_tokenizer();
  // Lowercase, accents stripped, punctuation alone, CJK ideographs alone, ## continuations.
  EXPECT_EQ(tokenizer->encode("H\xC3\xA9llo, WORLD!", true, false), (Ids{2, 5, 6, 7, 8, 3}));
  EXPECT_EQ(tokenizer->encode("Unaffable caf\xC3\xA9", false, false), (Ids{9, 10, 11, 12}));
  EXPECT_EQ(tokenizer->encode("\xE4\xBD\xA0\xE5\xA5\xBD", false, false), (Ids{13, 14}));
  // Whitespace of every kind separates; control and format characters vanish.
  EXPECT_EQ(tokenizer->encode("hello\t\xE3\x80\x80world\xE2\x80\x8B!", false, false), (Ids{5, 7, 8}));
}

TEST(WordPieceTokenizerTest, UnknownWordsBecomeOneUnk) {
  auto tokenizer = bert_tokenizer();
  // "unaffz": "un" "aff" then no piece for "z": the whole word is [UNK].
  EXPECT_EQ(tokenizer->encode("hello unaffz world", false, false), (Ids{5, 1, 7}));
  // 100 characters still split; 101 are [UNK] whatever the pieces.
  Ids hundred = {15};
  hundred.insert(hundred.end(), 99, 16);
  EXPECT_EQ(tokenizer->encode(std::string(100, 'a'), false, false), hundred);
  EXPECT_EQ(tokenizer->encode(std::string(101, 'a'), false, false), (Ids{1}));
  // Ill-formed UTF-8 is dropped, not a crash.
  EXPECT_EQ(tokenizer->encode("hello\xFF\xC3", false, false), (Ids{5}));
}

TEST(WordPieceTokenizerTest, SpecialTokensOnlyWhenParsed) {
  auto tokenizer = bert_tokenizer();
  EXPECT_EQ(tokenizer->encode("hello[SEP]world", false, true), (Ids{5, 3, 7}));
  // Plain text: "[", "sep", "]" have no pieces here.
  EXPECT_EQ(tokenizer->encode("hello[SEP]world", false, false), (Ids{5, 1, 1, 1, 7}));
  EXPECT_EQ(tokenizer->decode(Ids{2, 5, 6, 7, 3}, true), "hello , world");
}

TEST(WordPieceTokenizerTest, TruncatesKeepingTheSpecialTokens) {
  auto tokenizer = bert_tokenizer();
  EXPECT_EQ(tokenizer->encode_truncated("hello, world!", true, false, 4), (Ids{2, 5, 6, 3}));
  EXPECT_EQ(tokenizer->encode_truncated("hello, world!", false, false, 2), (Ids{5, 6}));
  EXPECT_EQ(tokenizer->encode_truncated("hello", true, false, 100), (Ids{2, 5, 3}));
  EXPECT_EQ(tokenizer->encode_truncated("hello", true, false, 1), (Ids{2, 3}));
}

TEST(WordPieceTokenizerTest, PairsForACrossEncoder) {
  auto tokenizer = bert_tokenizer();
  const Tokenizer::Pair pair = tokenizer->encode_pair("hello", "world !", 64);
  EXPECT_EQ(pair.ids, (Ids{2, 5, 3, 7, 8, 3}));
  EXPECT_EQ(pair.segments, (Ids{0, 0, 0, 1, 1, 1}));
  // Over the limit: the longer text loses its last ids first.
  const Tokenizer::Pair cut = tokenizer->encode_pair("hello", "world ! world ! world", 7);
  EXPECT_EQ(cut.ids, (Ids{2, 5, 3, 7, 8, 7, 3}));
}

TEST(WordPieceTokenizerTest, NeedsAnUnknownToken) {
  TokenizerSpec spec;
  spec.model = "bert";
  spec.tokens = {"[CLS]", "\xE2\x96\x81x"};
  auto tokenizer = Tokenizer::create(std::move(spec));
  ASSERT_FALSE(tokenizer.ok());
  EXPECT_EQ(tokenizer.status().code(), ErrorCode::kDataLoss);
}

}  // namespace
}  // namespace hearth::text
