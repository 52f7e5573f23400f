#include "media/log_mel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numbers>
#include <vector>

namespace hearth::media {
namespace {

TEST(LogMel, SlaneyFilterbankTrianglesHaveUnitArea) {
  for (int64_t n_mels : {80, 128}) {
    LogMelSpectrogram mel(n_mels);
    ASSERT_EQ(mel.filters().size(), static_cast<size_t>(n_mels * 201));
    int64_t last_peak = -1;
    for (int64_t m = 0; m < n_mels; ++m) {
      double area = 0.0;
      int64_t peak = 0;
      for (int64_t bin = 0; bin < 201; ++bin) {
        const double v = mel.filters()[static_cast<size_t>(m * 201 + bin)];
        EXPECT_GE(v, 0.0);
        area += v * 40.0;  // bins are 40 Hz apart
        if (v > mel.filters()[static_cast<size_t>(m * 201 + peak)]) peak = bin;
      }
      EXPECT_GE(peak, last_peak) << "filters rise in frequency";
      last_peak = peak;
      // Sampling a triangle a few bins wide at 40 Hz misses its area by up to ~10%; the
      // narrow low filters (< 2 bins) far more, so only the upper half is held to it.
      if (m >= n_mels / 2) {
        EXPECT_NEAR(area, 1.0, 0.1) << "n_mels " << n_mels << " filter " << m;
      }
    }
  }
}

TEST(LogMel, SilenceIsTheFloorEverywhere) {
  ThreadPool pool(2);
  LogMelSpectrogram mel(80);
  const std::vector<float> features = mel.compute({}, pool);
  ASSERT_EQ(features.size(), static_cast<size_t>(80 * kWhisperWindowFrames));
  for (float v : features) ASSERT_FLOAT_EQ(v, (-10.0f + 4.0f) / 4.0f);
}

TEST(LogMel, ToneEnergyPeaksInTheMelBinOfItsFrequency) {
  ThreadPool pool(2);
  LogMelSpectrogram mel(80);
  std::vector<float> tone(16000);
  for (size_t t = 0; t < tone.size(); ++t) tone[t] = 0.5f * static_cast<float>(std::sin(2.0 * std::numbers::pi * 1000.0 * t / 16000.0));
  const std::vector<float> features = mel.compute(tone, pool);
  const int64_t frame = 50;
  int64_t best = 0;
  for (int64_t m = 0; m < 80; ++m) {
    if (features[static_cast<size_t>(m * kWhisperWindowFrames + frame)] >
        features[static_cast<size_t>(best * kWhisperWindowFrames + frame)]) {
      best = m;
    }
  }
  // The filter whose triangle peaks nearest 1000 Hz.
  int64_t expected = 0;
  double best_weight = 0.0;
  for (int64_t m = 0; m < 80; ++m) {
    const double w = mel.filters()[static_cast<size_t>(m * 201 + 25)];
    if (w > best_weight) {
      best_weight = w;
      expected = m;
    }
  }
  EXPECT_EQ(best, expected);
  // Past the tone (1 s = frame 100, plus the window's reach) is the floor: max - 8.
  const float peak = *std::max_element(features.begin(), features.end());
  EXPECT_FLOAT_EQ(features[static_cast<size_t>(10 * kWhisperWindowFrames + 2000)], peak - 2.0f);
}

TEST(LogMel, ReadsAtMostOneWindow) {
  ThreadPool pool(1);
  LogMelSpectrogram mel(80);
  std::vector<float> long_audio(kWhisperWindowSamples + 16000, 0.25f);
  std::vector<float> window(long_audio.begin(), long_audio.begin() + kWhisperWindowSamples);
  EXPECT_EQ(mel.compute(long_audio, pool), mel.compute(window, pool));
}

}  // namespace
}  // namespace hearth::media
