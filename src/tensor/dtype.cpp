// Table of the supported tensor types.
#include "tensor/dtype.h"

#include <array>
#include <cassert>
#include <cctype>

namespace hearth::tensor {
namespace {

constexpr std::array<DTypeInfo, 9> kDTypes = {{
    {DType::kF32, "f32", 1, 4},
    {DType::kF16, "f16", 1, 2},
    {DType::kQ4_0, "q4_0", 32, 18},
    {DType::kQ8_0, "q8_0", 32, 34},
    {DType::kQ4_K, "q4_k", 256, 144},
    {DType::kQ5_K, "q5_k", 256, 176},
    {DType::kQ6_K, "q6_k", 256, 210},
    {DType::kQ8_K, "q8_k", 256, 292},
    {DType::kBF16, "bf16", 1, 2},
}};

}  // namespace

const DTypeInfo* find_dtype(uint32_t ggml_type_id) {
  for (const DTypeInfo& info : kDTypes) {
    if (static_cast<uint32_t>(info.dtype) == ggml_type_id) return &info;
  }
  return nullptr;
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
