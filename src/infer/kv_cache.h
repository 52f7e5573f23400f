// KvCache: the keys and values of one sequence, per layer.
//
// Values are stored as IEEE halves (the default: half the memory, and what
// the fast engines do) or as floats (exact; for parity checks and users who
// want bit-faithful attention). Layout per layer: [n_ctx x n_head_kv x
// head_dim], so the K (or V) row of one position is n_head_kv * head_dim
// contiguous values and kv head g's slice starts at g * head_dim. Capacity is
// fixed at construction; positions [0, n_past) hold valid entries.
//
// The forward pass reaches rows only through store() and the row accessors,
// so a paged cache (a later issue) can replace the flat buffers behind the
// same calls.
//
// Thread-safety: none; the owning InferContext drives it from one thread
// (attention workers only read rows while the engine thread waits).
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "tensor/dtype.h"

namespace hearth::infer {

class KvCache {
 public:
  // Preconditions (checked by InferContext::create): sizes >= 1, dtype kF16 or kF32.
  KvCache(int64_t n_layer, int64_t n_ctx, int64_t n_head_kv, int64_t head_dim,
          tensor::DType dtype = tensor::DType::kF16);

  tensor::DType dtype() const { return dtype_; }
  int64_t n_layer() const { return n_layer_; }
  int64_t n_ctx() const { return n_ctx_; }
  int64_t row_elems() const { return row_elems_; }  // n_head_kv * head_dim
  int64_t n_past() const { return n_past_; }
  int64_t n_bytes() const;

  // Writes the K and V rows (row_elems floats each) of `pos` in `layer`,
  // rounding to the cache's type. Preconditions: layer < n_layer, pos < n_ctx.
  void store(int64_t layer, int64_t pos, const float* k, const float* v);

  // Rows of the cache's type (dtype() kF16, resp. kF32). Same preconditions.
  const uint16_t* k_row_f16(int64_t layer, int64_t pos) const { return k16_.data() + offset(layer, pos); }
  const uint16_t* v_row_f16(int64_t layer, int64_t pos) const { return v16_.data() + offset(layer, pos); }
  const float* k_row_f32(int64_t layer, int64_t pos) const { return k32_.data() + offset(layer, pos); }
  const float* v_row_f32(int64_t layer, int64_t pos) const { return v32_.data() + offset(layer, pos); }

  // Marks positions [n_past, n_past + n) valid once the forward pass has
  // stored them in every layer. kOutOfRange if that passes n_ctx.
  Status commit(int64_t n);
  // Forgets every position.
  void clear() { n_past_ = 0; }
  // Keeps positions [0, n) (prompt reuse). kOutOfRange unless 0 <= n <= n_past.
  Status truncate(int64_t n);

 private:
  int64_t offset(int64_t layer, int64_t pos) const { return (layer * n_ctx_ + pos) * row_elems_; }

  tensor::DType dtype_;
  int64_t n_layer_;
  int64_t n_ctx_;
  int64_t row_elems_;
  int64_t n_past_ = 0;
  // Only the pair of dtype_ is allocated.
  std::vector<uint16_t> k16_;
  std::vector<uint16_t> v16_;
  std::vector<float> k32_;
  std::vector<float> v32_;
};

}  // namespace hearth::infer
