#include "infer/attention.h"

#include <cmath>
#include <cstring>

#include "tensor/ops.h"

namespace hearth::infer {

void causal_attention(const KvCache& cache, int64_t layer, const AttentionShape& shape,
                      const float* q, int64_t first_pos, int64_t n_tokens, float* out,
                      float* scores_scratch, ThreadPool& pool) {
  const int64_t head_dim = shape.head_dim;
  const int64_t group = shape.n_head / shape.n_head_kv;
  const int64_t q_row = shape.n_head * head_dim;
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(head_dim)));
  const int64_t n_items = n_tokens * shape.n_head;
  pool.parallel_for(n_items, 1, [&](int64_t begin, int64_t end, int thread_idx) {
    float* scores = scores_scratch + static_cast<int64_t>(thread_idx) * cache.n_ctx();
    for (int64_t item = begin; item < end; ++item) {
      const int64_t token_idx = item / shape.n_head;
      const int64_t head_idx = item % shape.n_head;
      const int64_t kv_offset = (head_idx / group) * head_dim;
      const float* q_head = q + token_idx * q_row + head_idx * head_dim;
      float* out_head = out + token_idx * q_row + head_idx * head_dim;
      const int64_t n_keys = first_pos + token_idx + 1;
      for (int64_t pos = 0; pos < n_keys; ++pos) {
        scores[pos] = tensor::dot_f16_f32(cache.k_row(layer, pos) + kv_offset, q_head, head_dim) * scale;
      }
      tensor::softmax(scores, n_keys);
      std::memset(out_head, 0, sizeof(float) * static_cast<size_t>(head_dim));
      for (int64_t pos = 0; pos < n_keys; ++pos) {
        tensor::axpy_f16(scores[pos], cache.v_row(layer, pos) + kv_offset, out_head, head_dim);
      }
    }
  });
}

}  // namespace hearth::infer
