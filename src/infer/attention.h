// Causal multi-head attention over the paged KV cache, with grouped-query heads.
//
// For query token t of a batch, at position pos_t of its sequence, and head h
// with kv head g = h / (n_head / n_head_kv):
//   out[t][h] = sum_{first_t <= j <= pos_t} softmax_j(cap(q[t][h] . K[j][g] * scale)) V[j][g]
// with first_t = 0, or pos_t - window + 1 (at least 0) for a sliding window:
// positions before first_t are never read; cap is the identity or the
// soft-cap C tanh(s / C). scale is model::attention_scale
// (1/sqrt(head_dim) but for gemma3 27B); scores and softmax in float. K[j] is read from
// the sequence's block table (see kv_block_pool.h); the K/V rows of the query
// tokens themselves must already be stored. A token's result depends only on
// its own query and its sequence's cache, never on the rest of the batch.
#pragma once

#include <cstdint>
#include <span>

#include "base/thread_pool.h"
#include "infer/kv_block_pool.h"

namespace hearth::infer {

struct AttentionShape {
  int64_t n_head;
  int64_t n_head_kv;
  int64_t head_dim;
  float scale;         // multiplies every score
  int64_t window = 0;  // 0: every earlier position; N: the last N positions, the query's own included
  // 0: none; C > 0: each scaled score s becomes C * tanh(s / C) before the softmax (gemma2).
  float softcap = 0.0f;
};

// One query token: the block table of its sequence and its position there.
struct AttentionQuery {
  const int32_t* blocks;
  int64_t pos;
};

// q and out are [queries.size() x n_head x head_dim]. scores_scratch holds
// pool.n_threads() rows of scores_stride floats (one score row per worker);
// scores_stride > every query's pos (or >= window). Work is split over (token, head) pairs.
void paged_attention(const KvBlockPool& cache, int64_t layer, const AttentionShape& shape,
                     std::span<const AttentionQuery> queries, const float* q, float* out, float* scores_scratch,
                     int64_t scores_stride, ThreadPool& pool);

}  // namespace hearth::infer
