// read_wav: a RIFF/WAVE file's samples as floats in [-1, 1], channels averaged
// to mono. Reads PCM 16-bit (format 1) and IEEE float 32-bit (format 3, or
// WAVE_FORMAT_EXTENSIBLE with either subformat). Everything else (other bit
// depths, compressed formats) is for the FFmpeg decoder.
// ref: http://soundfile.sapp.org/doc/WaveFormat/ and Microsoft's WAVEFORMATEXTENSIBLE
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"

namespace hearth::media {

struct WavAudio {
  int64_t sample_rate = 0;
  std::vector<float> samples;  // mono
};

// kInvalidArgument naming what is wrong (not RIFF/WAVE, a chunk past the end,
// no fmt or data chunk, an unsupported format, 0 channels or rate);
// kResourceExhausted past max_samples (per channel).
Result<WavAudio> read_wav(std::span<const uint8_t> bytes, int64_t max_samples);
// The file at `path` (kIo when it cannot be read).
Result<WavAudio> read_wav_file(const std::string& path, int64_t max_samples);

}  // namespace hearth::media
