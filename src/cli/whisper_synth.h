// Random-weight Whisper files (`hearth synth --shape whisper-*`): the shape's
// dimensions (model/whisper_shapes.h), weights ~ N(0, 0.02), norm gains 1,
// norm biases 0, sinusoidal encoder positions, and a vocabulary of the shape's
// size: a synthetic byte-level BPE of the text tokens (50257) followed by
// Whisper's special tokens in their usual order.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "base/thread_pool.h"
#include "cli/synth.h"
#include "model/whisper_shapes.h"

namespace hearth::cli {

// kInvalidArgument for a file type whisper_matrix_type refuses.
Status synthesize_whisper(const model::WhisperShape& shape, model::FileType file_type, const std::string& out_path,
                          uint64_t seed, ThreadPool& pool, const SynthProgressFn& progress);

}  // namespace hearth::cli
