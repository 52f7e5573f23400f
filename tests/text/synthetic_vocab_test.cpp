// Synthetic vocabularies: exact sizes, accepted by Tokenizer::create(), real
// learned merges, lossless round trips, determinism, and bad arguments.
#include "text/synthetic_vocab.h"

#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "round_trip_strings.h"
#include "text/byte_level.h"
#include "text/chat_template.h"
#include "text/tokenizer.h"
#include "text/unicode_normalization.h"
#include "text/utf8.h"
#include "text/utf8_stream.h"

namespace hearth::text {
namespace {

std::unique_ptr<Tokenizer> make_tokenizer(std::string_view style, int64_t n_vocab) {
  auto synth = make_synthetic_tokenizer(style, n_vocab);
  EXPECT_TRUE(synth.ok()) << synth.status().to_string();
  if (!synth.ok()) return nullptr;
  EXPECT_EQ(static_cast<int64_t>(synth->spec.tokens.size()), n_vocab);
  auto tokenizer = Tokenizer::create(synth->spec);
  EXPECT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
  return tokenizer.ok() ? std::move(tokenizer).value() : nullptr;
}

// What decode(encode(text)) gives back: "chatml" uses the "qwen2"
// pre-tokenizer, which normalizes to NFC first (as Qwen's tokenizer.json does).
std::string round_trip_of(std::string_view style, const std::string& text) {
  return style == "chatml" ? nfc_normalize(text) : text;
}

class SyntheticVocabTest : public testing::TestWithParam<std::string> {};

TEST_P(SyntheticVocabTest, ExactSizesFromMinimumToQwenScale) {
  const std::string style = GetParam();
  for (int64_t n_vocab : {synthetic_vocab_min(style), int64_t{600}, int64_t{1000}, int64_t{4096}, int64_t{32000},
                          int64_t{128256}, int64_t{152064}}) {
    const auto start = std::chrono::steady_clock::now();
    auto tokenizer = make_tokenizer(style, n_vocab);
    const double elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_NE(tokenizer, nullptr) << n_vocab;
    EXPECT_EQ(tokenizer->n_vocab(), n_vocab);
    RecordProperty(style + "_" + std::to_string(n_vocab) + "_seconds", std::to_string(elapsed_s));
  }
}

TEST_P(SyntheticVocabTest, RoundTripsTextAndBytes) {
  const std::string style = GetParam();
  for (int64_t n_vocab : {int64_t{600}, int64_t{32000}}) {
    auto tokenizer = make_tokenizer(style, n_vocab);
    ASSERT_NE(tokenizer, nullptr);
    for (const std::string& text : round_trip_strings()) {
      const std::vector<int32_t> ids = tokenizer->encode(text, true, false);
      EXPECT_EQ(tokenizer->decode(ids, true), round_trip_of(style, text)) << style << " " << n_vocab;
    }
    // Arbitrary bytes survive too (byte-level characters / byte fallback).
    std::mt19937 rng(7);
    for (int iter = 0; iter < 200; ++iter) {
      std::string bytes(rng() % 40, '\0');
      for (char& c : bytes) c = static_cast<char>(rng());
      EXPECT_EQ(tokenizer->decode(tokenizer->encode(bytes, false, false), true), round_trip_of(style, bytes));
    }
  }
}

TEST_P(SyntheticVocabTest, LearnsRealMerges) {
  const std::string style = GetParam();
  auto tokenizer = make_tokenizer(style, 32000);
  ASSERT_NE(tokenizer, nullptr);
  // A frequent corpus word is one token; a long sentence compresses well below its byte count.
  const std::string text = "The small shop keeps its models on a shelf of machines it owns.";
  const std::vector<int32_t> ids = tokenizer->encode(text, false, false);
  EXPECT_LT(ids.size(), text.size() / 3) << style;
  const std::string the = style == "spm" ? "\xE2\x96\x81" "the" : byte_level_encode(" the");
  EXPECT_GE(tokenizer->find_token(the), 0) << style;
}

TEST_P(SyntheticVocabTest, IsDeterministic) {
  const std::string style = GetParam();
  auto first = make_synthetic_tokenizer(style, 5000);
  auto second = make_synthetic_tokenizer(style, 5000);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->spec.tokens, second->spec.tokens);
  EXPECT_EQ(first->spec.merges, second->spec.merges);
  EXPECT_EQ(first->spec.scores, second->spec.scores);
  EXPECT_EQ(first->chat_template, second->chat_template);
}

// Detokenizing one token at a time through Utf8StreamDecoder: every chunk is
// valid UTF-8 and the chunks add up to the text, though a small vocabulary
// splits CJK and emoji characters across byte tokens.
TEST_P(SyntheticVocabTest, StreamingDetokenizationNeverBreaksCharacters) {
  const std::string style = GetParam();
  auto tokenizer = make_tokenizer(style, 600);
  ASSERT_NE(tokenizer, nullptr);
  int n_split_characters = 0;
  for (const std::string& text : round_trip_strings()) {
    const std::vector<int32_t> ids = tokenizer->encode(text, false, false);
    Utf8StreamDecoder stream;
    std::string streamed;
    for (int32_t id : ids) {
      const std::string bytes = tokenizer->token_to_bytes(id);
      if (!is_valid_utf8(bytes)) ++n_split_characters;
      const std::string chunk = stream.push(bytes);
      ASSERT_TRUE(is_valid_utf8(chunk)) << style;
      streamed += chunk;
    }
    streamed += stream.flush();
    // SentencePiece's space prefix is only stripped by decode(), not by streaming.
    EXPECT_EQ(streamed, style == "spm" ? " " + text : round_trip_of(style, text)) << style;
  }
  EXPECT_GT(n_split_characters, 0) << "the test should exercise split characters";
}

// Hostile input: random bytes mixed with special-token texts and their
// fragments, with and without parse_special. Ids stay in range, and the
// byte-level styles give the exact bytes back with specials rendered.
TEST_P(SyntheticVocabTest, HostileInputNeverBreaks) {
  const std::string style = GetParam();
  auto tokenizer = make_tokenizer(style, 2000);
  ASSERT_NE(tokenizer, nullptr);
  const std::vector<std::string> pieces = {"<|begin_of_text|>", "<|eot_id|>", "<|im_start|>", "<|im_end|>",
                                           "<s>", "</s>", "<unk>", "<|", "|>", "<0x41>", "\xE2\x96\x81",
                                           "\xFF", "\xC3", " ", "\n", "a", "\xF0\x9F\x98"};
  std::mt19937 rng(11);
  for (int iter = 0; iter < 500; ++iter) {
    std::string text;
    const int n_parts = static_cast<int>(rng() % 10);
    for (int part = 0; part < n_parts; ++part) {
      if (rng() % 3 == 0) {
        text.push_back(static_cast<char>(rng()));
      } else {
        text += pieces[rng() % pieces.size()];
      }
    }
    for (bool parse_special : {false, true}) {
      const std::vector<int32_t> ids = tokenizer->encode(text, true, parse_special);
      ASSERT_TRUE(tokenizer->validate_ids(ids).ok());
      const std::string decoded = tokenizer->decode(ids, false);
      if (style != "spm") {
        const std::string bos = tokenizer->add_bos() ? tokenizer->token_text(tokenizer->bos_id()) : "";
        EXPECT_EQ(decoded, bos + text);
      }
      // (SentencePiece reads a literal U+2581 in the text as a space.)
      const bool lossy = style == "spm" && text.find("\xE2\x96\x81") != std::string::npos;
      if (!parse_special && !lossy) {
        EXPECT_EQ(tokenizer->decode(ids, true), text) << style;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Styles, SyntheticVocabTest, testing::Values("llama3", "chatml", "spm"));

TEST(SyntheticVocabLayoutTest, Llama3SpecialTokens) {
  auto synth = make_synthetic_tokenizer("llama3", 128256);
  ASSERT_TRUE(synth.ok());
  const TokenizerSpec& spec = synth->spec;
  EXPECT_EQ(spec.model, "gpt2");
  EXPECT_EQ(spec.pre, "llama-bpe");
  EXPECT_EQ(spec.tokens[spec.bos_id], "<|begin_of_text|>");
  EXPECT_EQ(spec.tokens[spec.eos_id], "<|end_of_text|>");
  EXPECT_EQ(spec.tokens[spec.eot_id], "<|eot_id|>");
  EXPECT_EQ(spec.tokens[spec.bos_id + 6], "<|start_header_id|>");
  EXPECT_EQ(spec.tokens.back().rfind("<|reserved_special_token_", 0), 0u);
  EXPECT_TRUE(spec.add_bos);
  auto tokenizer = Tokenizer::create(spec);
  ASSERT_TRUE(tokenizer.ok());
  auto chat = ChatTemplate::from_source(synth->chat_template);
  ASSERT_TRUE(chat.ok());
  EXPECT_EQ(chat->name(), "llama3");
  auto prompt = chat->render(std::vector<ChatMessage>{{"user", "Hi there"}}, true);
  ASSERT_TRUE(prompt.ok());
  const std::vector<int32_t> ids = (*tokenizer)->encode(*prompt, false, true);
  ASSERT_GE(ids.size(), 4u);
  EXPECT_EQ(ids[0], spec.bos_id);
  EXPECT_EQ(ids[1], spec.bos_id + 6);
  EXPECT_TRUE((*tokenizer)->is_end_of_generation(spec.eot_id));
  EXPECT_EQ((*tokenizer)->decode(ids, false), *prompt);
}

TEST(SyntheticVocabLayoutTest, ChatmlAndSpm) {
  auto chatml = make_synthetic_tokenizer("chatml", 151936);
  ASSERT_TRUE(chatml.ok());
  EXPECT_EQ(chatml->spec.pre, "qwen2");
  EXPECT_EQ(chatml->spec.tokens[chatml->spec.eos_id], "<|im_end|>");
  EXPECT_EQ(chatml->spec.tokens.back().rfind("[PAD", 0), 0u);
  EXPECT_EQ(ChatTemplate::from_source(chatml->chat_template)->name(), "chatml");

  auto spm = make_synthetic_tokenizer("spm", 32000);
  ASSERT_TRUE(spm.ok());
  EXPECT_EQ(spm->spec.model, "llama");
  EXPECT_EQ(spm->spec.tokens[0], "<unk>");
  EXPECT_EQ(spm->spec.tokens[1], "<s>");
  EXPECT_EQ(spm->spec.tokens[2], "</s>");
  EXPECT_EQ(spm->spec.tokens[3], "<0x00>");
  EXPECT_EQ(spm->spec.tokens[258], "<0xFF>");
  EXPECT_TRUE(spm->spec.add_space_prefix);
  EXPECT_EQ(ChatTemplate::from_source(spm->chat_template)->name(), "llama2");
  // Learned pieces score in merge order, above the characters.
  EXPECT_GT(spm->spec.scores[259], spm->spec.scores[260]);
}

TEST(SyntheticVocabLayoutTest, Wordpiece) {
  auto synth = make_synthetic_tokenizer("wordpiece", 30522);
  ASSERT_TRUE(synth.ok()) << synth.status().to_string();
  EXPECT_EQ(synth->spec.model, "bert");
  EXPECT_EQ(synth->spec.tokens.size(), 30522u);
  EXPECT_EQ(synth->spec.tokens[synth->spec.bos_id], "[CLS]");
  EXPECT_EQ(synth->spec.tokens[synth->spec.eos_id], "[SEP]");
  EXPECT_EQ(synth->spec.tokens[synth->spec.unk_id], "[UNK]");
  EXPECT_TRUE(synth->chat_template.empty());
  auto tokenizer = Tokenizer::create(synth->spec);
  ASSERT_TRUE(tokenizer.ok()) << tokenizer.status().to_string();
  // Lowercase text of the corpus's characters splits into pieces, not [UNK].
  const std::vector<int32_t> ids = (*tokenizer)->encode("the quick brown fox", true, false);
  ASSERT_GE(ids.size(), 6u);
  EXPECT_EQ(ids.front(), synth->spec.bos_id);
  EXPECT_EQ(ids.back(), synth->spec.eos_id);
  for (size_t idx = 1; idx + 1 < ids.size(); ++idx) EXPECT_NE(ids[idx], synth->spec.unk_id) << idx;
}

TEST(SyntheticVocabErrorsTest, RejectsUnknownStyleAndBadSizes) {
  auto unknown = make_synthetic_tokenizer("gpt5", 1000);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(unknown.status().message().find("gpt5"), std::string::npos);
  for (int64_t n_vocab : {int64_t{-1}, int64_t{0}, int64_t{300}, kSyntheticVocabMax + 1}) {
    auto sized = make_synthetic_tokenizer("llama3", n_vocab);
    ASSERT_FALSE(sized.ok()) << n_vocab;
    EXPECT_EQ(sized.status().code(), ErrorCode::kOutOfRange);
  }
}

}  // namespace
}  // namespace hearth::text
