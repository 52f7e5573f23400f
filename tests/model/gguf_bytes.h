// GgufBytes: hand-assembles GGUF bytes, valid or not, for tests of the reader
// (the writer refuses to produce malformed files, so these are built here).
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "model/gguf.h"

namespace hearth::model::test {

class GgufBytes {
 public:
  template <typename T>
  GgufBytes& put(T value) {
    const size_t at = bytes_.size();
    bytes_.resize(at + sizeof(T));
    std::memcpy(bytes_.data() + at, &value, sizeof(T));
    return *this;
  }
  GgufBytes& u8(uint8_t value) { return put(value); }
  GgufBytes& u32(uint32_t value) { return put(value); }
  GgufBytes& u64(uint64_t value) { return put(value); }
  GgufBytes& type(GgufValueType type) { return u32(static_cast<uint32_t>(type)); }
  GgufBytes& str(std::string_view text) {
    u64(text.size());
    bytes_.insert(bytes_.end(), text.begin(), text.end());
    return *this;
  }
  GgufBytes& header(uint64_t n_tensors, uint64_t n_kv, uint32_t version = 3) {
    return u32(0x46554747).u32(version).u64(n_tensors).u64(n_kv);
  }
  // One tensor info: name, dims, ggml type id, data offset.
  GgufBytes& tensor_info(std::string_view name, const std::vector<uint64_t>& dims, uint32_t type_id, uint64_t offset) {
    str(name).u32(static_cast<uint32_t>(dims.size()));
    for (uint64_t extent : dims) u64(extent);
    return u32(type_id).u64(offset);
  }
  GgufBytes& pad_to(uint64_t alignment) {
    while (bytes_.size() % alignment != 0) bytes_.push_back(0);
    return *this;
  }
  GgufBytes& zeros(uint64_t n) {
    bytes_.resize(bytes_.size() + n, 0);
    return *this;
  }

  size_t size() const { return bytes_.size(); }
  const std::vector<uint8_t>& bytes() const { return bytes_; }

 private:
  std::vector<uint8_t> bytes_;
};

}  // namespace hearth::model::test
