// Whisper test models: the deterministic model of tools/whisper_gguf.py
// (det_state: each weight a pure function of its tensor name), so the parity
// tests rebuild, without a committed checkpoint, the model transformers ran in
// tools/make_whisper_fixtures.py; and its vocabulary (256 byte-level text
// tokens, then Whisper's special tokens in their usual order).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/arch/whisper.h"

namespace hearth::media::testing {

// whisper_gguf.det_uniform: splitmix64 of (fnv1a32(name) << 32 | index), top 24
// bits as k / 2^23 - 1.
float det_uniform(uint32_t name_hash, uint64_t index);
uint32_t fnv1a32(std::string_view text);

// A path in the temp directory unique to this process ("<stem>_<pid>.gguf"): ctest runs each
// test of a suite as its own process, in parallel, and suites write their model once each.
std::string unique_temp_path(std::string_view stem);

// whisper-tiny's dimensions with the small vocabulary: n_vocab = 256 + 1608.
model::WhisperConfig tiny_parity_config();

// The vocabulary's texts: 256 byte-level characters in GPT-2's id order, then
// <|endoftext|>, <|startoftranscript|>, n_languages language tokens, the task
// and control tokens and the 1501 timestamps.
std::vector<std::string> whisper_test_tokens(int n_languages);

// Writes the deterministic model (F32, or with matrices in `matrix_type`
// where their rows allow) to `path`. config.n_vocab must be 256 + specials.
Status write_deterministic_whisper(const std::string& path, const model::WhisperConfig& config,
                                   tensor::DType matrix_type = tensor::DType::kF32, int n_languages = 99);

}  // namespace hearth::media::testing
