// LogMelSpectrogram: Whisper's audio front end, as transformers'
// WhisperFeatureExtractor and openai-whisper's log_mel_spectrogram compute it:
// 16 kHz samples zero-padded (or cut) to one 30 s window of 480000 samples; a
// 400-point STFT (periodic Hann window, hop 160, centered: reflect-padded by 200
// on both sides) giving 3001 frames of which the last is dropped; power
// spectrum (|X|^2, 201 bins); a Slaney-style mel filterbank (librosa's default:
// Slaney's mel scale, area-normalized triangles, 0-8000 Hz) of 80 or 128 bins;
// log10 with a floor of 1e-10; values below (max - 8) raised to it; (x + 4) / 4.
// ref: transformers/models/whisper/feature_extraction_whisper.py, audio_utils.py (mel_filter_bank)
//
//   LogMelSpectrogram mel(80);
//   std::vector<float> features = mel.compute(samples, pool);   // [80 x 3000], row = mel bin
//
// Thread-safety: immutable after construction.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/thread_pool.h"
#include "media/power_spectrum.h"

namespace hearth::media {

inline constexpr int64_t kWhisperSampleRate = 16000;
inline constexpr int64_t kWhisperNFft = 400;
inline constexpr int64_t kWhisperHop = 160;
inline constexpr int64_t kWhisperWindowSamples = 30 * kWhisperSampleRate;       // 480000
inline constexpr int64_t kWhisperWindowFrames = kWhisperWindowSamples / kWhisperHop;  // 3000

class LogMelSpectrogram {
 public:
  // Precondition: n_mels >= 1 (WhisperConfig validation allows 80 and 128).
  explicit LogMelSpectrogram(int64_t n_mels);

  int64_t n_mels() const { return n_mels_; }
  // The filterbank, [n_mels x 201], row-major (mel bin, frequency bin).
  const std::vector<double>& filters() const { return filters_; }

  // The features of one window: `samples` (at most kWhisperWindowSamples are
  // read; fewer are zero-padded) -> [n_mels x kWhisperWindowFrames], mel-major.
  std::vector<float> compute(std::span<const float> samples, ThreadPool& pool) const;

 private:
  int64_t n_mels_;
  std::vector<double> filters_;
  std::vector<double> window_;  // periodic Hann, kWhisperNFft values
  PowerSpectrum spectrum_;
};

}  // namespace hearth::media
