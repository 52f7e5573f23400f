// GGUF v3 reader: a memory-mapped model file whose every offset, size, count
// and string is checked before use. A truncated or hostile file yields a
// kDataLoss (or kUnimplemented for unsupported types) Status, never a crash or
// an out-of-bounds read. A GgufFile never changes after parsing: its const
// methods may be called from any number of threads. The file must not be
// truncated by another process while mapped (the kernel would raise SIGBUS).
// ref: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
//
//   HEARTH_ASSIGN_OR_RETURN(GgufFile file, GgufFile::open(path));
//   HEARTH_ASSIGN_OR_RETURN(std::string_view arch, file.get_string("general.architecture"));
//   const GgufTensorInfo* embd = file.find_tensor("token_embd.weight");
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "tensor/dtype.h"

namespace hearth::model {

enum class GgufValueType : uint32_t {
  kUint8 = 0, kInt8 = 1, kUint16 = 2, kInt16 = 3, kUint32 = 4, kInt32 = 5,
  kFloat32 = 6, kBool = 7, kString = 8, kArray = 9, kUint64 = 10, kInt64 = 11, kFloat64 = 12,
};

// Bytes of one value of a fixed-size type; 0 for kString and kArray (and ids past kFloat64).
uint64_t gguf_scalar_bytes(GgufValueType type);
// "uint32", "string", ...; "unknown" for ids past kFloat64. For error messages.
const char* gguf_type_name(GgufValueType type);

// Explicit limits on what a file may declare; exceeding one is kDataLoss.
struct GgufLimits {
  uint64_t max_kv_count = 1u << 16;
  uint64_t max_tensor_count = 1u << 20;
  uint64_t max_string_bytes = 16u << 20;  // chat templates can be large; names are not
  uint64_t max_array_elems = 1u << 24;    // vocabularies are ~256k entries
  uint32_t max_alignment = 1u << 16;
};

// One metadata value. Scalars are decoded; strings and arrays point into the file.
class GgufValue {
 public:
  GgufValueType type() const { return type_; }
  // Array element type and length (type() == kArray only).
  GgufValueType array_type() const { return array_type_; }
  uint64_t array_size() const { return array_size_; }

  // Numeric accessors convert any integer (resp. number) type and fail on
  // other types or on values that do not fit.
  Result<uint64_t> as_uint() const;
  Result<int64_t> as_int() const;
  Result<double> as_float() const;
  Result<bool> as_bool() const;
  Result<std::string_view> as_string() const;
  Result<std::vector<std::string_view>> as_string_array() const;
  Result<std::vector<float>> as_float_array() const;     // any numeric element type
  Result<std::vector<int32_t>> as_int32_array() const;   // any integer element type that fits

 private:
  friend class GgufFile;
  GgufValueType type_ = GgufValueType::kUint8;
  GgufValueType array_type_ = GgufValueType::kUint8;
  uint64_t array_size_ = 0;
  uint64_t bits_ = 0;          // scalar payload, little-endian bits widened to 64
  const uint8_t* ptr_ = nullptr;  // string bytes, or first array element
  uint64_t str_len_ = 0;       // string length (kString)
  // Element offsets of a string array, validated at parse time.
  std::shared_ptr<const std::vector<std::string_view>> strings_;  // shared: copies of one parsed value
};

struct GgufTensorInfo {
  std::string name;
  int n_dims = 0;
  std::array<int64_t, 4> ne{1, 1, 1, 1};  // ne[0] is the innermost (row) length
  tensor::DType dtype = tensor::DType::kF32;
  uint64_t offset = 0;   // from the start of the data section, aligned
  uint64_t n_bytes = 0;  // checked against the file size
  const uint8_t* data = nullptr;  // into the mapping; valid while the GgufFile lives

  int64_t n_elements() const { return ne[0] * ne[1] * ne[2] * ne[3]; }
};

class GgufFile {
 public:
  // Maps the file read-only and parses it. Tensor data stays on disk until touched.
  static Result<GgufFile> open(const std::string& path, const GgufLimits& limits = {});
  // Parses bytes the caller keeps alive for the GgufFile's lifetime (fuzzing, tests).
  static Result<GgufFile> parse(std::span<const uint8_t> bytes, const GgufLimits& limits = {});

  GgufFile(GgufFile&&) noexcept;
  GgufFile& operator=(GgufFile&&) noexcept;
  ~GgufFile();

  uint32_t version() const { return version_; }
  uint32_t alignment() const { return alignment_; }
  uint64_t file_bytes() const { return bytes_.size(); }
  // Whether the bytes are this object's read-only file mapping (open()), not the caller's (parse()).
  bool is_mapped() const { return mapping_ != nullptr; }

  // Metadata keys in file order.
  const std::vector<std::string>& keys() const { return keys_; }
  const GgufValue* find(std::string_view key) const;
  // Typed lookups: kNotFound when absent, kInvalidArgument naming the key on a wrong type.
  Result<std::string_view> get_string(std::string_view key) const;
  Result<uint64_t> get_uint(std::string_view key) const;
  Result<double> get_float(std::string_view key) const;
  Result<bool> get_bool(std::string_view key) const;
  Result<std::vector<std::string_view>> get_string_array(std::string_view key) const;
  Result<std::vector<float>> get_float_array(std::string_view key) const;
  Result<std::vector<int32_t>> get_int32_array(std::string_view key) const;

  const std::vector<GgufTensorInfo>& tensors() const { return tensors_; }
  // Sum of every tensor's n_bytes: what the weights occupy in the mapping.
  int64_t tensor_data_bytes() const;
  const GgufTensorInfo* find_tensor(std::string_view name) const;

 private:
  GgufFile() = default;
  Status parse_all(const GgufLimits& limits);

  struct Mapping;  // munmap on destruction
  std::unique_ptr<Mapping> mapping_;
  std::span<const uint8_t> bytes_;
  uint32_t version_ = 0;
  uint32_t alignment_ = 32;
  std::vector<std::string> keys_;
  std::unordered_map<std::string, GgufValue> values_;
  std::vector<GgufTensorInfo> tensors_;
  std::unordered_map<std::string, size_t> tensor_index_;
};

}  // namespace hearth::model
