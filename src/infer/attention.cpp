#include "infer/attention.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "tensor/ops.h"

namespace hearth::infer {
namespace {

// Block access and kernels per cache type.
struct F16Rows {
  using Elem = uint16_t;
  static const Elem* k(const KvBlockPool& c, int64_t layer, int32_t block) { return c.k_block_f16(layer, block); }
  static const Elem* v(const KvBlockPool& c, int64_t layer, int32_t block) { return c.v_block_f16(layer, block); }
  static void dot_rows(const Elem* k, int64_t stride, int64_t n_rows, const float* q, int64_t n, float scale,
                       float* out) {
    tensor::dot_f16_f32_rows(k, stride, n_rows, q, n, scale, out);
  }
  static void axpy_rows(const float* alpha, const Elem* v, int64_t stride, int64_t n_rows, float* y, int64_t n) {
    tensor::axpy_f16_rows(alpha, v, stride, n_rows, y, n);
  }
};

struct F32Rows {
  using Elem = float;
  static const Elem* k(const KvBlockPool& c, int64_t layer, int32_t block) { return c.k_block_f32(layer, block); }
  static const Elem* v(const KvBlockPool& c, int64_t layer, int32_t block) { return c.v_block_f32(layer, block); }
  static void dot_rows(const Elem* k, int64_t stride, int64_t n_rows, const float* q, int64_t n, float scale,
                       float* out) {
    for (int64_t row_idx = 0; row_idx < n_rows; ++row_idx) out[row_idx] = tensor::dot_f32(k + row_idx * stride, q, n) * scale;
  }
  static void axpy_rows(const float* alpha, const Elem* v, int64_t stride, int64_t n_rows, float* y, int64_t n) {
    for (int64_t row_idx = 0; row_idx < n_rows; ++row_idx) {
      for (int64_t idx = 0; idx < n; ++idx) y[idx] += alpha[row_idx] * v[row_idx * stride + idx];
    }
  }
};

template <typename Rows>
void attend(const KvBlockPool& cache, int64_t layer, const AttentionShape& shape,
            std::span<const AttentionQuery> queries, const float* q, float* out, float* scores_scratch,
            int64_t scores_stride, ThreadPool& pool) {
  const int64_t head_dim = shape.head_dim;
  const int64_t group = shape.n_head / shape.n_head_kv;
  const int64_t q_row = shape.n_head * head_dim;
  const int64_t row_elems = cache.row_elems();
  const int64_t block_tokens = cache.block_tokens();
  const float scale = shape.scale;
  const int64_t n_items = static_cast<int64_t>(queries.size()) * shape.n_head;
  pool.parallel_for(n_items, 1, [&](int64_t begin, int64_t end, int thread_idx) {
    float* scores = scores_scratch + static_cast<int64_t>(thread_idx) * scores_stride;
    for (int64_t item = begin; item < end; ++item) {
      const int64_t token_idx = item / shape.n_head;
      const int64_t head_idx = item % shape.n_head;
      const AttentionQuery& query = queries[static_cast<size_t>(token_idx)];
      const int64_t kv_offset = (head_idx / group) * head_dim;
      const float* q_head = q + token_idx * q_row + head_idx * head_dim;
      float* out_head = out + token_idx * q_row + head_idx * head_dim;
      // Keys [first_key, pos]; scores[key - first_key]. Blocks wholly before the window are skipped.
      const int64_t first_key = shape.window > 0 ? std::max<int64_t>(0, query.pos - shape.window + 1) : 0;
      const int64_t n_keys = query.pos + 1 - first_key;
      const auto for_each_row = [&](auto&& visit) {
        for (int64_t key = first_key; key <= query.pos;) {
          const int64_t block_idx = key / block_tokens;
          const int64_t slot0 = key % block_tokens;
          const int64_t n_rows = std::min(block_tokens - slot0, query.pos + 1 - key);
          visit(query.blocks[block_idx], slot0, n_rows, key - first_key);
          key += n_rows;
        }
      };
      for_each_row([&](int32_t block, int64_t slot0, int64_t n_rows, int64_t score0) {
        const typename Rows::Elem* k_rows = Rows::k(cache, layer, block) + kv_offset;
        Rows::dot_rows(k_rows + slot0 * row_elems, row_elems, n_rows, q_head, head_dim, scale, scores + score0);
      });
      if (shape.softcap > 0.0f) {
        const float cap = shape.softcap;
        for (int64_t key_idx = 0; key_idx < n_keys; ++key_idx) scores[key_idx] = cap * std::tanh(scores[key_idx] / cap);
      }
      tensor::softmax(scores, n_keys);
      std::memset(out_head, 0, sizeof(float) * static_cast<size_t>(head_dim));
      for_each_row([&](int32_t block, int64_t slot0, int64_t n_rows, int64_t score0) {
        const typename Rows::Elem* v_rows = Rows::v(cache, layer, block) + kv_offset;
        Rows::axpy_rows(scores + score0, v_rows + slot0 * row_elems, row_elems, n_rows, out_head, head_dim);
      });
    }
  });
}

}  // namespace

void paged_attention(const KvBlockPool& cache, int64_t layer, const AttentionShape& shape,
                     std::span<const AttentionQuery> queries, const float* q, float* out, float* scores_scratch,
                     int64_t scores_stride, ThreadPool& pool) {
  if (cache.dtype() == tensor::DType::kF16) {
    attend<F16Rows>(cache, layer, shape, queries, q, out, scores_scratch, scores_stride, pool);
  } else {
    attend<F32Rows>(cache, layer, shape, queries, q, out, scores_scratch, scores_stride, pool);
  }
}

}  // namespace hearth::infer
