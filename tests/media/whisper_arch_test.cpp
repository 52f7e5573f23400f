// The whisper family's file layout, binding and the decoder's KV cache, on small deterministic models.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <functional>
#include <vector>

#include "media/log_mel.h"
#include "media/whisper_decoder.h"
#include "media/whisper_model.h"
#include "model/gguf_writer.h"
#include "whisper_test_model.h"

namespace hearth::media {
namespace {

model::WhisperConfig small_config() {
  model::WhisperConfig c = testing::tiny_parity_config();
  c.n_embd = 64;
  c.n_head = 2;
  c.n_ff = 128;
  c.n_enc_layer = 2;
  c.n_dec_layer = 2;
  c.n_text_ctx = 32;
  return c;
}

std::string temp_path(const std::string& name) {
  return testing::unique_temp_path("hearth_whisper_" + name);
}

TEST(WhisperArch, TheTestModelLoadsWithWhispersSpecialTokens) {
  const std::string path = temp_path("load");
  ASSERT_TRUE(testing::write_deterministic_whisper(path, small_config()).ok());
  auto model = WhisperModel::load(path);
  ASSERT_TRUE(model.ok()) << model.status().message();
  const WhisperVocab& v = (*model)->vocab();
  EXPECT_EQ(v.eot, 256);
  EXPECT_EQ(v.sot, 257);
  EXPECT_EQ(v.lang_begin, 258);
  EXPECT_EQ(v.n_languages(), 99);
  EXPECT_EQ(v.language_token("de"), 260);
  EXPECT_EQ(v.translate, 357);
  EXPECT_EQ(v.transcribe, 358);
  EXPECT_EQ(v.sot_prev, 360);
  EXPECT_EQ(v.no_speech, 361);
  EXPECT_EQ(v.no_timestamps, 362);
  EXPECT_EQ(v.timestamp_begin, 363);
  EXPECT_TRUE(v.is_timestamp(363 + 1500));
  EXPECT_EQ((*model)->config().n_embd, 64);
  std::filesystem::remove(path);
}

TEST(WhisperArch, ConfigRangesAreChecked) {
  model::WhisperConfig c = small_config();
  c.n_mels = 64;
  EXPECT_EQ(model::validate_whisper_config(c).code(), ErrorCode::kInvalidArgument);
  c = small_config();
  c.n_head = 3;
  EXPECT_EQ(model::validate_whisper_config(c).code(), ErrorCode::kInvalidArgument);
  c = small_config();
  c.n_dec_layer = 0;
  EXPECT_EQ(model::validate_whisper_config(c).code(), ErrorCode::kInvalidArgument);
}

// Rewrites the small model with one tensor changed by `edit` (or dropped when it returns false).
Status write_edited(const std::string& path, const std::string& target,
                    const std::function<bool(std::vector<int64_t>&)>& edit, bool add_extra = false) {
  const model::WhisperConfig c = small_config();
  model::GgufWriter w;
  model::write_whisper_config(w, c);
  for (const model::WhisperTensorSpec& t : model::whisper_tensors(c)) {
    std::vector<int64_t> ne = t.ne;
    if (t.name == target && !edit(ne)) continue;
    int64_t n = 1;
    for (int64_t v : ne) n *= v;
    w.add_tensor(t.name, ne, tensor::DType::kF32, std::vector<uint8_t>(static_cast<size_t>(n * 4), 0));
  }
  if (add_extra) w.add_tensor("enc.blk.0.attn_k.bias", {64}, tensor::DType::kF32, std::vector<uint8_t>(256, 0));
  return w.write(path);
}

TEST(WhisperArch, BindingNamesAMissingTensorAWrongShapeAndAnExtraTensor) {
  const std::string path = temp_path("bind");
  const model::WhisperConfig c = small_config();
  ASSERT_TRUE(write_edited(path, "dec.blk.1.cross_attn_v.bias", [](auto&) { return false; }).ok());
  {
    auto file = model::GgufFile::open(path);
    ASSERT_TRUE(file.ok());
    auto w = model::bind_whisper_weights(*file, c);
    ASSERT_FALSE(w.ok());
    EXPECT_EQ(w.status().code(), ErrorCode::kDataLoss);
    EXPECT_NE(w.status().message().find("dec.blk.1.cross_attn_v.bias"), std::string::npos) << w.status().message();
  }
  ASSERT_TRUE(write_edited(path, "enc.conv1d.1.weight", [](auto& ne) { ne[0] = 5; return true; }).ok());
  {
    auto file = model::GgufFile::open(path);
    ASSERT_TRUE(file.ok());
    auto w = model::bind_whisper_weights(*file, c);
    ASSERT_FALSE(w.ok());
    EXPECT_NE(w.status().message().find("enc.conv1d.1.weight has dims [5, 64, 64]"), std::string::npos)
        << w.status().message();
  }
  ASSERT_TRUE(write_edited(path, "", [](auto&) { return true; }, /*add_extra=*/true).ok());
  {
    auto file = model::GgufFile::open(path);
    ASSERT_TRUE(file.ok());
    auto w = model::bind_whisper_weights(*file, c);
    ASSERT_FALSE(w.ok());
    EXPECT_NE(w.status().message().find("enc.blk.0.attn_k.bias is not part of the graph"), std::string::npos)
        << w.status().message();
  }
  std::filesystem::remove(path);
}

TEST(WhisperArch, AMissingKeyIsDataLoss) {
  const std::string path = temp_path("keys");
  model::GgufWriter w;
  w.add_string("general.architecture", "whisper");
  w.add_uint32("whisper.vocab_size", 1864);
  ASSERT_TRUE(w.write(path).ok());
  auto file = model::GgufFile::open(path);
  ASSERT_TRUE(file.ok());
  auto c = model::read_whisper_config(*file);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.status().code(), ErrorCode::kDataLoss);
  EXPECT_NE(c.status().message().find("whisper.context_length"), std::string::npos) << c.status().message();
  std::filesystem::remove(path);
}

// Decoding a prompt at once and token by token through the cache gives the same logits.
TEST(WhisperDecoder, TheKvCacheMatchesAFullPass) {
  const std::string path = temp_path("cache");
  ASSERT_TRUE(testing::write_deterministic_whisper(path, small_config()).ok());
  auto model = WhisperModel::load(path);
  ASSERT_TRUE(model.ok()) << model.status().message();
  const WhisperModel& m = **model;
  ThreadPool pool(2);
  std::vector<float> samples(8000);
  for (size_t t = 0; t < samples.size(); ++t) samples[t] = 0.3f * static_cast<float>(std::sin(0.05 * t));
  const std::vector<float> features = LogMelSpectrogram(80).compute(samples, pool);
  std::vector<float> audio(static_cast<size_t>(1500 * 64));
  m.encode(features.data(), audio.data(), pool);

  const std::vector<int32_t> ids = {257, 258, 358, 362, 40, 41, 42, 1000};
  const int64_t n_vocab = m.config().n_vocab;
  WhisperDecoder full(m);
  full.set_audio(audio.data(), pool);
  std::vector<float> all(ids.size() * static_cast<size_t>(n_vocab)), last(static_cast<size_t>(n_vocab));
  ASSERT_TRUE(full.decode(ids, last.data(), pool, all.data()).ok());

  WhisperDecoder stepwise(m);
  stepwise.set_audio(audio.data(), pool);
  ASSERT_TRUE(stepwise.decode(std::span(ids).first(3), last.data(), pool).ok());
  double max_diff = 0.0;
  for (int64_t v = 0; v < n_vocab; ++v) max_diff = std::max(max_diff, std::abs(double(last[v]) - all[2 * n_vocab + v]));
  for (size_t idx = 3; idx < ids.size(); ++idx) {
    ASSERT_TRUE(stepwise.decode(std::span(ids).subspan(idx, 1), last.data(), pool).ok());
    for (int64_t v = 0; v < n_vocab; ++v) {
      max_diff = std::max(max_diff, std::abs(double(last[v]) - all[idx * n_vocab + v]));
    }
  }
  EXPECT_LT(max_diff, 1e-3);
  EXPECT_EQ(stepwise.n_past(), static_cast<int64_t>(ids.size()));

  // Truncating and re-decoding the same token reproduces its logits.
  stepwise.truncate(7);
  ASSERT_TRUE(stepwise.decode(std::span(ids).subspan(7, 1), last.data(), pool).ok());
  for (int64_t v = 0; v < n_vocab; ++v) max_diff = std::max(max_diff, std::abs(double(last[v]) - all[7 * n_vocab + v]));
  EXPECT_LT(max_diff, 1e-3);

  // Out of range ids and positions are refused.
  const int32_t bad = static_cast<int32_t>(n_vocab);
  EXPECT_EQ(stepwise.decode({&bad, 1}, last.data(), pool).code(), ErrorCode::kOutOfRange);
  std::vector<int32_t> many(40, 1);
  EXPECT_EQ(stepwise.decode(many, last.data(), pool).code(), ErrorCode::kOutOfRange);
  WhisperDecoder fresh(m);
  EXPECT_EQ(fresh.decode(ids, last.data(), pool).code(), ErrorCode::kFailedPrecondition);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace hearth::media
