#include "infer/llama_forward.h"

#include <algorithm>
#include <cassert>
#include <new>
#include <string>

#include "infer/attention.h"
#include "tensor/matmul.h"
#include "tensor/ops.h"
#include "tensor/quant.h"

namespace hearth::infer {
namespace {

// Limits that keep every size product far from int64 overflow; real contexts
// are below 2^21 positions and real batches a few thousand tokens.
constexpr int64_t kMaxContext = int64_t{1} << 24;
constexpr int64_t kMaxBatch = int64_t{1} << 16;

size_t elems(int64_t rows, int64_t width) { return static_cast<size_t>(rows * width); }

void add_bias(float* rows, const float* bias, int64_t n_rows, int64_t width) {
  for (int64_t row_idx = 0; row_idx < n_rows; ++row_idx) {
    tensor::add_inplace(rows + row_idx * width, bias, width);
  }
}

}  // namespace

Result<std::unique_ptr<InferContext>> InferContext::create(const LlamaModel& model, int64_t n_ctx,
                                                           ThreadPool& pool, int64_t n_batch_max,
                                                           tensor::DType kv_dtype) {
  if (n_ctx < 1 || n_ctx > kMaxContext) {
    return invalid_argument_error("context length " + std::to_string(n_ctx) +
                                  " is outside [1, " + std::to_string(kMaxContext) + "]");
  }
  if (n_batch_max < 1 || n_batch_max > kMaxBatch) {
    return invalid_argument_error("batch size " + std::to_string(n_batch_max) +
                                  " is outside [1, " + std::to_string(kMaxBatch) + "]");
  }
  if (kv_dtype != tensor::DType::kF16 && kv_dtype != tensor::DType::kF32) {
    return unimplemented_error("KV cache type " + std::string(tensor::dtype_info(kv_dtype).name) +
                               " is not supported (f16, f32)");
  }
  try {
    return std::make_unique<InferContext>(model, n_ctx, pool, n_batch_max, kv_dtype);
  } catch (const std::bad_alloc&) {
    return resource_exhausted_error("cannot allocate a context of " + std::to_string(n_ctx) +
                                    " positions");
  }
}

InferContext::InferContext(const LlamaModel& model, int64_t n_ctx, ThreadPool& pool,
                           int64_t n_batch_max, tensor::DType kv_dtype)
    : model_(model),
      config_(model.config()),
      pool_(pool),
      n_batch_max_(std::min(n_batch_max, n_ctx)),
      rope_(model.config(), model.weights().rope_freqs),
      cache_(model.config().n_layer, n_ctx, model.config().n_head_kv, model.config().head_dim,
             kv_dtype) {
  assert(n_ctx >= 1 && n_batch_max >= 1);
  const int64_t batch = n_batch_max_;
  const int64_t q_dim = config_.n_head * config_.head_dim;
  const int64_t kv_dim = config_.n_head_kv * config_.head_dim;
  tokens_.reserve(static_cast<size_t>(n_ctx));
  x_.resize(elems(batch, config_.n_embd));
  xn_.resize(elems(batch, config_.n_embd));
  q_.resize(elems(batch, q_dim));
  k_.resize(elems(batch, kv_dim));
  v_.resize(elems(batch, kv_dim));
  attn_.resize(elems(batch, q_dim));
  proj_.resize(elems(batch, config_.n_embd));
  gate_.resize(elems(batch, config_.n_ff));
  up_.resize(elems(batch, config_.n_ff));
  rope_cos_.resize(elems(batch, rope_.n_pairs()));
  rope_sin_.resize(elems(batch, rope_.n_pairs()));
  scores_.resize(elems(pool_.n_threads(), n_ctx));
  logits_.resize(elems(1, config_.n_vocab));
}

int64_t InferContext::scratch_bytes() const {
  size_t n_floats = 0;
  for (const std::vector<float>* buffer :
       {&x_, &xn_, &q_, &k_, &v_, &attn_, &proj_, &gate_, &up_, &rope_cos_, &rope_sin_, &scores_,
        &logits_}) {
    n_floats += buffer->size();
  }
  return static_cast<int64_t>(n_floats * sizeof(float));
}

void InferContext::clear() {
  cache_.clear();
  tokens_.clear();
}

Status InferContext::truncate(int64_t n) {
  HEARTH_RETURN_IF_ERROR(cache_.truncate(n));
  tokens_.resize(static_cast<size_t>(n));
  return ok_status();
}

Result<std::span<const float>> InferContext::eval(std::span<const int32_t> tokens,
                                                  bool all_logits) {
  const int64_t n_tokens = static_cast<int64_t>(tokens.size());
  if (n_tokens == 0) return invalid_argument_error("eval: no tokens");
  for (size_t idx = 0; idx < tokens.size(); ++idx) {
    if (tokens[idx] < 0 || tokens[idx] >= config_.n_vocab) {
      return out_of_range_error("token id " + std::to_string(tokens[idx]) + " at index " +
                                std::to_string(idx) + " is outside the vocabulary [0, " +
                                std::to_string(config_.n_vocab) + ")");
    }
  }
  if (n_tokens > n_ctx() - n_past()) {
    return out_of_range_error("context overflow: " + std::to_string(n_past()) + " + " +
                              std::to_string(n_tokens) + " tokens exceed the context of " +
                              std::to_string(n_ctx()));
  }
  const int64_t n_vocab = config_.n_vocab;
  if (all_logits && logits_.size() < elems(n_tokens, n_vocab)) {
    logits_.resize(elems(n_tokens, n_vocab));
  }
  for (int64_t begin = 0; begin < n_tokens; begin += n_batch_max_) {
    const int64_t chunk = std::min(n_batch_max_, n_tokens - begin);
    const bool last_chunk = begin + chunk == n_tokens;
    if (all_logits) {
      forward(tokens.data() + begin, chunk, true, logits_.data() + begin * n_vocab);
    } else {
      // Only the final chunk's last token needs logits.
      forward(tokens.data() + begin, chunk, false, last_chunk ? logits_.data() : nullptr);
    }
  }
  const int64_t n_rows = all_logits ? n_tokens : 1;
  return std::span<const float>(logits_.data(), elems(n_rows, n_vocab));
}

void InferContext::forward(const int32_t* ids, int64_t n_tokens, bool all_rows, float* logits_out) {
  const int64_t n_embd = config_.n_embd;
  const int64_t first_pos = cache_.n_past();

  const tensor::WeightView& embd = model_.weights().token_embd;
  const int64_t embd_row_bytes = tensor::row_bytes(embd.dtype, n_embd);
  const auto* embd_data = static_cast<const uint8_t*>(embd.data);
  for (int64_t token_idx = 0; token_idx < n_tokens; ++token_idx) {
    tensor::dequantize_row(embd.dtype, embd_data + ids[token_idx] * embd_row_bytes,
                           x_.data() + token_idx * n_embd, n_embd);
  }
  rope_.compute_angles(first_pos, n_tokens, rope_cos_.data(), rope_sin_.data());

  for (int64_t layer_idx = 0; layer_idx < config_.n_layer; ++layer_idx) {
    forward_layer(layer_idx, first_pos, n_tokens);
  }
  // Every layer wrote positions [first_pos, first_pos + n_tokens); eval()
  // checked they fit, so commit cannot fail.
  const Status committed = cache_.commit(n_tokens);
  assert(committed.ok());
  (void)committed;
  tokens_.insert(tokens_.end(), ids, ids + n_tokens);

  if (logits_out == nullptr) return;
  const model::LlamaWeights& weights = model_.weights();
  const int64_t first_row = all_rows ? 0 : n_tokens - 1;
  const int64_t n_rows = n_tokens - first_row;
  for (int64_t row_idx = 0; row_idx < n_rows; ++row_idx) {
    tensor::rms_norm(x_.data() + (first_row + row_idx) * n_embd, weights.output_norm,
                     config_.rms_eps, xn_.data() + row_idx * n_embd, n_embd);
  }
  tensor::matmul(weights.output, xn_.data(), n_rows, logits_out, pool_);
}

void InferContext::forward_layer(int64_t layer_idx, int64_t first_pos, int64_t n_tokens) {
  const model::LlamaLayerWeights& layer = model_.weights().layers[static_cast<size_t>(layer_idx)];
  const int64_t n_embd = config_.n_embd;
  const int64_t head_dim = config_.head_dim;
  const int64_t q_dim = config_.n_head * head_dim;
  const int64_t kv_dim = config_.n_head_kv * head_dim;
  const int64_t n_pairs = rope_.n_pairs();

  // Attention block.
  for (int64_t token_idx = 0; token_idx < n_tokens; ++token_idx) {
    tensor::rms_norm(x_.data() + token_idx * n_embd, layer.attn_norm, config_.rms_eps,
                     xn_.data() + token_idx * n_embd, n_embd);
  }
  tensor::matmul(layer.wq, xn_.data(), n_tokens, q_.data(), pool_);
  tensor::matmul(layer.wk, xn_.data(), n_tokens, k_.data(), pool_);
  tensor::matmul(layer.wv, xn_.data(), n_tokens, v_.data(), pool_);
  if (config_.has_qkv_bias) {
    add_bias(q_.data(), layer.bq, n_tokens, q_dim);
    add_bias(k_.data(), layer.bk, n_tokens, kv_dim);
    add_bias(v_.data(), layer.bv, n_tokens, kv_dim);
  }
  for (int64_t token_idx = 0; token_idx < n_tokens; ++token_idx) {
    const float* cos_row = rope_cos_.data() + token_idx * n_pairs;
    const float* sin_row = rope_sin_.data() + token_idx * n_pairs;
    rope_.apply(q_.data() + token_idx * q_dim, config_.n_head, cos_row, sin_row);
    rope_.apply(k_.data() + token_idx * kv_dim, config_.n_head_kv, cos_row, sin_row);
    cache_.store(layer_idx, first_pos + token_idx, k_.data() + token_idx * kv_dim,
                 v_.data() + token_idx * kv_dim);
  }
  const AttentionShape shape{config_.n_head, config_.n_head_kv, head_dim};
  causal_attention(cache_, layer_idx, shape, q_.data(), first_pos, n_tokens, attn_.data(),
                   scores_.data(), pool_);
  tensor::matmul(layer.wo, attn_.data(), n_tokens, proj_.data(), pool_);
  tensor::add_inplace(x_.data(), proj_.data(), n_tokens * n_embd);

  // Feed-forward block (SwiGLU).
  for (int64_t token_idx = 0; token_idx < n_tokens; ++token_idx) {
    tensor::rms_norm(x_.data() + token_idx * n_embd, layer.ffn_norm, config_.rms_eps,
                     xn_.data() + token_idx * n_embd, n_embd);
  }
  tensor::matmul(layer.w_gate, xn_.data(), n_tokens, gate_.data(), pool_);
  tensor::matmul(layer.w_up, xn_.data(), n_tokens, up_.data(), pool_);
  tensor::silu_mul(gate_.data(), up_.data(), gate_.data(), n_tokens * config_.n_ff);
  tensor::matmul(layer.w_down, gate_.data(), n_tokens, proj_.data(), pool_);
  tensor::add_inplace(x_.data(), proj_.data(), n_tokens * n_embd);
}

}  // namespace hearth::infer
