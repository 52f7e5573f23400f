#include "infer/kv_block_pool.h"

#include <cassert>
#include <cstring>

#include "tensor/ops.h"

namespace hearth::infer {

KvBlockPool::KvBlockPool(const KvShape& shape, int32_t n_blocks, int64_t block_tokens, tensor::DType dtype)
    : dtype_(dtype),
      n_layer_(shape.n_layer),
      block_tokens_(block_tokens),
      row_elems_(shape.n_head_kv * shape.head_dim),
      ref_counts_(static_cast<size_t>(n_blocks), 0) {
  assert(shape.n_layer >= 1 && shape.n_head_kv >= 1 && shape.head_dim >= 1);
  assert(n_blocks >= 1 && block_tokens >= 1);
  assert(dtype == tensor::DType::kF16 || dtype == tensor::DType::kF32);
  free_.reserve(static_cast<size_t>(n_blocks));
  // Lowest ids are handed out first.
  for (int32_t block = n_blocks - 1; block >= 0; --block) free_.push_back(block);
  const size_t n_elems = static_cast<size_t>(n_layer_ * n_blocks * block_tokens_ * row_elems_);
  if (dtype_ == tensor::DType::kF16) {
    k16_.assign(n_elems, 0);
    v16_.assign(n_elems, 0);
  } else {
    k32_.assign(n_elems, 0.0f);
    v32_.assign(n_elems, 0.0f);
  }
}

int64_t KvBlockPool::bytes_per_token(const KvShape& shape, tensor::DType dtype) {
  const int64_t elem_bytes = dtype == tensor::DType::kF16 ? 2 : 4;
  return 2 * shape.n_layer * shape.n_head_kv * shape.head_dim * elem_bytes;
}

int64_t KvBlockPool::n_bytes() const {
  return static_cast<int64_t>((k16_.size() + v16_.size()) * sizeof(uint16_t) +
                              (k32_.size() + v32_.size()) * sizeof(float));
}

int32_t KvBlockPool::allocate() {
  if (free_.empty()) return -1;
  const int32_t block = free_.back();
  free_.pop_back();
  ref_counts_[static_cast<size_t>(block)] = 1;
  return block;
}

void KvBlockPool::retain(int32_t block) {
  assert(ref_counts_[static_cast<size_t>(block)] > 0 && "retain of a free block");
  ++ref_counts_[static_cast<size_t>(block)];
}

void KvBlockPool::release(int32_t block) {
  int32_t& count = ref_counts_[static_cast<size_t>(block)];
  assert(count > 0 && "release of a free block");
  if (--count == 0) free_.push_back(block);
}

void KvBlockPool::store(int64_t layer, int32_t block, int64_t slot, const float* k, const float* v) {
  const size_t at = offset(layer, block) + static_cast<size_t>(slot * row_elems_);
  if (dtype_ == tensor::DType::kF16) {
    tensor::convert_f32_to_f16(k, k16_.data() + at, row_elems_);
    tensor::convert_f32_to_f16(v, v16_.data() + at, row_elems_);
  } else {
    std::memcpy(k32_.data() + at, k, sizeof(float) * static_cast<size_t>(row_elems_));
    std::memcpy(v32_.data() + at, v, sizeof(float) * static_cast<size_t>(row_elems_));
  }
}

}  // namespace hearth::infer
