#include "infer/attention.h"

#include <cmath>
#include <cstring>

#include "tensor/ops.h"

namespace hearth::infer {
namespace {

// Row access and kernels per cache type.
struct F16Rows {
  static const uint16_t* k(const KvCache& c, int64_t layer, int64_t pos) { return c.k_row_f16(layer, pos); }
  static const uint16_t* v(const KvCache& c, int64_t layer, int64_t pos) { return c.v_row_f16(layer, pos); }
  static float dot(const uint16_t* k, const float* q, int64_t n) { return tensor::dot_f16_f32(k, q, n); }
  static void axpy(float alpha, const uint16_t* v, float* y, int64_t n) { tensor::axpy_f16(alpha, v, y, n); }
};

struct F32Rows {
  static const float* k(const KvCache& c, int64_t layer, int64_t pos) { return c.k_row_f32(layer, pos); }
  static const float* v(const KvCache& c, int64_t layer, int64_t pos) { return c.v_row_f32(layer, pos); }
  static float dot(const float* k, const float* q, int64_t n) { return tensor::dot_f32(k, q, n); }
  static void axpy(float alpha, const float* v, float* y, int64_t n) {
    for (int64_t idx = 0; idx < n; ++idx) y[idx] += alpha * v[idx];
  }
};

template <typename Rows>
void attend(const KvCache& cache, int64_t layer, const AttentionShape& shape, const float* q,
            int64_t first_pos, int64_t n_tokens, float* out, float* scores_scratch,
            ThreadPool& pool) {
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
        scores[pos] = Rows::dot(Rows::k(cache, layer, pos) + kv_offset, q_head, head_dim) * scale;
      }
      tensor::softmax(scores, n_keys);
      std::memset(out_head, 0, sizeof(float) * static_cast<size_t>(head_dim));
      for (int64_t pos = 0; pos < n_keys; ++pos) {
        Rows::axpy(scores[pos], Rows::v(cache, layer, pos) + kv_offset, out_head, head_dim);
      }
    }
  });
}

}  // namespace

void causal_attention(const KvCache& cache, int64_t layer, const AttentionShape& shape,
                      const float* q, int64_t first_pos, int64_t n_tokens, float* out,
                      float* scores_scratch, ThreadPool& pool) {
  if (cache.dtype() == tensor::DType::kF16) {
    attend<F16Rows>(cache, layer, shape, q, first_pos, n_tokens, out, scores_scratch, pool);
  } else {
    attend<F32Rows>(cache, layer, shape, q, first_pos, n_tokens, out, scores_scratch, pool);
  }
}

}  // namespace hearth::infer
