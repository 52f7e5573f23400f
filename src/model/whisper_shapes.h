// Published dimensions of the Whisper models (their config.json), for
// `hearth synth --shape whisper-*`, the planner and the benchmarks.
#pragma once

#include <optional>
#include <span>
#include <string_view>

#include "model/arch/whisper.h"
#include "model/file_type.h"

namespace hearth::model {

struct WhisperShape {
  std::string_view name;    // "whisper-base"
  std::string_view source;  // where the dimensions come from
  WhisperConfig config;
  int n_languages = 99;     // 100 for large-v3 and its turbo
};

// whisper-tiny, whisper-base, whisper-small, whisper-large-v3-turbo.
std::span<const WhisperShape> whisper_shapes();
const WhisperShape* find_whisper_shape(std::string_view name);  // nullptr when unknown

// The type a Whisper file of `file_type` gives its matrices (token embedding
// included): the file type's own for f32, f16, bf16, q8_0, q4_0, q4_1, q5_0,
// q5_1; nullopt for the mixed K-quant and IQ types, which hearth does not
// write for Whisper. The convolutions are F16 (F32 in an f32 file), the
// positions, norms and biases F32.
std::optional<tensor::DType> whisper_matrix_type(FileType file_type);

}  // namespace hearth::model
