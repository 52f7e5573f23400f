// RIFF/WAVE reading (see wav_reader.h).
#include "media/wav_reader.h"

#include <cstring>
#include <fstream>
#include <iterator>

namespace hearth::media {
namespace {

uint32_t le32(const uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24); }
uint16_t le16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

}  // namespace

Result<WavAudio> read_wav(std::span<const uint8_t> bytes, int64_t max_samples) {
  if (bytes.size() < 12 || std::memcmp(bytes.data(), "RIFF", 4) != 0 || std::memcmp(bytes.data() + 8, "WAVE", 4) != 0) {
    return invalid_argument_error("wav: not a RIFF/WAVE file");
  }
  uint16_t format = 0, channels = 0, bits = 0;
  uint32_t rate = 0;
  bool have_fmt = false;
  size_t pos = 12;
  while (pos + 8 <= bytes.size()) {
    const uint8_t* chunk = bytes.data() + pos;
    const uint64_t size = le32(chunk + 4);
    const uint64_t body = pos + 8;
    if (size > bytes.size() - body) {
      // A streamed file's data chunk may claim more than was written: read what is there.
      if (std::memcmp(chunk, "data", 4) != 0) return invalid_argument_error("wav: a chunk runs past the end of the file");
    }
    const uint64_t avail = std::min<uint64_t>(size, bytes.size() - body);
    if (std::memcmp(chunk, "fmt ", 4) == 0) {
      if (avail < 16) return invalid_argument_error("wav: fmt chunk too short");
      format = le16(chunk + 8);
      channels = le16(chunk + 10);
      rate = le32(chunk + 12);
      bits = le16(chunk + 22);
      if (format == 0xFFFE) {
        if (avail < 40) return invalid_argument_error("wav: WAVE_FORMAT_EXTENSIBLE fmt chunk too short");
        format = le16(chunk + 8 + 24);  // the subformat GUID starts with the format tag
      }
      have_fmt = true;
    } else if (std::memcmp(chunk, "data", 4) == 0) {
      if (!have_fmt) return invalid_argument_error("wav: data before fmt");
      if (channels == 0 || rate == 0) return invalid_argument_error("wav: 0 channels or sample rate");
      const bool pcm16 = format == 1 && bits == 16;
      const bool float32 = format == 3 && bits == 32;
      if (!pcm16 && !float32) {
        return invalid_argument_error("wav: format " + std::to_string(format) + " with " + std::to_string(bits) +
                                      " bits is not 16-bit PCM or 32-bit float");
      }
      const uint64_t frame_bytes = static_cast<uint64_t>(channels) * (bits / 8);
      const uint64_t n_frames = avail / frame_bytes;
      if (n_frames > static_cast<uint64_t>(max_samples)) {
        return resource_exhausted_error("wav: " + std::to_string(n_frames) + " samples exceed the limit of " +
                                        std::to_string(max_samples));
      }
      WavAudio out;
      out.sample_rate = rate;
      out.samples.resize(n_frames);
      const uint8_t* data = chunk + 8;
      for (uint64_t f = 0; f < n_frames; ++f) {
        double sum = 0.0;
        for (uint16_t ch = 0; ch < channels; ++ch) {
          const uint8_t* s = data + f * frame_bytes + ch * (bits / 8);
          if (pcm16) {
            sum += static_cast<int16_t>(le16(s)) / 32768.0;
          } else {
            float v;
            std::memcpy(&v, s, 4);
            sum += v;
          }
        }
        out.samples[f] = static_cast<float>(sum / channels);
      }
      return out;
    }
    pos = body + size + (size & 1);
  }
  return invalid_argument_error("wav: no data chunk");
}

Result<WavAudio> read_wav_file(const std::string& path, int64_t max_samples) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return io_error("cannot open " + path);
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return read_wav(bytes, max_samples);
}

}  // namespace hearth::media
