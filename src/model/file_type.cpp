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

constexpr std::array<FileTypeName, 17> kNames = {{
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
}};

constexpr std::array<FileType, 17> kAll = {
    FileType::kF32,  FileType::kF16,    FileType::kBF16,   FileType::kQ8_0,   FileType::kQ4_0, FileType::kQ4_K,
    FileType::kQ5_K, FileType::kQ6_K,   FileType::kQ4_K_M, FileType::kQ5_K_M, FileType::kQ5_0, FileType::kQ5_1,
    FileType::kQ4_1, FileType::kIQ4_NL, FileType::kIQ4_XS, FileType::kQ3_K,   FileType::kQ2_K};

// K types and IQ4_XS need whole 256-value super-blocks per row; the low-bit
// ones fall back to IQ4_NL, as llama.cpp's quantizer does.
DType fit_to_row(DType wanted, int64_t n_cols) {
  if (tensor::dtype_info(wanted).block_elems != 256 || n_cols % 256 == 0) return wanted;
  switch (wanted) {
    case DType::kQ4_K:
      return DType::kQ4_0;
    case DType::kQ2_K:
    case DType::kQ3_K:
    case DType::kIQ4_XS:
      return DType::kIQ4_NL;
    default:
      return DType::kQ8_0;
  }
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
      return DType::kQ5_K;
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
  }
  return 0;
}

DType pick_tensor_type(FileType file_type, TensorRole role, int64_t layer_idx, int64_t n_layer, int64_t n_cols,
                       bool tied_output) {
  const DType base = base_type(file_type);
  const bool quantized = base != DType::kF32 && base != DType::kF16 && base != DType::kBF16;
  const bool is_output = role == TensorRole::kOutput || (role == TensorRole::kTokenEmbedding && tied_output);
  if (is_output && quantized && base != DType::kQ8_0 && base != DType::kQ6_K) {
    return fit_to_row(DType::kQ6_K, n_cols);
  }
  const bool mixture = file_type == FileType::kQ4_K_M || file_type == FileType::kQ5_K_M;
  if (mixture && (role == TensorRole::kAttnV || role == TensorRole::kFfnDown) && uses_more_bits(layer_idx, n_layer)) {
    return fit_to_row(DType::kQ6_K, n_cols);
  }
  return fit_to_row(base, n_cols);
}

}  // namespace hearth::model
