#include "media/wav_reader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace hearth::media {
namespace {

void put32(std::vector<uint8_t>& b, uint32_t v) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(v >> (8 * i)));
}
void put16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v));
  b.push_back(static_cast<uint8_t>(v >> 8));
}

std::vector<uint8_t> wav(uint16_t format, uint16_t channels, uint32_t rate, uint16_t bits, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> b = {'R', 'I', 'F', 'F'};
  put32(b, static_cast<uint32_t>(36 + data.size()));
  for (char c : std::string("WAVEfmt ")) b.push_back(static_cast<uint8_t>(c));
  put32(b, 16);
  put16(b, format);
  put16(b, channels);
  put32(b, rate);
  put32(b, rate * channels * bits / 8);
  put16(b, static_cast<uint16_t>(channels * bits / 8));
  put16(b, bits);
  for (char c : std::string("data")) b.push_back(static_cast<uint8_t>(c));
  put32(b, static_cast<uint32_t>(data.size()));
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

TEST(WavReader, Pcm16StereoIsAveragedToMono) {
  std::vector<uint8_t> data;
  for (int16_t v : {16384, -16384, 32767, 32767}) put16(data, static_cast<uint16_t>(v));
  auto audio = read_wav(wav(1, 2, 16000, 16, data), 100);
  ASSERT_TRUE(audio.ok()) << audio.status().message();
  EXPECT_EQ(audio->sample_rate, 16000);
  ASSERT_EQ(audio->samples.size(), 2u);
  EXPECT_FLOAT_EQ(audio->samples[0], 0.0f);
  EXPECT_FLOAT_EQ(audio->samples[1], 32767.0f / 32768.0f);
}

TEST(WavReader, Float32) {
  std::vector<uint8_t> data(8);
  const float values[2] = {0.25f, -1.0f};
  std::memcpy(data.data(), values, 8);
  auto audio = read_wav(wav(3, 1, 8000, 32, data), 100);
  ASSERT_TRUE(audio.ok());
  EXPECT_EQ(audio->sample_rate, 8000);
  EXPECT_EQ(audio->samples, std::vector<float>({0.25f, -1.0f}));
}

TEST(WavReader, RefusesWhatItCannotRead) {
  std::vector<uint8_t> data(4, 0);
  EXPECT_EQ(read_wav(std::vector<uint8_t>{'R', 'I', 'F', 'F'}, 100).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(read_wav(wav(1, 1, 16000, 24, std::vector<uint8_t>(6, 0)), 100).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(read_wav(wav(1, 0, 16000, 16, data), 100).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(read_wav(wav(1, 1, 16000, 16, data), 1).status().code(), ErrorCode::kResourceExhausted);
  std::vector<uint8_t> bad = wav(1, 1, 16000, 16, data);
  bad[16] = 0xFF;  // the fmt chunk claims more bytes than the file has
  bad[17] = 0xFF;
  EXPECT_EQ(read_wav(bad, 100).status().code(), ErrorCode::kInvalidArgument);
}

TEST(WavReader, ATruncatedDataChunkReadsWhatIsThere) {
  std::vector<uint8_t> data;
  for (int16_t v : {100, 200, 300}) put16(data, static_cast<uint16_t>(v));
  std::vector<uint8_t> file = wav(1, 1, 16000, 16, data);
  file.resize(file.size() - 1);  // half a sample lost
  auto audio = read_wav(file, 100);
  ASSERT_TRUE(audio.ok());
  EXPECT_EQ(audio->samples.size(), 2u);
}

}  // namespace
}  // namespace hearth::media
