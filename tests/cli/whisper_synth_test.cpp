// `hearth synth --shape whisper-*`: the files load as Whisper models with Whisper's token layout.
#include "cli/whisper_synth.h"

#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "media/whisper_model.h"

namespace hearth::cli {
namespace {

TEST(WhisperSynth, EveryShapeIsValidAndTinyLoadsWithWhispersTokenIds) {
  for (const model::WhisperShape& shape : model::whisper_shapes()) {
    EXPECT_TRUE(model::validate_whisper_config(shape.config).ok()) << shape.name;
    EXPECT_EQ(shape.config.n_vocab, 50257 + 2 + shape.n_languages + 6 + 1501) << shape.name;
  }
  const model::WhisperShape* tiny = model::find_whisper_shape("whisper-tiny");
  ASSERT_NE(tiny, nullptr);
  const std::string path =
      (std::filesystem::temp_directory_path() / ("hearth_synth_whisper_tiny_" + std::to_string(::getpid()) + ".gguf"))
          .string();
  ThreadPool pool(2);
  ASSERT_TRUE(synthesize_whisper(*tiny, model::FileType::kQ8_0, path, 1, pool, nullptr).ok());
  auto m = media::WhisperModel::load(path);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const media::WhisperVocab& v = (*m)->vocab();
  EXPECT_EQ(v.eot, 50257);
  EXPECT_EQ(v.sot, 50258);
  EXPECT_EQ(v.n_languages(), 99);
  EXPECT_EQ(v.transcribe, 50359);
  EXPECT_EQ(v.no_timestamps, 50363);
  EXPECT_EQ(v.timestamp_begin, 50364);
  EXPECT_EQ((*m)->weights().enc_layers[0].self_attn.q.dtype, tensor::DType::kQ8_0);
  EXPECT_EQ((*m)->weights().conv1.dtype, tensor::DType::kF16);
  std::filesystem::remove(path);
  EXPECT_EQ(synthesize_whisper(*tiny, model::FileType::kQ4_K_M, path, 1, pool, nullptr).code(),
            ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace hearth::cli
