// Table of the supported tensor types.
#include "tensor/dtype.h"

#include <array>
#include <cassert>
#include <cctype>

namespace hearth::tensor {
namespace {

constexpr std::array<DTypeInfo, 16> kDTypes = {{
    {DType::kF32, "f32", 1, 4},
    {DType::kF16, "f16", 1, 2},
    {DType::kQ4_0, "q4_0", 32, 18},
    {DType::kQ4_1, "q4_1", 32, 20},
    {DType::kQ5_0, "q5_0", 32, 22},
    {DType::kQ5_1, "q5_1", 32, 24},
    {DType::kQ8_0, "q8_0", 32, 34},
    {DType::kQ2_K, "q2_k", 256, 84},
    {DType::kQ3_K, "q3_k", 256, 110},
    {DType::kQ4_K, "q4_k", 256, 144},
    {DType::kQ5_K, "q5_k", 256, 176},
    {DType::kQ6_K, "q6_k", 256, 210},
    {DType::kQ8_K, "q8_k", 256, 292},
    {DType::kIQ4_NL, "iq4_nl", 32, 18},
    {DType::kIQ4_XS, "iq4_xs", 256, 136},
    {DType::kBF16, "bf16", 1, 2},
}};

// Every ggml_type id in use or once used, as ggml names it (4, 5 and 31-33,
// 36-38 are retired layouts, kept so an old file gets a precise refusal).
// ref: ggml/include/ggml.h (enum ggml_type)
constexpr std::array<std::string_view, 40> kGgmlTypeNames = {
    "F32",    "F16",      "Q4_0",     "Q4_1",     "Q4_2",  "Q4_3",  "Q5_0",       "Q5_1",       "Q8_0",       "Q8_1",
    "Q2_K",   "Q3_K",     "Q4_K",     "Q5_K",     "Q6_K",  "Q8_K",  "IQ2_XXS",    "IQ2_XS",     "IQ3_XXS",    "IQ1_S",
    "IQ4_NL", "IQ3_S",    "IQ2_S",    "IQ4_XS",   "I8",    "I16",   "I32",        "I64",        "F64",        "IQ1_M",
    "BF16",   "Q4_0_4_4", "Q4_0_4_8", "Q4_0_8_8", "TQ1_0", "TQ2_0", "IQ4_NL_4_4", "IQ4_NL_4_8", "IQ4_NL_8_8", "MXFP4",
};

}  // namespace

const DTypeInfo* find_dtype(uint32_t ggml_type_id) {
  for (const DTypeInfo& info : kDTypes) {
    if (static_cast<uint32_t>(info.dtype) == ggml_type_id) return &info;
  }
  return nullptr;
}

std::string_view ggml_type_name(uint32_t ggml_type_id) {
  return ggml_type_id < kGgmlTypeNames.size() ? kGgmlTypeNames[ggml_type_id] : std::string_view();
}

const DTypeInfo& dtype_info(DType dtype) {
  const DTypeInfo* info = find_dtype(static_cast<uint32_t>(dtype));
  // Every enumerator of DType has a table entry; a cast from an unchecked id is a bug.
  assert(info != nullptr);
  return *info;
}

std::optional<DType> parse_dtype(std::string_view name) {
  for (const DTypeInfo& info : kDTypes) {
    if (info.name.size() != name.size()) continue;
    bool equal = true;
    for (size_t char_idx = 0; char_idx < name.size(); ++char_idx) {
      const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(name[char_idx])));
      if (lower != info.name[char_idx]) {
        equal = false;
        break;
      }
    }
    if (equal) return info.dtype;
  }
  return std::nullopt;
}

int64_t row_bytes(DType dtype, int64_t n_elems) {
  const DTypeInfo& info = dtype_info(dtype);
  assert(n_elems % info.block_elems == 0);
  return n_elems / info.block_elems * info.block_bytes;
}

}  // namespace hearth::tensor
