// Decodes an encoded audio stream from memory with FFmpeg's libraries, as a
// client would: the tests check what the encoder wrote by reading it back.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"

namespace hearth::media::testing {

struct DecodedAudio {
  std::string container;  // FFmpeg's name for the format it found ("mp3", "ogg", ...)
  std::string codec;      // "mp3", "opus", "aac", "flac", "pcm_s16le"
  int32_t sample_rate = 0;
  int32_t channels = 0;
  int64_t n_samples = 0;       // decoded, per channel
  std::vector<float> samples;  // the first channel, for level checks
  double seconds() const { return sample_rate > 0 ? static_cast<double>(n_samples) / sample_rate : 0.0; }
};

// `format_hint`: FFmpeg's demuxer name, or empty to probe.
Result<DecodedAudio> decode_audio(const std::string& bytes, const std::string& format_hint);

}  // namespace hearth::media::testing
