// Whisper's log-mel features (see log_mel.h).
#include "media/log_mel.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numbers>

namespace hearth::media {
namespace {

// Slaney's mel scale (librosa htk=False): linear below 1 kHz, logarithmic above.
constexpr double kMinLogHz = 1000.0;
constexpr double kMinLogMel = 15.0;
const double kLogStep = 27.0 / std::log(6.4);

double hz_to_mel(double hz) {
  return hz >= kMinLogHz ? kMinLogMel + std::log(hz / kMinLogHz) * kLogStep : 3.0 * hz / 200.0;
}

double mel_to_hz(double mel) {
  return mel >= kMinLogMel ? kMinLogHz * std::exp((mel - kMinLogMel) / kLogStep) : 200.0 * mel / 3.0;
}

// Reflect padding of numpy/torch ("reflect": the edge sample is not repeated).
int64_t reflect(int64_t idx, int64_t n) {
  if (idx < 0) return -idx;
  if (idx >= n) return 2 * n - 2 - idx;
  return idx;
}

}  // namespace

LogMelSpectrogram::LogMelSpectrogram(int64_t n_mels) : n_mels_(n_mels), spectrum_(kWhisperNFft) {
  assert(n_mels >= 1 && "a filterbank needs a bin");
  const int64_t n_bins = kWhisperNFft / 2 + 1;
  // transformers' mel_filter_bank(201, n_mels, 0, 8000, 16000, norm="slaney", mel_scale="slaney").
  const double mel_min = hz_to_mel(0.0);
  const double mel_max = hz_to_mel(kWhisperSampleRate / 2.0);
  std::vector<double> edges(static_cast<size_t>(n_mels + 2));
  for (int64_t idx = 0; idx < n_mels + 2; ++idx) {
    edges[static_cast<size_t>(idx)] =
        mel_to_hz(mel_min + (mel_max - mel_min) * static_cast<double>(idx) / static_cast<double>(n_mels + 1));
  }
  filters_.assign(static_cast<size_t>(n_mels * n_bins), 0.0);
  for (int64_t mel = 0; mel < n_mels; ++mel) {
    const double lo = edges[static_cast<size_t>(mel)];
    const double mid = edges[static_cast<size_t>(mel + 1)];
    const double hi = edges[static_cast<size_t>(mel + 2)];
    const double enorm = 2.0 / (hi - lo);
    for (int64_t bin = 0; bin < n_bins; ++bin) {
      const double hz = static_cast<double>(kWhisperSampleRate / 2) * static_cast<double>(bin) /
                        static_cast<double>(n_bins - 1);
      const double down = (hz - lo) / (mid - lo);
      const double up = (hi - hz) / (hi - mid);
      filters_[static_cast<size_t>(mel * n_bins + bin)] = std::max(0.0, std::min(down, up)) * enorm;
    }
  }
  window_.resize(kWhisperNFft);
  for (int64_t t = 0; t < kWhisperNFft; ++t) {
    window_[static_cast<size_t>(t)] =
        0.5 - 0.5 * std::cos(2.0 * std::numbers::pi * static_cast<double>(t) / static_cast<double>(kWhisperNFft));
  }
}

std::vector<float> LogMelSpectrogram::compute(std::span<const float> samples, ThreadPool& pool) const {
  const int64_t n_real = std::min<int64_t>(static_cast<int64_t>(samples.size()), kWhisperWindowSamples);
  const int64_t n_bins = kWhisperNFft / 2 + 1;
  const int64_t half = kWhisperNFft / 2;
  std::vector<double> log_mel(static_cast<size_t>(n_mels_ * kWhisperWindowFrames));
  pool.parallel_for(kWhisperWindowFrames, 64, [&](int64_t begin, int64_t end, int) {
    std::vector<double> frame(kWhisperNFft), power(static_cast<size_t>(n_bins));
    for (int64_t f = begin; f < end; ++f) {
      const int64_t start = f * kWhisperHop - half;
      // A frame whose reflected span reads only the zero padding has no energy.
      const bool silent = start >= n_real && start + kWhisperNFft <= kWhisperWindowSamples;
      if (silent) {
        std::fill(power.begin(), power.end(), 0.0);
      } else {
        for (int64_t t = 0; t < kWhisperNFft; ++t) {
          const int64_t idx = reflect(start + t, kWhisperWindowSamples);
          const double x = idx < n_real ? static_cast<double>(samples[static_cast<size_t>(idx)]) : 0.0;
          frame[static_cast<size_t>(t)] = x * window_[static_cast<size_t>(t)];
        }
        spectrum_.compute(frame.data(), power.data());
      }
      for (int64_t mel = 0; mel < n_mels_; ++mel) {
        const double* row = &filters_[static_cast<size_t>(mel * n_bins)];
        double sum = 0.0;
        for (int64_t bin = 0; bin < n_bins; ++bin) sum += row[bin] * power[static_cast<size_t>(bin)];
        log_mel[static_cast<size_t>(mel * kWhisperWindowFrames + f)] = std::log10(std::max(sum, 1e-10));
      }
    }
  });
  const double max_value = *std::max_element(log_mel.begin(), log_mel.end());
  std::vector<float> out(log_mel.size());
  for (size_t idx = 0; idx < log_mel.size(); ++idx) {
    out[idx] = static_cast<float>((std::max(log_mel[idx], max_value - 8.0) + 4.0) / 4.0);
  }
  return out;
}

}  // namespace hearth::media
