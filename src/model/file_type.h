// Model file types: which tensor type each weight gets in a file "of type X".
//
// The mixes are llama.cpp's quantizer's (llama-quantize without an importance
// matrix): for q2_k, q3_k_s/m/l, q4_k_s/m, q5_k_s/m, q6_k, q4_0, q4_1, q5_0,
// q5_1, q8_0, iq4_nl and iq4_xs, pick_tensor_type makes the choices of
// llama_tensor_get_type: the output matrix (and a tied embedding) in Q6_K
// (Q8_0 for q8_0 files and for rows that do not fit the file's blocks),
// attn_v / attn_qkv and ffn_down with more bits in the layers its rules name
// (use_more_bits: the first and last eighth and every third between; the
// first layers for q3_k_m, q4_k_s; all for q3_k_l), attn_output with more bits
// for q2_k and q3_k_m/l, rules on GQA (n_head / n_head_kv >= 4) and on 8-expert
// models, then the fallbacks for rows that are not whole blocks: Q2_K and
// Q3_K -> Q4_0, Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0, IQ4_XS -> IQ4_NL
// (F16 when even that does not fit). q3_k, q4_k and q5_k are hearth's plain
// types: every matrix in that type but the output (Q6_K), with the same
// fallbacks. Norms, biases and the MoE router are always F32 (not decided here).
// ref: llama.cpp src/llama-quant.cpp (llama_tensor_get_type_impl, tensor_type_fallback)
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
  kQ2_K,
  kQ3_K_S,
  kQ3_K_M,
  kQ3_K_L,
  kQ4_K_S,
  kQ5_K_S,
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

// What llama.cpp's choice depends on besides a tensor's role and layer.
struct MixContext {
  int64_t n_layer = 1;
  int64_t n_gqa = 1;         // n_head / n_head_kv
  int64_t n_expert = 0;      // 0 for dense models
  bool tied_output = false;  // the embedding also serves as the output matrix
  bool llama_70b = false;    // llama.cpp's LLM_TYPE_70B (a llama of 80 layers): attn_v gets Q5_K for Q3_K/Q4_K
};

// The type of a weight matrix with rows of n_cols values in layer `layer_idx`
// (ignored for the embedding and output) in a file of `file_type`.
tensor::DType pick_tensor_type(FileType file_type, TensorRole role, int64_t layer_idx, int64_t n_cols,
                               const MixContext& context);

}  // namespace hearth::model
