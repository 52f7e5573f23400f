// GgufWriter: builds a GGUF v3 file (model synthesis, tests, conversions).
// Metadata and tensor infos are collected in memory; tensor data is streamed
// to the file by write(), so writing an 8B model does not hold it twice.
// Not thread-safe: add everything, then write() from one thread.
//
//   GgufWriter writer;
//   writer.add_string("general.architecture", "llama");
//   writer.add_tensor("output_norm.weight", {n_embd}, DType::kF32, bytes);
//   HEARTH_RETURN_IF_ERROR(writer.write(path));  // writes path.tmp, then renames
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "tensor/dtype.h"

namespace hearth::model {

class GgufWriter {
 public:
  void add_uint8(std::string key, uint8_t value);
  void add_int8(std::string key, int8_t value);
  void add_uint16(std::string key, uint16_t value);
  void add_int16(std::string key, int16_t value);
  void add_uint32(std::string key, uint32_t value);
  void add_int32(std::string key, int32_t value);
  void add_uint64(std::string key, uint64_t value);
  void add_int64(std::string key, int64_t value);
  void add_float32(std::string key, float value);
  void add_float64(std::string key, double value);
  void add_bool(std::string key, bool value);
  void add_string(std::string key, std::string value);
  void add_string_array(std::string key, std::vector<std::string> values);
  void add_float32_array(std::string key, std::vector<float> values);
  void add_int32_array(std::string key, std::vector<int32_t> values);

  // dims: ne[0] first (row length). `fill` writes exactly the tensor's bytes
  // into `dst` when write() reaches it, so data can be produced lazily.
  using FillFn = std::function<void(uint8_t* dst, uint64_t n_bytes)>;
  void add_tensor(std::string name, std::vector<int64_t> dims, tensor::DType dtype, FillFn fill);
  void add_tensor(std::string name, std::vector<int64_t> dims, tensor::DType dtype,
                  std::vector<uint8_t> bytes);

  // Writes to `path` + ".tmp", fsyncs and renames on success, so a crash never
  // leaves a half-written file under the final name. kInvalidArgument (and no
  // file) for a duplicate key or tensor name, a key "general.alignment" (pass
  // `alignment` instead; it is written when not 32), a name longer than 64
  // bytes, 0 or more than 4 dims, rows that are not whole blocks, or bytes
  // whose size is not the tensor's. Tensor data goes through one reusable
  // buffer of the largest tensor's size.
  Status write(const std::string& path, uint32_t alignment = 32) const;

 private:
  std::vector<std::vector<uint8_t>> kv_records_;  // each key-value encoded as in the file
  struct PendingTensor {
    std::string name;
    std::vector<int64_t> dims;
    tensor::DType dtype;
    FillFn fill;
    int64_t given_bytes = -1;  // size of the bytes passed to add_tensor; -1 for a FillFn
  };
  std::vector<PendingTensor> tensors_;
};

}  // namespace hearth::model
