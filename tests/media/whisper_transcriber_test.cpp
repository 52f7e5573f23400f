// The transcription loop on a small deterministic model: windows, segments, options, errors.
#include "media/whisper_transcriber.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>

#include "text/utf8.h"
#include "whisper_test_model.h"

namespace hearth::media {
namespace {

class WhisperTranscriberTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    model::WhisperConfig c = testing::tiny_parity_config();
    c.n_embd = 32;
    c.n_head = 2;
    c.n_ff = 64;
    c.n_enc_layer = 1;
    c.n_dec_layer = 2;
    c.n_text_ctx = 24;
    path_ = new std::string(testing::unique_temp_path("hearth_whisper_transcriber"));
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
  static std::vector<float> tone(double seconds) {
    std::vector<float> out(static_cast<size_t>(seconds * 16000));
    for (size_t t = 0; t < out.size(); ++t) out[t] = 0.3f * static_cast<float>(std::sin(0.07 * t) * std::sin(0.0003 * t));
    return out;
  }
  static std::string* path_;
  static WhisperModel* model_;
};
std::string* WhisperTranscriberTest::path_ = nullptr;
WhisperModel* WhisperTranscriberTest::model_ = nullptr;

TEST_F(WhisperTranscriberTest, LongAudioRunsInWindowsWithOrderedSegments) {
  ThreadPool pool(2);
  WhisperTranscriber t(*model_, pool);
  TranscribeOptions options;
  options.language = "en";
  options.no_speech_threshold = 2.0;  // never skip: every window yields text
  int64_t n_streamed = 0;
  options.on_segment = [&](const TranscriptSegment&) { ++n_streamed; };
  const std::vector<float> audio = tone(45.0);
  auto r = t.transcribe(audio, options);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->language, "en");
  EXPECT_NEAR(r->duration_s, 45.0, 1e-9);
  EXPECT_GE(r->n_windows, 2);
  ASSERT_FALSE(r->segments.empty());
  EXPECT_EQ(n_streamed, static_cast<int64_t>(r->segments.size()));
  std::string joined;
  double last_start = -1.0;
  for (size_t idx = 0; idx < r->segments.size(); ++idx) {
    const TranscriptSegment& s = r->segments[idx];
    EXPECT_EQ(s.id, static_cast<int64_t>(idx));
    EXPECT_GE(s.start_s, last_start);
    EXPECT_LE(s.start_s, s.end_s);
    EXPECT_LE(s.end_s, 45.0 + 30.0);
    EXPECT_TRUE(text::is_valid_utf8(s.text));
    last_start = s.start_s;
    joined += s.text;
  }
  EXPECT_EQ(joined, r->text);
}

TEST_F(WhisperTranscriberTest, WithoutTimestampsEachWindowIsOneSegment) {
  ThreadPool pool(2);
  WhisperTranscriber t(*model_, pool);
  TranscribeOptions options;
  options.language = "de";
  options.timestamps = false;
  options.no_speech_threshold = 2.0;
  options.temperatures = {0.0f};
  auto r = t.transcribe(tone(35.0), options);
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->n_windows, 2);
  ASSERT_LE(r->segments.size(), 2u);
  if (!r->segments.empty()) {
    EXPECT_DOUBLE_EQ(r->segments[0].start_s, 0.0);
  }
}

TEST_F(WhisperTranscriberTest, DetectsALanguageWhenNoneIsGiven) {
  ThreadPool pool(2);
  WhisperTranscriber t(*model_, pool);
  auto probs = t.detect_language(tone(3.0));
  ASSERT_TRUE(probs.ok());
  ASSERT_EQ(probs->size(), 99u);
  double sum = 0.0;
  for (const auto& [code, p] : *probs) sum += p;
  EXPECT_NEAR(sum, 1.0, 1e-4);
  EXPECT_GE((*probs)[0].second, (*probs)[1].second);
  TranscribeOptions options;
  options.temperatures = {0.0f};
  auto r = t.transcribe(tone(3.0), options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->language, (*probs)[0].first);
}

TEST_F(WhisperTranscriberTest, RefusesUnknownLanguagesAndHonoursCancel) {
  ThreadPool pool(1);
  WhisperTranscriber t(*model_, pool);
  TranscribeOptions options;
  options.language = "xx";
  EXPECT_EQ(t.transcribe(tone(1.0), options).status().code(), ErrorCode::kInvalidArgument);
  options.language = "en";
  options.temperatures.clear();
  EXPECT_EQ(t.transcribe(tone(1.0), options).status().code(), ErrorCode::kInvalidArgument);
  std::atomic<bool> cancel{true};
  TranscribeOptions cancelled;
  cancelled.language = "en";
  cancelled.cancel = &cancel;
  EXPECT_EQ(t.transcribe(tone(1.0), cancelled).status().code(), ErrorCode::kUnavailable);
}

TEST_F(WhisperTranscriberTest, EmptyAudioHasNoSegments) {
  ThreadPool pool(1);
  WhisperTranscriber t(*model_, pool);
  TranscribeOptions options;
  options.language = "en";
  auto r = t.transcribe({}, options);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->segments.empty());
  EXPECT_EQ(r->n_windows, 0);
}

}  // namespace
}  // namespace hearth::media
