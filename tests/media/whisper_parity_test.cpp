// Whisper against transformers (tests/fixtures/whisper/, made by tools/make_whisper_fixtures.py):
// WhisperFeatureExtractor's log-mel features, WhisperForConditionalGeneration's encoder output and
// decoder logits on a random-weight model of whisper-tiny's shape (rebuilt here from its
// deterministic weights), and greedy token ids through the KV cache.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <vector>

#include "media/log_mel.h"
#include "media/wav_reader.h"
#include "media/whisper_decoder.h"
#include "media/whisper_logit_rules.h"
#include "media/whisper_model.h"
#include "media/whisper_transcriber.h"
#include "whisper_test_model.h"

namespace hearth::media {
namespace {

const std::string kDir = std::string(HEARTH_FIXTURE_DIR) + "/whisper";

// Bounds (the fixture's "checks" record transformers' own float32-vs-float64 error for scale):
// features: |hearth - HF| on the (x + 4) / 4 scale, where HF computes the STFT in float32 and
// hearth in double; encoder: absolute on LayerNorm'd outputs of magnitude ~1; logits: absolute on
// logits of magnitude ~30, relative to the largest.
// Measured (transformers 5.17.0, torch 2.11): features 4.4e-5 (the chirp; transformers' own numpy
// and torch paths differ by the same 4.4e-5), encoder 4.3e-6, logits 5.0e-5 of 57 (HF float32 vs
// float64: 4.9e-5).
constexpr double kFeatureBound = 1e-4;
constexpr double kEncoderBound = 5e-5;
constexpr double kLogitRelBound = 1e-5;

std::vector<float> read_f32(const std::string& name) {
  std::ifstream in(kDir + "/" + name, std::ios::binary | std::ios::ate);
  const auto size = static_cast<size_t>(in.tellg());
  std::vector<float> out(size / 4);
  in.seekg(0);
  in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(out.size() * 4));
  return out;
}

class WhisperParity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::ifstream in(kDir + "/whisper.json");
    ASSERT_TRUE(in.good()) << "missing " << kDir << "/whisper.json";
    meta_ = new nlohmann::json(nlohmann::json::parse(in));
    path_ = new std::string(testing::unique_temp_path("hearth_whisper_parity"));
    ASSERT_TRUE(testing::write_deterministic_whisper(*path_, testing::tiny_parity_config()).ok());
    auto model = WhisperModel::load(*path_);
    ASSERT_TRUE(model.ok()) << model.status().message();
    model_ = model->release();
  }
  static void TearDownTestSuite() {
    delete model_;
    if (path_ != nullptr) std::filesystem::remove(*path_);
    delete path_;
    delete meta_;
  }

  static std::vector<float> clip(const nlohmann::json& entry) {
    auto audio = read_wav_file(kDir + "/clip_" + entry["name"].get<std::string>() + ".wav", 1 << 24);
    EXPECT_TRUE(audio.ok());
    return audio.ok() ? audio->samples : std::vector<float>{};
  }

  // transformers' features of the whole window: the kept frames, then the padding's constant value.
  static std::vector<float> hf_features(const nlohmann::json& entry, const float* kept) {
    const int64_t n_keep = entry["n_frames_kept"];
    std::vector<float> out(static_cast<size_t>(80 * kWhisperWindowFrames), entry["features_pad_value"].get<float>());
    for (int64_t m = 0; m < 80; ++m) {
      std::copy(kept + m * n_keep, kept + (m + 1) * n_keep, out.begin() + m * kWhisperWindowFrames);
    }
    return out;
  }

  // The encoder output of clip `clip_idx` from transformers' features, computed once for the suite.
  static const std::vector<float>& hf_encoded(size_t clip_idx) {
    static std::vector<std::vector<float>> cache;
    if (cache.empty()) {
      ThreadPool pool(2);
      const std::vector<float> features = read_f32("features80.f32");
      size_t f_off = 0;
      for (const auto& entry : (*meta_)["clips"]) {
        const std::vector<float> hf = hf_features(entry, features.data() + f_off);
        f_off += static_cast<size_t>(80 * entry["n_frames_kept"].get<int64_t>());
        cache.emplace_back(static_cast<size_t>(1500 * model_->config().n_embd));
        model_->encode(hf.data(), cache.back().data(), pool);
      }
    }
    return cache.at(clip_idx);
  }

  static nlohmann::json* meta_;
  static std::string* path_;
  static WhisperModel* model_;
};

nlohmann::json* WhisperParity::meta_ = nullptr;
std::string* WhisperParity::path_ = nullptr;
WhisperModel* WhisperParity::model_ = nullptr;

TEST_F(WhisperParity, LogMelFeaturesMatchWhisperFeatureExtractor) {
  ThreadPool pool(2);
  const std::vector<float> hf = read_f32("features80.f32");
  size_t offset = 0;
  ASSERT_FALSE((*meta_)["clips"].empty());
  for (const auto& entry : (*meta_)["clips"]) {
    const int64_t n_keep = entry["n_frames_kept"];
    const std::vector<float> samples = clip(entry);
    ASSERT_EQ(static_cast<int64_t>(samples.size()), entry["n_samples"].get<int64_t>());
    const std::vector<float> ours = LogMelSpectrogram(80).compute(samples, pool);
    double max_diff = 0.0, sum = 0.0;
    for (int64_t m = 0; m < 80; ++m) {
      for (int64_t f = 0; f < n_keep; ++f) {
        max_diff = std::max(max_diff, std::abs(double(ours[m * kWhisperWindowFrames + f]) - hf[offset + m * n_keep + f]));
      }
    }
    for (float v : ours) sum += v;
    offset += static_cast<size_t>(80 * n_keep);
    EXPECT_LT(max_diff, kFeatureBound) << entry["name"];
    std::printf("features80 %s: max |hearth - HF| %.3g\n", entry["name"].get<std::string>().c_str(), max_diff);
    EXPECT_NEAR(sum, entry["features_sum"].get<double>(), kFeatureBound * 80 * 3000) << entry["name"];
    EXPECT_NEAR(ours.back(), entry["features_pad_value"].get<double>(), kFeatureBound) << entry["name"];
  }
  EXPECT_EQ(offset, hf.size());
}

TEST_F(WhisperParity, LogMelWith128BinsMatchesLargeV3sFrontEnd) {
  ThreadPool pool(2);
  const std::vector<float> hf = read_f32("features128.f32");
  const auto& entry = (*meta_)["clips"][0];
  const int64_t n_keep = entry["n_frames_kept"];
  ASSERT_EQ(hf.size(), static_cast<size_t>(128 * n_keep));
  const std::vector<float> ours = LogMelSpectrogram(128).compute(clip(entry), pool);
  double max_diff = 0.0, sum = 0.0;
  for (int64_t m = 0; m < 128; ++m) {
    for (int64_t f = 0; f < n_keep; ++f) {
      max_diff = std::max(max_diff, std::abs(double(ours[m * kWhisperWindowFrames + f]) - hf[m * n_keep + f]));
    }
  }
  for (float v : ours) sum += v;
  EXPECT_LT(max_diff, kFeatureBound);
  std::printf("features128: max |hearth - HF| %.3g\n", max_diff);
  EXPECT_NEAR(sum, entry["features128_sum"].get<double>(), kFeatureBound * 128 * 3000);
}

TEST_F(WhisperParity, EncoderOutputAndDecoderLogitsMatchTransformers) {
  ThreadPool pool(2);
  const std::vector<float> encoder = read_f32("encoder.f32");
  const std::vector<float> logits = read_f32("logits.f32");
  const std::vector<int64_t> rows = (*meta_)["encoder_rows"];
  const int64_t n_logit_rows = (*meta_)["n_logit_rows"];
  const int64_t d = model_->config().n_embd;
  const int64_t n_vocab = model_->config().n_vocab;
  size_t e_off = 0, l_off = 0, clip_idx = 0;
  for (const auto& entry : (*meta_)["clips"]) {
    const std::vector<float>& audio = hf_encoded(clip_idx++);
    double enc_diff = 0.0;
    for (size_t r = 0; r < rows.size(); ++r) {
      for (int64_t col = 0; col < d; ++col) {
        enc_diff = std::max(enc_diff, std::abs(double(audio[rows[r] * d + col]) - encoder[e_off + r * d + col]));
      }
    }
    e_off += rows.size() * static_cast<size_t>(d);
    EXPECT_LT(enc_diff, kEncoderBound) << entry["name"];
    std::printf("encoder %s: max |hearth - HF| %.3g\n", entry["name"].get<std::string>().c_str(), enc_diff);

    const std::vector<int32_t> ids = entry["greedy_notimestamps"];
    WhisperDecoder dec(*model_);
    dec.set_audio(audio.data(), pool);
    std::vector<float> all(ids.size() * static_cast<size_t>(n_vocab)), last(static_cast<size_t>(n_vocab));
    ASSERT_TRUE(dec.decode(ids, last.data(), pool, all.data()).ok());
    double logit_diff = 0.0, logit_max = 0.0;
    for (int64_t idx = 0; idx < n_logit_rows * n_vocab; ++idx) {
      logit_diff = std::max(logit_diff, std::abs(double(all[idx]) - logits[l_off + idx]));
      logit_max = std::max(logit_max, std::abs(double(logits[l_off + idx])));
    }
    l_off += static_cast<size_t>(n_logit_rows * n_vocab);
    EXPECT_LT(logit_diff, kLogitRelBound * logit_max) << entry["name"] << " max |logit| " << logit_max;
    std::printf("logits %s: max |hearth - HF| %.3g of max |logit| %.3g\n", entry["name"].get<std::string>().c_str(),
                logit_diff, logit_max);

    // Language detection: the argmax over the language tokens after <|startoftranscript|>.
    const WhisperVocab& v = model_->vocab();
    int32_t best = v.lang_begin;
    for (int32_t id = v.lang_begin; id < v.lang_begin + v.n_languages(); ++id) {
      if (all[id] > all[best]) best = id;
    }
    EXPECT_EQ(best, entry["language_argmax"].get<int32_t>()) << entry["name"];
  }
  EXPECT_EQ(e_off, encoder.size());
  EXPECT_EQ(l_off, logits.size());
}

TEST_F(WhisperParity, GreedyIdsThroughTheKvCacheEqualTransformers) {
  ThreadPool pool(2);
  const int64_t d = model_->config().n_embd;
  const int64_t n_vocab = model_->config().n_vocab;
  int n_checked = 0;
  for (const auto& entry : (*meta_)["clips"]) {
    // Features from hearth's own front end, as in serving.
    const std::vector<float> ours = LogMelSpectrogram(80).compute(clip(entry), pool);
    std::vector<float> audio(static_cast<size_t>(1500 * d));
    model_->encode(ours.data(), audio.data(), pool);
    for (const char* mode : {"greedy_notimestamps", "greedy_timestamps"}) {
      const std::vector<int32_t> expected = entry[mode];
      const size_t n_prefix = std::string(mode) == "greedy_notimestamps" ? 4 : 3;
      WhisperDecoder dec(*model_);
      dec.set_audio(audio.data(), pool);
      std::vector<int32_t> ids(expected.begin(), expected.begin() + static_cast<std::ptrdiff_t>(n_prefix));
      std::vector<float> logits(static_cast<size_t>(n_vocab));
      ASSERT_TRUE(dec.decode(ids, logits.data(), pool).ok());
      while (ids.size() < expected.size()) {
        const int32_t next = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
        ids.push_back(next);
        ASSERT_TRUE(dec.decode({&next, 1}, logits.data(), pool).ok());
      }
      EXPECT_EQ(ids, expected) << entry["name"] << " " << mode;
      ++n_checked;
    }
  }
  EXPECT_EQ(n_checked, 8);
}

// transformers' generate(return_timestamps=True) applies its timestamp rules (no other
// suppression: the fixture's generation config suppresses nothing; this vocabulary's
// non-speech tokens never win here either); hearth's WhisperLogitRules must choose the same.
TEST_F(WhisperParity, TimestampRulesGiveTransformersGenerateIds) {
  ThreadPool pool(2);
  const auto& expected_all = (*meta_)["hf_generate_timestamps"];
  ASSERT_EQ(expected_all.size(), (*meta_)["clips"].size());
  const WhisperVocab& v = model_->vocab();
  const int64_t n_vocab = model_->config().n_vocab;
  for (size_t clip_idx = 0; clip_idx < expected_all.size(); ++clip_idx) {
    const auto& entry = (*meta_)["clips"][clip_idx];
    const std::vector<int32_t> expected = expected_all[clip_idx];
    const std::vector<float>& audio = hf_encoded(clip_idx);
    WhisperDecoder dec(*model_);
    dec.set_audio(audio.data(), pool);
    const std::vector<int32_t> prompt = {v.sot, v.language_token("en"), v.transcribe};
    std::vector<float> logits(static_cast<size_t>(n_vocab));
    ASSERT_TRUE(dec.decode(prompt, logits.data(), pool).ok());
    const WhisperLogitRules rules(v, model_->tokenizer(), /*timestamps=*/true);
    std::vector<int32_t> sampled;
    while (sampled.size() < expected.size()) {
      rules.apply(sampled, logits);
      const int32_t next = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
      sampled.push_back(next);
      if (next == v.eot) break;
      ASSERT_TRUE(dec.decode({&next, 1}, logits.data(), pool).ok());
    }
    EXPECT_EQ(sampled, expected) << entry["name"];
    EXPECT_TRUE(v.is_timestamp(sampled.front()));
  }
}

TEST_F(WhisperParity, DetectedLanguageIsTransformersDetectLanguage) {
  ThreadPool pool(2);
  WhisperTranscriber transcriber(*model_, pool);
  for (const auto& entry : (*meta_)["clips"]) {
    ASSERT_TRUE(entry.contains("hf_detect_language")) << entry["name"];
    auto probs = transcriber.detect_language(clip(entry));
    ASSERT_TRUE(probs.ok());
    EXPECT_EQ(model_->vocab().language_token(probs->front().first), entry["hf_detect_language"][0].get<int32_t>())
        << entry["name"];
  }
}

}  // namespace
}  // namespace hearth::media
