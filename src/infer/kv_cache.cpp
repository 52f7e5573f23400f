#include "infer/kv_cache.h"

#include <cassert>
#include <string>

namespace hearth::infer {

KvCache::KvCache(int64_t n_layer, int64_t n_ctx, int64_t n_head_kv, int64_t head_dim)
    : n_layer_(n_layer), n_ctx_(n_ctx), row_elems_(n_head_kv * head_dim) {
  assert(n_layer >= 1 && n_ctx >= 1 && n_head_kv >= 1 && head_dim >= 1);
  const size_t n_elems = static_cast<size_t>(n_layer_ * n_ctx_ * row_elems_);
  k_.assign(n_elems, 0);
  v_.assign(n_elems, 0);
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
