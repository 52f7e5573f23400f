// Tensor element types and their block layouts, as GGUF files store them.
//
// Values of DType are ggml_type ids (the number stored in a GGUF tensor info).
// ref: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
// Quantized types store blocks of `block_elems` values in `block_bytes` bytes;
// a row of n values is n / block_elems consecutive blocks.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace hearth::tensor {

enum class DType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,  // activation type for K-quant dot products; never a weight in hearth's files
  kIQ4_NL = 20,
  kIQ4_XS = 23,
  kBF16 = 30,
};

struct DTypeInfo {
  DType dtype;
  std::string_view name;  // lower case, as in file names: "q4_0", "f16"
  int64_t block_elems;    // values per block (1 for float types)
  int64_t block_bytes;    // bytes per block
};

// nullptr when the id is not a type hearth supports.
const DTypeInfo* find_dtype(uint32_t ggml_type_id);
// ggml's upper-case name of any type id ggml has defined ("IQ2_XXS", "Q4_1"),
// supported by hearth or not, for messages; empty for an id ggml never used.
std::string_view ggml_type_name(uint32_t ggml_type_id);
const DTypeInfo& dtype_info(DType dtype);
// Accepts the lower-case names above ("q4_k" and "Q4_K" alike); nullopt otherwise.
std::optional<DType> parse_dtype(std::string_view name);

// Bytes of a row of n_elems values. Precondition: n_elems % block_elems == 0.
int64_t row_bytes(DType dtype, int64_t n_elems);

}  // namespace hearth::tensor
