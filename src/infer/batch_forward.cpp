#include "infer/batch_forward.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "tensor/matmul.h"
#include "tensor/ops.h"
#include "tensor/quant.h"

namespace hearth::infer {
namespace {

size_t elems(int64_t rows, int64_t width) { return static_cast<size_t>(rows * width); }

void add_bias(float* rows, const float* bias, int64_t n_rows, int64_t width) {
  for (int64_t row_idx = 0; row_idx < n_rows; ++row_idx) {
    tensor::add_inplace(rows + row_idx * width, bias, width);
  }
}

// RMS-normalizes each of n_rows rows of `width` values in place.
void norm_rows(float* rows, const float* weight, float eps, int64_t n_rows, int64_t width) {
  for (int64_t row_idx = 0; row_idx < n_rows; ++row_idx) {
    tensor::rms_norm(rows + row_idx * width, weight, eps, rows + row_idx * width, width);
  }
}

// gate[i] = gelu(gate[i]) * up[i], GELU with the tanh approximation (HF's
// "gelu_pytorch_tanh", ggml's gelu): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
void gelu_tanh_mul(float* gate, const float* up, int64_t n) {
  constexpr float kSqrt2OverPi = 0.7978845608028654f;
  for (int64_t idx = 0; idx < n; ++idx) {
    const float x = gate[idx];
    gate[idx] = 0.5f * x * (1.0f + std::tanh(kSqrt2OverPi * (x + 0.044715f * x * x * x))) * up[idx];
  }
}

// The RoPE of a family's sliding-window layers: their own base, no scaling.
model::LlamaConfig local_rope_config(const model::LlamaConfig& config) {
  model::LlamaConfig local = config;
  local.rope_theta = config.rope_local_theta;
  local.rope_scaling = {};
  return local;
}

}  // namespace

BatchForward::BatchForward(const LlamaModel& model, KvBlockPool& cache, ThreadPool& pool, int64_t max_batch_tokens,
                           int64_t max_positions)
    : model_(model),
      config_(model.config()),
      cache_(cache),
      pool_(pool),
      max_batch_tokens_(max_batch_tokens),
      max_positions_(max_positions),
      rope_(model.config(), model.weights().rope_freqs) {
  assert(max_batch_tokens >= 1 && max_positions >= 1);
  const int64_t batch = max_batch_tokens_;
  const int64_t q_dim = config_.n_head * config_.head_dim;
  const int64_t kv_dim = config_.n_head_kv * config_.head_dim;
  const bool fused_qkv = model.weights().layers.front().w_qkv.data != nullptr;
  const bool fused_gate_up = model.weights().layers.front().w_gate_up.data != nullptr;
  const bool experts = model.weights().layers.front().ffn_gate_inp.data != nullptr;
  queries_.reserve(static_cast<size_t>(batch));
  x_.resize(elems(batch, config_.n_embd));
  xn_.resize(elems(batch, config_.n_embd));
  q_.resize(elems(batch, q_dim));
  k_.resize(elems(batch, kv_dim));
  v_.resize(elems(batch, kv_dim));
  if (fused_qkv) qkv_.resize(elems(batch, q_dim + 2 * kv_dim));
  attn_.resize(elems(batch, q_dim));
  proj_.resize(elems(batch, config_.n_embd));
  if (experts) {
    moe_.emplace(config_, batch);
  } else {
    gate_.resize(elems(batch, (fused_gate_up ? 2 : 1) * config_.n_ff));
    if (!fused_gate_up) up_.resize(elems(batch, config_.n_ff));
  }
  rope_cos_.resize(elems(batch, rope_.n_pairs()));
  rope_sin_.resize(elems(batch, rope_.n_pairs()));
  if (config_.sliding_window > 0 && config_.global_layer_period > 0 && config_.rope_local_theta > 0.0f) {
    local_rope_.emplace(local_rope_config(config_));
    local_cos_.resize(elems(batch, local_rope_->n_pairs()));
    local_sin_.resize(elems(batch, local_rope_->n_pairs()));
  }
  scores_.resize(elems(pool_.n_threads(), max_positions_));
  logits_.resize(elems(1, config_.n_vocab));
}

int64_t BatchForward::scratch_bytes() const {
  size_t n_floats = 0;
  for (const std::vector<float>* buffer : {&x_, &xn_, &q_, &k_, &v_, &qkv_, &attn_, &proj_, &gate_, &up_, &rope_cos_,
                                           &rope_sin_, &local_cos_, &local_sin_, &scores_, &logits_}) {
    n_floats += buffer->size();
  }
  return static_cast<int64_t>(n_floats * sizeof(float) + queries_.capacity() * sizeof(AttentionQuery)) +
         (moe_ ? moe_->scratch_bytes() : 0);
}

std::span<const float> BatchForward::forward(std::span<const BatchSequence> batch, Output output) {
  const int64_t n_embd = config_.n_embd;
  const int64_t n_pairs = rope_.n_pairs();
  const tensor::WeightView& embd = model_.weights().token_embd;
  const int64_t embd_row_bytes = tensor::row_bytes(embd.dtype, n_embd);
  const auto* embd_data = static_cast<const uint8_t*>(embd.data);
  // gemma: HF multiplies by the float32 value of sqrt(n_embd).
  const float embd_scale = config_.scale_embedding ? std::sqrt(static_cast<float>(n_embd)) : 1.0f;

  // Lay the batch's tokens out one after another.
  queries_.clear();
  int64_t n_logit_rows = 0;
  for (const BatchSequence& seq : batch) {
    const int64_t token0 = static_cast<int64_t>(queries_.size());
    const int64_t n_seq_tokens = static_cast<int64_t>(seq.tokens.size());
    assert(token0 + n_seq_tokens <= max_batch_tokens_);
    assert(seq.first_pos + n_seq_tokens <= max_positions_);
    for (int64_t idx = 0; idx < n_seq_tokens; ++idx) {
      float* row = x_.data() + (token0 + idx) * n_embd;
      tensor::dequantize_row(embd.dtype, embd_data + seq.tokens[static_cast<size_t>(idx)] * embd_row_bytes, row,
                             n_embd);
      if (config_.scale_embedding) {
        for (int64_t dim_idx = 0; dim_idx < n_embd; ++dim_idx) row[dim_idx] *= embd_scale;
      }
      queries_.push_back({seq.blocks.data(), seq.first_pos + idx});
    }
    rope_.compute_angles(seq.first_pos, n_seq_tokens, rope_cos_.data() + token0 * n_pairs,
                         rope_sin_.data() + token0 * n_pairs);
    if (local_rope_) {
      local_rope_->compute_angles(seq.first_pos, n_seq_tokens, local_cos_.data() + token0 * n_pairs,
                                  local_sin_.data() + token0 * n_pairs);
    }
    n_logit_rows += seq.logits == LogitRows::kAll ? n_seq_tokens : seq.logits == LogitRows::kLast ? 1 : 0;
  }
  const int64_t n_tokens = static_cast<int64_t>(queries_.size());
  assert(n_tokens >= 1);

  for (int64_t layer_idx = 0; layer_idx < config_.n_layer; ++layer_idx) {
    forward_layer(layer_idx, n_tokens);
  }
  if (n_logit_rows == 0) return {};

  // Gather the rows that need logits, normed, into xn_.
  const model::LlamaWeights& weights = model_.weights();
  int64_t row_idx = 0;
  int64_t token0 = 0;
  for (const BatchSequence& seq : batch) {
    const int64_t n_seq_tokens = static_cast<int64_t>(seq.tokens.size());
    const int64_t first = seq.logits == LogitRows::kAll ? 0 : n_seq_tokens - 1;
    if (seq.logits != LogitRows::kNone) {
      for (int64_t idx = first; idx < n_seq_tokens; ++idx, ++row_idx) {
        tensor::rms_norm(x_.data() + (token0 + idx) * n_embd, weights.output_norm, config_.rms_eps,
                         xn_.data() + row_idx * n_embd, n_embd);
      }
    }
    token0 += n_seq_tokens;
  }
  if (output == Output::kHidden) return {xn_.data(), elems(n_logit_rows, n_embd)};
  if (logits_.size() < elems(n_logit_rows, config_.n_vocab)) logits_.resize(elems(n_logit_rows, config_.n_vocab));
  tensor::matmul(weights.output, xn_.data(), n_logit_rows, logits_.data(), pool_);
  if (config_.soft_capping) {  // gemma2: logits -> cap * tanh(logits / cap)
    const float cap = config_.final_softcap;
    for (size_t idx = 0; idx < elems(n_logit_rows, config_.n_vocab); ++idx) {
      logits_[idx] = cap * std::tanh(logits_[idx] / cap);
    }
  }
  return {logits_.data(), elems(n_logit_rows, config_.n_vocab)};
}

// Q, K and V of every token from xn_ into q_, k_, v_ (before RoPE and the Q/K norms).
void BatchForward::project_qkv(const model::LlamaLayerWeights& layer, int64_t n_tokens) {
  const int64_t q_dim = config_.n_head * config_.head_dim;
  const int64_t kv_dim = config_.n_head_kv * config_.head_dim;
  if (layer.w_qkv.data != nullptr) {
    const int64_t qkv_dim = q_dim + 2 * kv_dim;
    tensor::matmul(layer.w_qkv, xn_.data(), n_tokens, qkv_.data(), pool_);
    for (int64_t token_idx = 0; token_idx < n_tokens; ++token_idx) {
      const float* row = qkv_.data() + token_idx * qkv_dim;
      std::copy(row, row + q_dim, q_.data() + token_idx * q_dim);
      std::copy(row + q_dim, row + q_dim + kv_dim, k_.data() + token_idx * kv_dim);
      std::copy(row + q_dim + kv_dim, row + qkv_dim, v_.data() + token_idx * kv_dim);
    }
    return;
  }
  tensor::matmul(layer.wq, xn_.data(), n_tokens, q_.data(), pool_);
  tensor::matmul(layer.wk, xn_.data(), n_tokens, k_.data(), pool_);
  tensor::matmul(layer.wv, xn_.data(), n_tokens, v_.data(), pool_);
  if (config_.has_qkv_bias) {
    add_bias(q_.data(), layer.bq, n_tokens, q_dim);
    add_bias(k_.data(), layer.bk, n_tokens, kv_dim);
    add_bias(v_.data(), layer.bv, n_tokens, kv_dim);
  }
}

// The gated FFN of every token: xn_ in, proj_ out.
void BatchForward::feed_forward(const model::LlamaLayerWeights& layer, int64_t n_tokens) {
  if (moe_) {
    moe_->run(layer, xn_.data(), n_tokens, proj_.data(), pool_);
    return;
  }
  const int64_t n_ff = config_.n_ff;
  float* gate = gate_.data();
  const float* up = up_.data();
  if (layer.w_gate_up.data != nullptr) {
    // One product gives [gate | up] per token; compact the gated values into the first n_ff of each row's space.
    tensor::matmul(layer.w_gate_up, xn_.data(), n_tokens, gate_.data(), pool_);
    for (int64_t token_idx = 0; token_idx < n_tokens; ++token_idx) {
      const float* row = gate_.data() + token_idx * 2 * n_ff;
      tensor::silu_mul(row, row + n_ff, gate_.data() + token_idx * n_ff, n_ff);
    }
  } else {
    tensor::matmul(layer.w_gate, xn_.data(), n_tokens, gate_.data(), pool_);
    tensor::matmul(layer.w_up, xn_.data(), n_tokens, up_.data(), pool_);
    if (config_.ffn_activation == model::FfnActivation::kGeluTanh) {
      gelu_tanh_mul(gate, up, n_tokens * n_ff);
    } else {
      tensor::silu_mul(gate, up, gate, n_tokens * n_ff);
    }
  }
  tensor::matmul(layer.w_down, gate_.data(), n_tokens, proj_.data(), pool_);
}

void BatchForward::forward_layer(int64_t layer_idx, int64_t n_tokens) {
  const model::LlamaLayerWeights& layer = model_.weights().layers[static_cast<size_t>(layer_idx)];
  const int64_t n_embd = config_.n_embd;
  const int64_t head_dim = config_.head_dim;
  const int64_t q_dim = config_.n_head * head_dim;
  const int64_t kv_dim = config_.n_head_kv * head_dim;
  const int64_t n_pairs = rope_.n_pairs();
  const int64_t block_tokens = cache_.block_tokens();
  const bool windowed = config_.layer_is_windowed(layer_idx);
  // gemma3's windowed layers rotate with their own base; gemma2's with the global one.
  const bool local_rope = windowed && local_rope_.has_value();
  const Rope& rope = local_rope ? *local_rope_ : rope_;
  const float* cos_rows = local_rope ? local_cos_.data() : rope_cos_.data();
  const float* sin_rows = local_rope ? local_sin_.data() : rope_sin_.data();

  // Attention block.
  for (int64_t token_idx = 0; token_idx < n_tokens; ++token_idx) {
    tensor::rms_norm(x_.data() + token_idx * n_embd, layer.attn_norm, config_.rms_eps, xn_.data() + token_idx * n_embd,
                     n_embd);
  }
  project_qkv(layer, n_tokens);
  if (layer.attn_q_norm != nullptr) {  // each head normed on its own, before RoPE
    norm_rows(q_.data(), layer.attn_q_norm, config_.rms_eps, n_tokens * config_.n_head, head_dim);
    norm_rows(k_.data(), layer.attn_k_norm, config_.rms_eps, n_tokens * config_.n_head_kv, head_dim);
  }
  for (int64_t token_idx = 0; token_idx < n_tokens; ++token_idx) {
    const float* cos_row = cos_rows + token_idx * n_pairs;
    const float* sin_row = sin_rows + token_idx * n_pairs;
    rope.apply(q_.data() + token_idx * q_dim, config_.n_head, cos_row, sin_row);
    rope.apply(k_.data() + token_idx * kv_dim, config_.n_head_kv, cos_row, sin_row);
    const AttentionQuery& query = queries_[static_cast<size_t>(token_idx)];
    cache_.store(layer_idx, query.blocks[query.pos / block_tokens], query.pos % block_tokens,
                 k_.data() + token_idx * kv_dim, v_.data() + token_idx * kv_dim);
  }
  const AttentionShape shape{config_.n_head, config_.n_head_kv, head_dim,
                             static_cast<float>(model::attention_scale(config_)),
                             windowed ? config_.sliding_window : 0,
                             config_.soft_capping ? config_.attn_softcap : 0.0f};
  paged_attention(cache_, layer_idx, shape, queries_, q_.data(), attn_.data(), scores_.data(), max_positions_, pool_);
  tensor::matmul(layer.wo, attn_.data(), n_tokens, proj_.data(), pool_);
  if (layer.attn_post_norm != nullptr) norm_rows(proj_.data(), layer.attn_post_norm, config_.rms_eps, n_tokens, n_embd);
  tensor::add_inplace(x_.data(), proj_.data(), n_tokens * n_embd);

  // Feed-forward block.
  for (int64_t token_idx = 0; token_idx < n_tokens; ++token_idx) {
    tensor::rms_norm(x_.data() + token_idx * n_embd, layer.ffn_norm, config_.rms_eps, xn_.data() + token_idx * n_embd,
                     n_embd);
  }
  feed_forward(layer, n_tokens);
  if (layer.ffn_post_norm != nullptr) norm_rows(proj_.data(), layer.ffn_post_norm, config_.rms_eps, n_tokens, n_embd);
  tensor::add_inplace(x_.data(), proj_.data(), n_tokens * n_embd);
}

}  // namespace hearth::infer
