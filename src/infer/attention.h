// Causal multi-head attention over the KV cache, with grouped-query heads.
//
// For query token t at position first_pos + t and head h, with kv head
// g = h / (n_head / n_head_kv):
//   out[t][h] = sum_{j <= first_pos + t} softmax_j(q[t][h] . K[j][g] * scale) V[j][g]
// scale = 1/sqrt(head_dim); scores and softmax in float. The K/V rows of the
// query tokens themselves must already be in the cache.
#pragma once

#include <cstdint>

#include "base/thread_pool.h"
#include "infer/kv_cache.h"

namespace hearth::infer {

struct AttentionShape {
  int64_t n_head;
  int64_t n_head_kv;
  int64_t head_dim;
};

// q and out are [n_tokens x n_head x head_dim]. scores_scratch holds
// pool.n_threads() * cache.n_ctx() floats (one score row per worker).
// Work is split over (token, head) pairs across the pool.
void causal_attention(const KvCache& cache, int64_t layer, const AttentionShape& shape,
                      const float* q, int64_t first_pos, int64_t n_tokens, float* out,
                      float* scores_scratch, ThreadPool& pool);

}  // namespace hearth::infer
