// KvBlockPool: the keys and values of many sequences, in fixed-size blocks.
//
// The pool holds n_blocks blocks of block_tokens positions each, for every
// layer. A sequence owns a block table (block ids in position order):
// position p lives in block table[p / block_tokens] at slot p % block_tokens.
// Blocks are reference-counted so sequences with a common prefix share them
// (see prefix_cache.h); a block returns to the free list when its last
// reference is released. Because every block has the same size, sequences of
// any mix of lengths share the memory without fragmentation.
//
// Values are IEEE halves (the default: half the memory, what the fast
// engines do) or floats (exact; for parity checks). Layout per layer:
// [n_blocks x block_tokens x n_head_kv x head_dim], so one block's rows of a
// layer are contiguous and kv head g's slice of a row starts at g * head_dim.
//
// Thread-safety: none. The engine thread allocates and releases; attention
// workers only read rows while the engine thread waits for them.
#pragma once

#include <cstdint>
#include <vector>

#include "tensor/dtype.h"

namespace hearth::infer {

struct KvShape {
  int64_t n_layer = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;
};

class KvBlockPool {
 public:
  // Preconditions (checked by the callers' create()): every size >= 1, dtype
  // kF16 or kF32. Allocates n_blocks * block_tokens positions up front
  // (std::bad_alloc when that fails).
  KvBlockPool(const KvShape& shape, int32_t n_blocks, int64_t block_tokens, tensor::DType dtype = tensor::DType::kF16);

  tensor::DType dtype() const { return dtype_; }
  int64_t n_layer() const { return n_layer_; }
  int32_t n_blocks() const { return static_cast<int32_t>(ref_counts_.size()); }
  int64_t block_tokens() const { return block_tokens_; }
  int64_t row_elems() const { return row_elems_; }  // n_head_kv * head_dim
  int32_t n_free() const { return static_cast<int32_t>(free_.size()); }
  int64_t n_bytes() const;
  // Bytes of K and V for one position over all layers.
  static int64_t bytes_per_token(const KvShape& shape, tensor::DType dtype);

  // Takes a free block with one reference; -1 when none is free.
  int32_t allocate();
  // Adds a reference to an allocated block.
  void retain(int32_t block);
  // Drops a reference; the block is free again when none is left.
  void release(int32_t block);
  int32_t ref_count(int32_t block) const { return ref_counts_[static_cast<size_t>(block)]; }

  // Writes the K and V rows (row_elems floats each) of one slot of a block,
  // rounding to the pool's type. Preconditions: layer < n_layer, block
  // allocated, slot < block_tokens.
  void store(int64_t layer, int32_t block, int64_t slot, const float* k, const float* v);

  // The first row of a block in a layer (block_tokens rows follow), of the
  // pool's type (dtype() kF16, resp. kF32).
  const uint16_t* k_block_f16(int64_t layer, int32_t block) const { return k16_.data() + offset(layer, block); }
  const uint16_t* v_block_f16(int64_t layer, int32_t block) const { return v16_.data() + offset(layer, block); }
  const float* k_block_f32(int64_t layer, int32_t block) const { return k32_.data() + offset(layer, block); }
  const float* v_block_f32(int64_t layer, int32_t block) const { return v32_.data() + offset(layer, block); }

 private:
  size_t offset(int64_t layer, int32_t block) const {
    return static_cast<size_t>(((layer * n_blocks() + block) * block_tokens_) * row_elems_);
  }

  tensor::DType dtype_;
  int64_t n_layer_;
  int64_t block_tokens_;
  int64_t row_elems_;
  std::vector<int32_t> ref_counts_;  // per block; 0 = free
  std::vector<int32_t> free_;        // free block ids, taken from the back
  // Only the pair of dtype_ is allocated.
  std::vector<uint16_t> k16_;
  std::vector<uint16_t> v16_;
  std::vector<float> k32_;
  std::vector<float> v32_;
};

}  // namespace hearth::infer
