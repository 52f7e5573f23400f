// KvCache: the keys and values of one sequence, per layer, as IEEE halves.
//
// Layout per layer: [n_ctx x n_head_kv x head_dim], so the K (or V) row of one
// position is n_head_kv * head_dim contiguous halves and head g's slice of it
// starts at g * head_dim. Capacity is fixed at construction; positions
// [0, n_past) hold valid entries.
//
// The forward pass reaches rows only through k_row()/v_row(), so a paged cache
// (a later issue) can replace the flat buffer behind the same calls.
//
// Thread-safety: none; the owning InferContext drives it from one thread
// (attention workers only read rows while the engine thread waits).
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"

namespace hearth::infer {

class KvCache {
 public:
  // Preconditions (checked by InferContext::create): all arguments >= 1.
  KvCache(int64_t n_layer, int64_t n_ctx, int64_t n_head_kv, int64_t head_dim);

  int64_t n_layer() const { return n_layer_; }
  int64_t n_ctx() const { return n_ctx_; }
  int64_t row_elems() const { return row_elems_; }  // n_head_kv * head_dim
  int64_t n_past() const { return n_past_; }
  int64_t n_bytes() const { return static_cast<int64_t>((k_.size() + v_.size()) * sizeof(uint16_t)); }

  // Row of position `pos` in `layer`. Preconditions: layer < n_layer, pos < n_ctx.
  uint16_t* k_row(int64_t layer, int64_t pos) { return k_.data() + offset(layer, pos); }
  uint16_t* v_row(int64_t layer, int64_t pos) { return v_.data() + offset(layer, pos); }
  const uint16_t* k_row(int64_t layer, int64_t pos) const { return k_.data() + offset(layer, pos); }
  const uint16_t* v_row(int64_t layer, int64_t pos) const { return v_.data() + offset(layer, pos); }

  // Marks positions [n_past, n_past + n) valid once the forward pass has
  // written them in every layer. kOutOfRange if that passes n_ctx.
  Status commit(int64_t n);
  // Forgets every position.
  void clear() { n_past_ = 0; }
  // Keeps positions [0, n) (prompt reuse). kOutOfRange unless 0 <= n <= n_past.
  Status truncate(int64_t n);

 private:
  int64_t offset(int64_t layer, int64_t pos) const { return (layer * n_ctx_ + pos) * row_elems_; }

  int64_t n_layer_;
  int64_t n_ctx_;
  int64_t row_elems_;
  int64_t n_past_ = 0;
  std::vector<uint16_t> k_;
  std::vector<uint16_t> v_;
};

}  // namespace hearth::infer
