#include "infer/kv_cache.h"

#include <cassert>
#include <cstring>
#include <string>

#include "tensor/ops.h"

namespace hearth::infer {

KvCache::KvCache(int64_t n_layer, int64_t n_ctx, int64_t n_head_kv, int64_t head_dim,
                 tensor::DType dtype)
    : dtype_(dtype), n_layer_(n_layer), n_ctx_(n_ctx), row_elems_(n_head_kv * head_dim) {
  assert(n_layer >= 1 && n_ctx >= 1 && n_head_kv >= 1 && head_dim >= 1);
  assert(dtype == tensor::DType::kF16 || dtype == tensor::DType::kF32);
  const size_t n_elems = static_cast<size_t>(n_layer_ * n_ctx_ * row_elems_);
  if (dtype_ == tensor::DType::kF16) {
    k16_.assign(n_elems, 0);
    v16_.assign(n_elems, 0);
  } else {
    k32_.assign(n_elems, 0.0f);
    v32_.assign(n_elems, 0.0f);
  }
}

int64_t KvCache::n_bytes() const {
  return static_cast<int64_t>((k16_.size() + v16_.size()) * sizeof(uint16_t) +
                              (k32_.size() + v32_.size()) * sizeof(float));
}

void KvCache::store(int64_t layer, int64_t pos, const float* k, const float* v) {
  const int64_t at = offset(layer, pos);
  if (dtype_ == tensor::DType::kF16) {
    tensor::convert_f32_to_f16(k, k16_.data() + at, row_elems_);
    tensor::convert_f32_to_f16(v, v16_.data() + at, row_elems_);
  } else {
    std::memcpy(k32_.data() + at, k, sizeof(float) * static_cast<size_t>(row_elems_));
    std::memcpy(v32_.data() + at, v, sizeof(float) * static_cast<size_t>(row_elems_));
  }
}

Status KvCache::commit(int64_t n) {
  if (n < 0 || n > n_ctx_ - n_past_) {
    return out_of_range_error("kv cache: committing " + std::to_string(n) + " positions after " +
                              std::to_string(n_past_) + " exceeds the context of " +
                              std::to_string(n_ctx_));
  }
  n_past_ += n;
  return ok_status();
}

Status KvCache::truncate(int64_t n) {
  if (n < 0 || n > n_past_) {
    return out_of_range_error("kv cache: cannot truncate to " + std::to_string(n) +
                              " positions; " + std::to_string(n_past_) + " are valid");
  }
  n_past_ = n;
  return ok_status();
}

}  // namespace hearth::infer
