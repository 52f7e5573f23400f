// media::SpeechEngine with Debian's eSpeak NG: speech comes out, streamed,
// as long as the text takes to say; voices, speed, limits, one engine per
// process, drain.
#include "media/speech_engine.h"

#include <gtest/gtest.h>

#include <future>
#include <mutex>

#include "audio_decode.h"

namespace hearth::media {
namespace {

struct Collected final : infer::SpeechObserver {
  std::mutex mutex;
  std::string bytes;
  int32_t n_pieces = 0;
  std::promise<std::pair<Status, double>> done;
  bool on_audio(std::string_view piece) override {
    std::lock_guard lock(mutex);
    bytes.append(piece);
    ++n_pieces;
    return true;
  }
  void on_finish(Status status, double seconds) override { done.set_value({std::move(status), seconds}); }
};

SpeechEngineOptions options() {
  SpeechEngineOptions out;
  out.espeak_data_dir = find_espeak_data_dir();
  return out;
}

class SpeechEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(options().espeak_data_dir.empty()) << "eSpeak NG's data is missing (scripts/setup installs it)";
    auto created = SpeechEngine::create(options());
    ASSERT_TRUE(created.ok()) << created.status().to_string();
    engine_ = std::move(created).value();
  }
  std::unique_ptr<SpeechEngine> engine_;
};

TEST_F(SpeechEngineTest, SpeaksTextAsAStreamOfAudio) {
  auto observer = std::make_shared<Collected>();
  auto finished = observer->done.get_future();
  const std::string text = "The quick brown fox jumps over the lazy dog. Hearth speaks with eSpeak.";
  ASSERT_TRUE(engine_->speak({.input = text, .voice = "alloy", .format = infer::AudioFormat::kWav}, observer).ok());
  auto [status, seconds] = finished.get();
  ASSERT_TRUE(status.ok()) << status.to_string();
  EXPECT_GT(observer->n_pieces, 3);
  auto decoded = testing::decode_audio(observer->bytes, "wav");
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_EQ(decoded->sample_rate, 24000);
  EXPECT_NEAR(decoded->seconds(), seconds, 0.05);
  // About 13 words at 175 words per minute: 3 to 8 seconds with pauses.
  EXPECT_GT(seconds, 3.0);
  EXPECT_LT(seconds, 8.0);
  double peak = 0;
  for (float sample : decoded->samples) peak = std::max(peak, static_cast<double>(std::abs(sample)));
  EXPECT_GT(peak, 0.1) << "speech, not silence";
}

TEST_F(SpeechEngineTest, FasterSpeechIsShorter) {
  auto seconds_at = [this](double speed) {
    auto observer = std::make_shared<Collected>();
    auto finished = observer->done.get_future();
    Status queued = engine_->speak({.input = "One two three four five six seven eight nine ten.",
                                    .voice = "de",
                                    .format = infer::AudioFormat::kPcm,
                                    .speed = speed},
                                   observer);
    EXPECT_TRUE(queued.ok()) << queued.to_string();
    return finished.get().second;
  };
  const double normal = seconds_at(1.0);
  const double fast = seconds_at(2.0);
  EXPECT_GT(normal, 1.0);
  EXPECT_LT(fast, normal * 0.75);
}

TEST_F(SpeechEngineTest, RefusesUnknownVoicesAndSpeedsItCannotTake) {
  auto observer = std::make_shared<Collected>();
  Status voice = engine_->speak({.input = "hi", .voice = "klingon"}, observer);
  EXPECT_EQ(voice.code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(voice.message().find("'klingon' is not a voice"), std::string::npos);
  Status variant = engine_->speak({.input = "hi", .voice = "en-us+nosuchvariant"}, observer);
  EXPECT_EQ(variant.code(), ErrorCode::kInvalidArgument);
  Status with_variant = engine_->speak({.input = "hi", .voice = "en-us+f3"}, observer);
  EXPECT_TRUE(with_variant.ok()) << with_variant.to_string();
  observer->done.get_future().get();
  Status slow = engine_->speak({.input = "hi", .voice = "alloy", .speed = 0.25}, observer);
  EXPECT_EQ(slow.code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(slow.message().starts_with("speed")) << slow.message();
  Status empty = engine_->speak({.input = "", .voice = "alloy"}, observer);
  EXPECT_EQ(empty.code(), ErrorCode::kInvalidArgument);
  Status long_input = engine_->speak({.input = std::string(4097, 'a'), .voice = "alloy"}, observer);
  EXPECT_EQ(long_input.code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(long_input.message().starts_with("the input")) << long_input.message();
}

TEST_F(SpeechEngineTest, OneEnginePerProcess) {
  auto second = SpeechEngine::create(options());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), ErrorCode::kFailedPrecondition);
}

TEST_F(SpeechEngineTest, StopsWhenTheReceiverLeaves) {
  struct Leaving final : infer::SpeechObserver {
    std::promise<Status> done;
    bool on_audio(std::string_view) override { return false; }
    void on_finish(Status status, double) override { done.set_value(std::move(status)); }
  };
  auto observer = std::make_shared<Leaving>();
  auto finished = observer->done.get_future();
  ASSERT_TRUE(engine_->speak({.input = std::string(2000, 'a') + " end", .voice = "alloy"}, observer).ok());
  EXPECT_EQ(finished.get().code(), ErrorCode::kUnavailable);
}

TEST_F(SpeechEngineTest, DrainRefusesNewWork) {
  EXPECT_EQ(engine_->drain(0, "stopping"), 0);
  auto observer = std::make_shared<Collected>();
  EXPECT_EQ(engine_->speak({.input = "hi", .voice = "alloy"}, observer).code(), ErrorCode::kUnavailable);
  EXPECT_EQ(engine_->memory().total_bytes(), speech_memory_estimate().total_bytes());
}

}  // namespace
}  // namespace hearth::media
