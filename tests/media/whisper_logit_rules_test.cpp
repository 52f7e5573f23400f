// Whisper's timestamp rules and suppressions on hand-made logits.
#include "media/whisper_logit_rules.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "media/whisper_model.h"
#include "media/whisper_transcriber.h"
#include "whisper_test_model.h"

namespace hearth::media {
namespace {

class WhisperLogitRulesTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model::WhisperConfig c = testing::tiny_parity_config();
    c.n_embd = 32;
    c.n_head = 2;
    c.n_ff = 64;
    c.n_enc_layer = 1;
    c.n_dec_layer = 1;
    c.n_text_ctx = 16;
    path_ = new std::string(testing::unique_temp_path("hearth_whisper_rules"));
    ASSERT_TRUE(testing::write_deterministic_whisper(*path_, c).ok());
    auto m = WhisperModel::load(*path_);
    ASSERT_TRUE(m.ok()) << m.status().message();
    model_ = m->release();
  }
  static void TearDownTestSuite() {
    delete model_;
    std::filesystem::remove(*path_);
    delete path_;
  }
  std::vector<float> flat() const { return std::vector<float>(static_cast<size_t>(model_->config().n_vocab), 0.0f); }
  static bool forbidden(const std::vector<float>& l, int32_t id) { return std::isinf(l[static_cast<size_t>(id)]); }

  static std::string* path_;
  static WhisperModel* model_;
};
std::string* WhisperLogitRulesTest::path_ = nullptr;
WhisperModel* WhisperLogitRulesTest::model_ = nullptr;

TEST_F(WhisperLogitRulesTest, ControlTokensAreSuppressedAndTheFirstTokenIsNotBlank) {
  const WhisperVocab& v = model_->vocab();
  WhisperLogitRules rules(v, model_->tokenizer(), /*timestamps=*/false);
  auto l = flat();
  rules.apply({}, l);
  for (int32_t id : {v.sot, v.sot_prev, v.sot_lm, v.translate, v.transcribe, v.no_speech, v.eot}) {
    EXPECT_TRUE(forbidden(l, id)) << id;
  }
  const int32_t space = model_->tokenizer().encode(" ", false, false)[0];
  EXPECT_TRUE(forbidden(l, space));
  EXPECT_FALSE(forbidden(l, 'a' - '!'));  // 'a' as a byte-level token
  // Later the end is allowed; non-speech symbols never. (This vocabulary has no " -" token, so
  // openai's encode(" -")[0] is the space itself: suppressed too.)
  const int32_t at = model_->tokenizer().encode("@", false, false)[0];
  auto later = flat();
  const int32_t first = 5;
  rules.apply({&first, 1}, later);
  EXPECT_FALSE(forbidden(later, v.eot));
  EXPECT_FALSE(forbidden(later, 'b' - '!'));
  EXPECT_TRUE(forbidden(later, at));
  EXPECT_TRUE(forbidden(later, space));
}

TEST_F(WhisperLogitRulesTest, TheFirstTokenIsATimestampWithinOneSecond) {
  const WhisperVocab& v = model_->vocab();
  WhisperLogitRules rules(v, model_->tokenizer(), /*timestamps=*/true);
  auto l = flat();
  rules.apply({}, l);
  EXPECT_TRUE(forbidden(l, 70));
  EXPECT_TRUE(forbidden(l, v.no_timestamps));
  EXPECT_FALSE(forbidden(l, v.timestamp_begin));
  EXPECT_FALSE(forbidden(l, v.timestamp_begin + 50));
  EXPECT_TRUE(forbidden(l, v.timestamp_begin + 51));
}

TEST_F(WhisperLogitRulesTest, TimestampsComeInPairsAndNeverGoBack) {
  const WhisperVocab& v = model_->vocab();
  const int32_t ts = v.timestamp_begin;
  WhisperLogitRules rules(v, model_->tokenizer(), /*timestamps=*/true);
  // After <|0.10|> text <|0.40|> (a lone closing timestamp): no text, a timestamp >= 0.40 or the end.
  {
    const std::vector<int32_t> sampled = {ts + 5, 70, 71, ts + 20};
    auto l = flat();
    l[static_cast<size_t>(v.eot)] = 20.0f;  // likelier than all timestamps together
    rules.apply(sampled, l);
    EXPECT_TRUE(forbidden(l, 70));
    EXPECT_FALSE(forbidden(l, v.eot));
    EXPECT_TRUE(forbidden(l, ts + 19));
    EXPECT_FALSE(forbidden(l, ts + 20));
  }
  // After a pair: no timestamp.
  {
    const std::vector<int32_t> sampled = {ts + 5, 70, ts + 20, ts + 20};
    auto l = flat();
    rules.apply(sampled, l);
    for (int32_t id = ts; id < ts + 1501; ++id) ASSERT_TRUE(forbidden(l, id)) << id;
    EXPECT_FALSE(forbidden(l, 70));
  }
  // Within text after <|0.10|>: the next timestamp must be later than 0.10.
  {
    const std::vector<int32_t> sampled = {ts + 5, 70};
    auto l = flat();
    rules.apply(sampled, l);
    EXPECT_TRUE(forbidden(l, ts + 5));
    EXPECT_FALSE(forbidden(l, ts + 6));
  }
}

TEST_F(WhisperLogitRulesTest, LikelyTimestampsTogetherOutweighTheBestTextToken) {
  const WhisperVocab& v = model_->vocab();
  WhisperLogitRules rules(v, model_->tokenizer(), /*timestamps=*/true);
  const std::vector<int32_t> sampled = {v.timestamp_begin, 70};
  auto l = flat();
  l[71] = 3.0f;  // the best text token, e^3 ~ 20; the 1500 allowed timestamps at 0 weigh ~1500
  rules.apply(sampled, l);
  EXPECT_TRUE(forbidden(l, 71));
  auto hot = flat();
  hot[71] = 12.0f;  // e^12 outweighs them
  rules.apply(sampled, hot);
  EXPECT_FALSE(forbidden(hot, 71));
}

TEST(WhisperCompressionRatio, RepetitionCompresses) {
  EXPECT_GT(compression_ratio(std::string(200, 'a')), 2.4);
  EXPECT_LT(compression_ratio("The quick brown fox jumps over the lazy dog."), 1.5);
  EXPECT_EQ(compression_ratio(""), 0.0);
}

}  // namespace
}  // namespace hearth::media
