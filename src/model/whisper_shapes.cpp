#include "model/whisper_shapes.h"

#include <array>

namespace hearth::model {
namespace {

WhisperConfig shape(int64_t n_vocab, int64_t n_mels, int64_t d, int64_t heads, int64_t enc, int64_t dec) {
  WhisperConfig c;
  c.n_vocab = n_vocab;
  c.n_mels = n_mels;
  c.n_embd = d;
  c.n_head = heads;
  c.n_ff = 4 * d;
  c.n_enc_layer = enc;
  c.n_dec_layer = dec;
  return c;
}

const std::array<WhisperShape, 4> kShapes = {{
    {"whisper-tiny", "openai/whisper-tiny config.json", shape(51865, 80, 384, 6, 4, 4), 99},
    {"whisper-base", "openai/whisper-base config.json", shape(51865, 80, 512, 8, 6, 6), 99},
    {"whisper-small", "openai/whisper-small config.json", shape(51865, 80, 768, 12, 12, 12), 99},
    {"whisper-large-v3-turbo", "openai/whisper-large-v3-turbo config.json", shape(51866, 128, 1280, 20, 32, 4), 100},
}};

}  // namespace

std::span<const WhisperShape> whisper_shapes() { return kShapes; }

const WhisperShape* find_whisper_shape(std::string_view name) {
  for (const WhisperShape& s : kShapes) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::optional<tensor::DType> whisper_matrix_type(FileType file_type) {
  switch (file_type) {
    case FileType::kF32: return tensor::DType::kF32;
    case FileType::kF16: return tensor::DType::kF16;
    case FileType::kBF16: return tensor::DType::kBF16;
    case FileType::kQ8_0: return tensor::DType::kQ8_0;
    case FileType::kQ4_0: return tensor::DType::kQ4_0;
    case FileType::kQ4_1: return tensor::DType::kQ4_1;
    case FileType::kQ5_0: return tensor::DType::kQ5_0;
    case FileType::kQ5_1: return tensor::DType::kQ5_1;
    default: return std::nullopt;
  }
}

}  // namespace hearth::model
