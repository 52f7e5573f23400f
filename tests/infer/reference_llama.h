// A float64 forward pass of the llama-style families (llama, qwen2, qwen3,
// gemma3, phi3), written for clarity and
// independently of src/infer: weights are read by name and dequantized with
// dequantize_row_ref, attention is the textbook double loop, RoPE frequencies
// are recomputed here from the spec. The engine is checked against it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "model/gguf.h"
#include "tiny_model.h"

namespace hearth::infer::testing {

struct ReferenceOptions {
  // Round K and V to IEEE half before attention, as the engine's cache
  // stores them: the comparison then measures the engine's arithmetic, not
  // the (specified) storage precision.
  bool round_kv_to_f16 = true;
};

// Logits of every position, [ids.size() x n_vocab] row-major.
std::vector<double> reference_logits(const model::GgufFile& file, const TinyModelSpec& spec,
                                     std::span<const int32_t> ids, const ReferenceOptions& options = {});

// The final hidden state of every position after the output norm,
// [ids.size() x n_embd] row-major (what embedding models pool).
std::vector<double> reference_hidden(const model::GgufFile& file, const TinyModelSpec& spec,
                                     std::span<const int32_t> ids, const ReferenceOptions& options = {});

// ||actual - expected||_2 / ||expected||_2.
double relative_l2_error(std::span<const float> actual, std::span<const double> expected);
double relative_l2_error(std::span<const float> actual, std::span<const float> expected);

}  // namespace hearth::infer::testing
