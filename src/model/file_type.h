// Model file types: which tensor type each weight gets in a file "of type X".
//
// Plain types (f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, iq4_nl, iq4_xs, q2_k, q3_k, q4_k, q5_k, q6_k) put every
// matrix in that type; the _m mixtures follow the published llama.cpp recipe (more bits for attn_v and ffn_down in the
// first and last eighth of the layers and every third layer between, Q6_K for the output matrix). Norms and biases are
// always F32. K types need rows that are a multiple of 256 values; a matrix
// whose rows are not (SmolLM's 576, Qwen2.5's 896) falls back to Q8_0 for
// Q6_K and Q5_K, to Q4_0 for Q4_K and to IQ4_NL for Q3_K, Q2_K and IQ4_XS,
// and the fallback is reported.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "tensor/dtype.h"

namespace hearth::model {

enum class FileType {
  kF32,
  kF16,
  kBF16,
  kQ8_0,
  kQ4_0,
  kQ4_K,
  kQ5_K,
  kQ6_K,
  kQ4_K_M,
  kQ5_K_M,
  kQ5_0,
  kQ5_1,
  kQ4_1,
  kIQ4_NL,
  kIQ4_XS,
  kQ3_K,
  kQ2_K
};

std::optional<FileType> parse_file_type(std::string_view name);  // "q4_k_m", case-insensitive
std::string_view file_type_name(FileType type);
std::span<const FileType> all_file_types();

// The value of GGUF's general.file_type for a file of this type: llama.cpp's
// LLAMA_FTYPE number for the mix (f32 -> ALL_F32 0, q8_0 -> MOSTLY_Q8_0 7,
// q4_k_m -> MOSTLY_Q4_K_M 15). The plain K types, every matrix in one K type
// but the output, are closest to llama.cpp's _S mixes (q4_k -> Q4_K_S 14,
// q3_k -> Q3_K_S 11).
// ref: llama.cpp include/llama.h, enum llama_ftype
uint32_t llama_ftype(FileType type);

enum class TensorRole { kTokenEmbedding, kOutput, kAttnQ, kAttnK, kAttnV, kAttnOutput, kFfnGate, kFfnUp, kFfnDown };

// The type of a weight matrix with rows of n_cols values in layer `layer_idx`
// (ignored for the embedding and output) of `n_layer` layers. `tied_output`
// says the embedding also serves as the output matrix.
tensor::DType pick_tensor_type(FileType file_type, TensorRole role, int64_t layer_idx, int64_t n_layer, int64_t n_cols,
                               bool tied_output);

}  // namespace hearth::model
