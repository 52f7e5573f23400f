// media::AudioEncoder: every format decodes again (FFmpeg's decoders) at
// 24 kHz mono with the duration that went in; pieces arrive while it encodes.
#include "media/audio_encoder.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "audio_decode.h"

namespace hearth::media {
namespace {

constexpr int32_t kInputRate = 22050;  // what eSpeak NG produces

std::vector<int16_t> tone(double seconds, double hz) {
  std::vector<int16_t> samples(static_cast<size_t>(seconds * kInputRate));
  for (size_t idx = 0; idx < samples.size(); ++idx) {
    samples[idx] = static_cast<int16_t>(12000.0 * std::sin(2.0 * M_PI * hz * static_cast<double>(idx) / kInputRate));
  }
  return samples;
}

struct Case {
  infer::AudioFormat format;
  const char* demuxer;  // to read it back
  const char* codec;
  double tolerance_s;  // frame padding and encoder delay
};

class AudioEncoderTest : public ::testing::TestWithParam<Case> {};

TEST_P(AudioEncoderTest, DecodesBackAtTwentyFourKilohertzWithItsDuration) {
  const Case& c = GetParam();
  std::string stream;
  int32_t n_pieces = 0;
  auto encoder = AudioEncoder::create(c.format, kInputRate, [&](std::string_view bytes) {
    stream.append(bytes);
    ++n_pieces;
    return true;
  });
  ASSERT_TRUE(encoder.ok()) << encoder.status().to_string();
  const std::vector<int16_t> samples = tone(2.0, 440.0);
  // In pieces of 100 ms, as eSpeak NG hands them over.
  for (size_t start = 0; start < samples.size(); start += kInputRate / 10) {
    const size_t n = std::min<size_t>(kInputRate / 10, samples.size() - start);
    ASSERT_TRUE((*encoder)->write(std::span<const int16_t>(samples.data() + start, n)).ok());
  }
  const int32_t n_pieces_before_finish = n_pieces;
  ASSERT_TRUE((*encoder)->finish().ok());
  EXPECT_GT(n_pieces_before_finish, 1) << "the stream should flow before the end";
  EXPECT_NEAR(static_cast<double>((*encoder)->n_output_samples()) / kSpeechSampleRate, 2.0, 0.01);

  auto decoded = testing::decode_audio(stream, c.demuxer);
  ASSERT_TRUE(decoded.ok()) << decoded.status().to_string();
  EXPECT_EQ(decoded->codec, c.codec);
  // Opus decoders always give 48 kHz (the stream was encoded at 24 kHz, as its header says).
  EXPECT_EQ(decoded->sample_rate, c.format == infer::AudioFormat::kOpus ? 48000 : kSpeechSampleRate);
  EXPECT_EQ(decoded->channels, 1);
  EXPECT_NEAR(decoded->seconds(), 2.0, c.tolerance_s);
  // The tone is there: its RMS is 12000 / sqrt(2) / 32768 = 0.259.
  double sum_squares = 0;
  for (float sample : decoded->samples) sum_squares += static_cast<double>(sample) * sample;
  EXPECT_NEAR(std::sqrt(sum_squares / decoded->samples.size()), 0.259, 0.03);
}

INSTANTIATE_TEST_SUITE_P(Formats, AudioEncoderTest,
                         ::testing::Values(Case{infer::AudioFormat::kMp3, "mp3", "mp3float", 0.12},
                                           Case{infer::AudioFormat::kOpus, "ogg", "opus", 0.05},
                                           Case{infer::AudioFormat::kAac, "aac", "aac", 0.12},
                                           Case{infer::AudioFormat::kFlac, "flac", "flac", 0.2},
                                           Case{infer::AudioFormat::kWav, "wav", "pcm_s16le", 0.05},
                                           Case{infer::AudioFormat::kPcm, "s16le", "pcm_s16le", 0.001}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return std::string(infer::audio_format_name(info.param.format));
                         });

TEST(AudioEncoderStopTest, AReceiverThatStopsEndsTheEncoding) {
  auto encoder = AudioEncoder::create(infer::AudioFormat::kPcm, kInputRate, [](std::string_view) { return false; });
  ASSERT_TRUE(encoder.ok());
  const std::vector<int16_t> samples = tone(0.5, 300.0);
  const Status written = (*encoder)->write(samples);
  EXPECT_EQ(written.code(), ErrorCode::kUnavailable);
}

}  // namespace
}  // namespace hearth::media
