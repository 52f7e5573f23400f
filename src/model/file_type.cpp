#include "model/file_type.h"

#include <array>
#include <cctype>
#include <string>

namespace hearth::model {
namespace {

using tensor::DType;

struct FileTypeName {
  FileType type;
  std::string_view name;
};

constexpr std::array<FileTypeName, 22> kNames = {{
    {FileType::kF32, "f32"},
    {FileType::kF16, "f16"},
    {FileType::kBF16, "bf16"},
    {FileType::kQ8_0, "q8_0"},
    {FileType::kQ4_0, "q4_0"},
    {FileType::kQ4_K, "q4_k"},
    {FileType::kQ5_K, "q5_k"},
    {FileType::kQ6_K, "q6_k"},
    {FileType::kQ4_K_M, "q4_k_m"},
    {FileType::kQ5_K_M, "q5_k_m"},
    {FileType::kQ5_0, "q5_0"},
    {FileType::kQ5_1, "q5_1"},
    {FileType::kQ4_1, "q4_1"},
    {FileType::kIQ4_NL, "iq4_nl"},
    {FileType::kIQ4_XS, "iq4_xs"},
    {FileType::kQ3_K, "q3_k"},
    {FileType::kQ2_K, "q2_k"},
    {FileType::kQ3_K_S, "q3_k_s"},
    {FileType::kQ3_K_M, "q3_k_m"},
    {FileType::kQ3_K_L, "q3_k_l"},
    {FileType::kQ4_K_S, "q4_k_s"},
    {FileType::kQ5_K_S, "q5_k_s"},
}};

constexpr std::array<FileType, 22> kAll = {
    FileType::kF32,    FileType::kF16,    FileType::kBF16,   FileType::kQ8_0,   FileType::kQ4_0,   FileType::kQ4_K,
    FileType::kQ5_K,   FileType::kQ6_K,   FileType::kQ4_K_M, FileType::kQ5_K_M, FileType::kQ5_0,   FileType::kQ5_1,
    FileType::kQ4_1,   FileType::kIQ4_NL, FileType::kIQ4_XS, FileType::kQ3_K,   FileType::kQ2_K,   FileType::kQ3_K_S,
    FileType::kQ3_K_M, FileType::kQ3_K_L, FileType::kQ4_K_S, FileType::kQ5_K_S};

// llama.cpp's tensor_type_fallback: a type whose blocks do not divide the
// rows gives way to one with 32-value blocks, or F16 when even those do not
// fit; a 32-value type that does not fit is left for the caller to refuse.
DType fit_to_row(DType wanted, int64_t n_cols) {
  if (n_cols % tensor::dtype_info(wanted).block_elems == 0) return wanted;
  DType fallback = wanted;
  switch (wanted) {
    case DType::kIQ4_XS:
      fallback = DType::kIQ4_NL;
      break;
    case DType::kQ2_K:
    case DType::kQ3_K:
      fallback = DType::kQ4_0;
      break;
    case DType::kQ4_K:
      fallback = DType::kQ5_0;
      break;
    case DType::kQ5_K:
      fallback = DType::kQ5_1;
      break;
    case DType::kQ6_K:
      fallback = DType::kQ8_0;
      break;
    default:
      return wanted;
  }
  return n_cols % tensor::dtype_info(fallback).block_elems == 0 ? fallback : DType::kF16;
}

// llama.cpp's use_more_bits: the first and last eighth of the layers and every third between.
bool uses_more_bits(int64_t layer_idx, int64_t n_layer) {
  return layer_idx < n_layer / 8 || layer_idx >= 7 * n_layer / 8 || (layer_idx - n_layer / 8) % 3 == 2;
}

DType base_type(FileType file_type) {
  switch (file_type) {
    case FileType::kF32:
      return DType::kF32;
    case FileType::kF16:
      return DType::kF16;
    case FileType::kBF16:
      return DType::kBF16;
    case FileType::kQ8_0:
      return DType::kQ8_0;
    case FileType::kQ4_0:
      return DType::kQ4_0;
    case FileType::kQ5_0:
      return DType::kQ5_0;
    case FileType::kQ5_1:
      return DType::kQ5_1;
    case FileType::kQ4_1:
      return DType::kQ4_1;
    case FileType::kIQ4_NL:
      return DType::kIQ4_NL;
    case FileType::kIQ4_XS:
      return DType::kIQ4_XS;
    case FileType::kQ3_K:
      return DType::kQ3_K;
    case FileType::kQ2_K:
      return DType::kQ2_K;
    case FileType::kQ4_K:
      return DType::kQ4_K;
    case FileType::kQ5_K:
      return DType::kQ5_K;
    case FileType::kQ6_K:
      return DType::kQ6_K;
    case FileType::kQ4_K_M:
      return DType::kQ4_K;
    case FileType::kQ5_K_M:
    case FileType::kQ5_K_S:
      return DType::kQ5_K;
    case FileType::kQ3_K_S:
    case FileType::kQ3_K_M:
    case FileType::kQ3_K_L:
      return DType::kQ3_K;
    case FileType::kQ4_K_S:
      return DType::kQ4_K;
  }
  return DType::kF32;
}

}  // namespace

std::optional<FileType> parse_file_type(std::string_view name) {
  std::string lower(name);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const FileTypeName& entry : kNames) {
    if (entry.name == lower) return entry.type;
  }
  return std::nullopt;
}

std::string_view file_type_name(FileType type) {
  for (const FileTypeName& entry : kNames) {
    if (entry.type == type) return entry.name;
  }
  return "unknown";
}

std::span<const FileType> all_file_types() { return kAll; }

uint32_t llama_ftype(FileType type) {
  switch (type) {
    case FileType::kF32:
      return 0;
    case FileType::kF16:
      return 1;
    case FileType::kBF16:
      return 32;
    case FileType::kQ8_0:
      return 7;
    case FileType::kQ4_0:
      return 2;
    case FileType::kQ4_K:
      return 14;
    case FileType::kQ5_K:
      return 16;
    case FileType::kQ6_K:
      return 18;
    case FileType::kQ4_K_M:
      return 15;
    case FileType::kQ5_K_M:
      return 17;
    case FileType::kQ4_1:
      return 3;
    case FileType::kQ5_0:
      return 8;
    case FileType::kQ5_1:
      return 9;
    case FileType::kQ2_K:
      return 10;
    case FileType::kQ3_K:
      return 11;  // Q3_K_S
    case FileType::kIQ4_NL:
      return 25;
    case FileType::kIQ4_XS:
      return 30;
    case FileType::kQ3_K_S:
      return 11;
    case FileType::kQ3_K_M:
      return 12;
    case FileType::kQ3_K_L:
      return 13;
    case FileType::kQ4_K_S:
      return 14;
    case FileType::kQ5_K_S:
      return 16;
  }
  return 0;
}

namespace {

// llama_tensor_get_type_impl's rules for the file types hearth writes (no
// importance matrix, no falcon), before the fallback.
DType llama_mix_type(FileType ft, DType base, TensorRole role, int64_t layer, int64_t n_cols,
                     const MixContext& ctx) {
  const int64_t n_layer = ctx.n_layer;
  const bool is_output = role == TensorRole::kOutput || (role == TensorRole::kTokenEmbedding && ctx.tied_output);
  if (is_output) {
    if (n_cols % tensor::dtype_info(base).block_elems != 0) return DType::kQ8_0;
    return base == DType::kQ8_0 ? DType::kQ8_0 : DType::kQ6_K;
  }
  switch (role) {
    case TensorRole::kTokenEmbedding:
      return base;
    case TensorRole::kAttnV: {  // attn_v and attn_qkv; llama.cpp's i_attention_wv is the layer
      DType type = base;
      if (ft == FileType::kQ2_K) {
        type = ctx.n_gqa >= 4 ? DType::kQ4_K : DType::kQ3_K;
      } else if (ft == FileType::kQ3_K_M) {
        type = layer < 2 ? DType::kQ5_K : DType::kQ4_K;
      } else if (ft == FileType::kQ3_K_L) {
        type = DType::kQ5_K;
      } else if ((ft == FileType::kIQ4_NL || ft == FileType::kIQ4_XS) && ctx.n_gqa >= 4) {
        type = DType::kQ5_K;
      } else if ((ft == FileType::kQ4_K_M || ft == FileType::kQ5_K_M) && uses_more_bits(layer, n_layer)) {
        type = DType::kQ6_K;
      } else if (ft == FileType::kQ4_K_S && layer < 4) {
        type = DType::kQ5_K;
      }
      if (ctx.llama_70b && (type == DType::kQ3_K || type == DType::kQ4_K)) type = DType::kQ5_K;
      if (ctx.n_expert == 8) type = DType::kQ8_0;
      return type;
    }
    case TensorRole::kAttnK:
      return ctx.n_expert == 8 ? DType::kQ8_0 : base;
    case TensorRole::kFfnDown:
      if (ft == FileType::kQ2_K) return DType::kQ3_K;
      if (ft == FileType::kQ3_K_M) return layer < n_layer / 16 ? DType::kQ5_K : DType::kQ4_K;
      if (ft == FileType::kQ3_K_L) return DType::kQ5_K;
      if (ft == FileType::kQ4_K_M) return uses_more_bits(layer, n_layer) ? DType::kQ6_K : base;
      if ((ft == FileType::kIQ4_NL || ft == FileType::kIQ4_XS) && layer < n_layer / 8) return DType::kQ5_K;
      if (ft == FileType::kQ5_K_M && uses_more_bits(layer, n_layer)) return DType::kQ6_K;
      if (ft == FileType::kQ4_K_S && layer < n_layer / 8) return DType::kQ5_K;
      return base;
    case TensorRole::kAttnOutput:
      if (ctx.n_expert == 8) {
        const bool bumped = ft == FileType::kQ2_K || ft == FileType::kQ3_K_S || ft == FileType::kQ3_K_M ||
                            ft == FileType::kIQ4_NL || ft == FileType::kQ4_K_S || ft == FileType::kQ4_K_M ||
                            ft == FileType::kIQ4_XS;
        return bumped ? DType::kQ5_K : base;
      }
      if (ft == FileType::kQ2_K) return DType::kQ3_K;
      if (ft == FileType::kQ3_K_M) return DType::kQ4_K;
      if (ft == FileType::kQ3_K_L) return DType::kQ5_K;
      return base;
    case TensorRole::kOutput:
    case TensorRole::kAttnQ:
    case TensorRole::kFfnGate:
    case TensorRole::kFfnUp:
      return base;
  }
  return base;
}

bool plain_k_type(FileType file_type) {
  return file_type == FileType::kQ3_K || file_type == FileType::kQ4_K || file_type == FileType::kQ5_K;
}

}  // namespace

DType pick_tensor_type(FileType file_type, TensorRole role, int64_t layer_idx, int64_t n_cols,
                       const MixContext& context) {
  const DType base = base_type(file_type);
  if (base == DType::kF32 || base == DType::kF16 || base == DType::kBF16) return base;
  if (plain_k_type(file_type)) {
    const bool is_output = role == TensorRole::kOutput || (role == TensorRole::kTokenEmbedding && context.tied_output);
    return fit_to_row(is_output ? DType::kQ6_K : base, n_cols);
  }
  return fit_to_row(llama_mix_type(file_type, base, role, layer_idx, n_cols, context), n_cols);
}

}  // namespace hearth::model
