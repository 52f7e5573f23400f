// The bert graph over packed whole inputs; see encoder_forward.h.
// ref: https://github.com/huggingface/transformers (models/bert/modeling_bert.py: BertEmbeddings, BertLayer)
#include "infer/encoder_forward.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "tensor/matmul.h"
#include "tensor/ops.h"
#include "tensor/quant.h"

namespace hearth::infer {
namespace {

// LayerNorm of one row: (x - mean) / sqrt(var + eps) * weight + bias, statistics in double.
void layer_norm_row(float* x, const float* weight, const float* bias, float eps, int64_t n) {
  double sum = 0.0;
  for (int64_t idx = 0; idx < n; ++idx) sum += x[idx];
  const double mean = sum / static_cast<double>(n);
  double sq = 0.0;
  for (int64_t idx = 0; idx < n; ++idx) {
    const double d = x[idx] - mean;
    sq += d * d;
  }
  const float inv = static_cast<float>(1.0 / std::sqrt(sq / static_cast<double>(n) + static_cast<double>(eps)));
  const float mean_f = static_cast<float>(mean);
  for (int64_t idx = 0; idx < n; ++idx) x[idx] = (x[idx] - mean_f) * inv * weight[idx] + bias[idx];
}

// One row of a [n_rows x n_cols] matrix of any type, as floats.
void read_row(const tensor::WeightView& matrix, int64_t row, float* out) {
  const int64_t row_bytes = tensor::row_bytes(matrix.dtype, matrix.n_cols);
  tensor::dequantize_row(matrix.dtype, static_cast<const uint8_t*>(matrix.data) + row * row_bytes, out,
                         matrix.n_cols);
}

constexpr int64_t kRowsPerTask = 8;
// Inputs at least this long take the GEMM path of attention.
constexpr int64_t kGemmAttentionMin = 96;

}  // namespace

EncoderForward::EncoderForward(const LlamaModel& model, ThreadPool& pool)
    : model_(model), config_(model.config()), pool_(pool) {
  assert(config_.encoder && "EncoderForward runs encoder families only");
}

int64_t EncoderForward::scratch_bytes() const {
  const size_t n_floats = x_.capacity() + q_.capacity() + k_.capacity() + v_.capacity() + attn_.capacity() +
                          proj_.capacity() + ff_.capacity() + scores_.capacity() + head_kv_.capacity() +
                          long_scores_.capacity() + long_q_.capacity() + long_k_.capacity() + long_vt_.capacity() +
                          long_out_.capacity();
  return static_cast<int64_t>(n_floats * sizeof(float) + starts_.capacity() * sizeof(int64_t));
}

void EncoderForward::reserve(int64_t n_tokens, int64_t longest) {
  if (n_tokens > capacity_tokens_) {
    const auto rows = static_cast<size_t>(n_tokens);
    const auto n_embd = static_cast<size_t>(config_.n_embd);
    const auto q_dim = static_cast<size_t>(config_.n_head * config_.head_dim);
    const auto kv_dim = static_cast<size_t>(config_.n_head_kv * config_.head_dim);
    x_.resize(rows * n_embd);
    q_.resize(rows * q_dim);
    k_.resize(rows * kv_dim);
    v_.resize(rows * kv_dim);
    attn_.resize(rows * q_dim);
    proj_.resize(rows * n_embd);
    ff_.resize(rows * static_cast<size_t>(config_.n_ff));
    capacity_tokens_ = n_tokens;
  }
  if (longest > capacity_longest_) {
    const auto n_threads = static_cast<size_t>(pool_.n_threads());
    scores_.resize(n_threads * static_cast<size_t>(longest));
    head_kv_.resize(n_threads * static_cast<size_t>(2 * longest * config_.head_dim));
    capacity_longest_ = longest;
  }
}

void EncoderForward::embed(std::span<const EncoderInput> inputs, int64_t n_tokens) {
  const model::LlamaWeights& weights = model_.weights();
  const int64_t n_embd = config_.n_embd;
  pool_.parallel_for(static_cast<int64_t>(inputs.size()), 1, [&](int64_t begin, int64_t end, int) {
    std::vector<float> row(static_cast<size_t>(n_embd));
    for (int64_t input_idx = begin; input_idx < end; ++input_idx) {
      const EncoderInput& input = inputs[static_cast<size_t>(input_idx)];
      for (size_t pos = 0; pos < input.ids.size(); ++pos) {
        float* x = x_.data() + (starts_[static_cast<size_t>(input_idx)] + static_cast<int64_t>(pos)) * n_embd;
        read_row(weights.token_embd, input.ids[pos], x);
        read_row(weights.pos_embd, static_cast<int64_t>(pos), row.data());
        tensor::add_inplace(x, row.data(), n_embd);
        read_row(weights.token_types, input.segments.empty() ? 0 : input.segments[pos], row.data());
        tensor::add_inplace(x, row.data(), n_embd);
        layer_norm_row(x, weights.token_embd_norm, weights.token_embd_norm_b, config_.rms_eps, n_embd);
      }
    }
  });
  (void)n_tokens;
}

void EncoderForward::add_bias(float* rows, const float* bias, int64_t n_tokens, int64_t n_cols) {
  pool_.parallel_for(n_tokens, kRowsPerTask, [&](int64_t begin, int64_t end, int) {
    for (int64_t row = begin; row < end; ++row) tensor::add_inplace(rows + row * n_cols, bias, n_cols);
  });
}

void EncoderForward::add_layer_norm(const float* y, const float* weight, const float* bias, int64_t n_tokens) {
  const int64_t n_embd = config_.n_embd;
  pool_.parallel_for(n_tokens, kRowsPerTask, [&](int64_t begin, int64_t end, int) {
    for (int64_t row = begin; row < end; ++row) {
      float* x = x_.data() + row * n_embd;
      tensor::add_inplace(x, y + row * n_embd, n_embd);
      layer_norm_row(x, weight, bias, config_.rms_eps, n_embd);
    }
  });
}

void EncoderForward::attention(std::span<const EncoderInput> inputs, int64_t n_tokens) {
  const int64_t head_dim = config_.head_dim;
  const int64_t n_head = config_.n_head;
  const int64_t q_dim = n_head * head_dim;
  const int64_t group = config_.n_head / config_.n_head_kv;
  const int64_t kv_dim = config_.n_head_kv * head_dim;
  const auto scale = static_cast<float>(model::attention_scale(config_));
  const int64_t longest = capacity_longest_;
  // One task per (input, head): its K rows and V columns are gathered into
  // contiguous thread-local copies, so every product is a SIMD dot product
  // (q . k over head_dim, then p . v-column over the input's length).
  // Long inputs run one head at a time as two F32 GEMMs over the whole pool
  // (scores = Q K^T, then out = P V): the per-row dot products above do not
  // pay at those lengths.
  std::vector<int64_t> short_inputs;
  for (size_t input_idx = 0; input_idx < inputs.size(); ++input_idx) {
    const auto n = static_cast<int64_t>(inputs[input_idx].ids.size());
    if (n >= kGemmAttentionMin) {
      long_attention(starts_[input_idx], n);
    } else {
      short_inputs.push_back(static_cast<int64_t>(input_idx));
    }
  }
  const int64_t n_tasks = static_cast<int64_t>(short_inputs.size()) * n_head;
  pool_.parallel_for(n_tasks, 1, [&](int64_t begin, int64_t end, int thread_idx) {
    float* scores = scores_.data() + static_cast<size_t>(thread_idx) * static_cast<size_t>(longest);
    float* keys = head_kv_.data() + static_cast<size_t>(thread_idx) * static_cast<size_t>(2 * longest * head_dim);
    float* values_t = keys + longest * head_dim;  // [head_dim x n]: V transposed
    for (int64_t task_idx = begin; task_idx < end; ++task_idx) {
      const int64_t input_idx = short_inputs[static_cast<size_t>(task_idx / n_head)];
      const int64_t head_idx = task_idx % n_head;
      const int64_t first = starts_[static_cast<size_t>(input_idx)];
      const auto n = static_cast<int64_t>(inputs[static_cast<size_t>(input_idx)].ids.size());
      const int64_t kv_offset = (head_idx / group) * head_dim;
      for (int64_t pos = 0; pos < n; ++pos) {
        const float* k = k_.data() + (first + pos) * kv_dim + kv_offset;
        const float* v = v_.data() + (first + pos) * kv_dim + kv_offset;
        std::copy(k, k + head_dim, keys + pos * head_dim);
        for (int64_t dim = 0; dim < head_dim; ++dim) values_t[dim * n + pos] = v[dim];
      }
      for (int64_t row = 0; row < n; ++row) {
        const float* q = q_.data() + (first + row) * q_dim + head_idx * head_dim;
        for (int64_t col = 0; col < n; ++col) scores[col] = tensor::dot_f32(q, keys + col * head_dim, head_dim) * scale;
        tensor::softmax(scores, n);
        float* out = attn_.data() + (first + row) * q_dim + head_idx * head_dim;
        for (int64_t dim = 0; dim < head_dim; ++dim) out[dim] = tensor::dot_f32(scores, values_t + dim * n, n);
      }
    }
  });
  (void)n_tokens;
}

void EncoderForward::long_attention(int64_t first, int64_t n) {
  const int64_t head_dim = config_.head_dim;
  const int64_t n_head = config_.n_head;
  const int64_t q_dim = n_head * head_dim;
  const int64_t group = config_.n_head / config_.n_head_kv;
  const int64_t kv_dim = config_.n_head_kv * head_dim;
  const auto scale = static_cast<float>(model::attention_scale(config_));
  const auto square = static_cast<size_t>(n * n);
  const auto rows = static_cast<size_t>(n * head_dim);
  if (long_scores_.size() < square) long_scores_.resize(square);
  if (long_q_.size() < rows) {
    long_q_.resize(rows);
    long_k_.resize(rows);
    long_vt_.resize(rows);
    long_out_.resize(rows);
  }
  for (int64_t head_idx = 0; head_idx < n_head; ++head_idx) {
    const int64_t kv_offset = (head_idx / group) * head_dim;
    for (int64_t pos = 0; pos < n; ++pos) {
      const float* q = q_.data() + (first + pos) * q_dim + head_idx * head_dim;
      const float* k = k_.data() + (first + pos) * kv_dim + kv_offset;
      const float* v = v_.data() + (first + pos) * kv_dim + kv_offset;
      for (int64_t dim = 0; dim < head_dim; ++dim) {
        long_q_[static_cast<size_t>(pos * head_dim + dim)] = q[dim] * scale;
        long_k_[static_cast<size_t>(pos * head_dim + dim)] = k[dim];
        long_vt_[static_cast<size_t>(dim * n + pos)] = v[dim];
      }
    }
    // scores[query * n + key]: the keys are the "weight" rows.
    tensor::matmul({tensor::DType::kF32, long_k_.data(), n, head_dim}, long_q_.data(), n, long_scores_.data(), pool_);
    pool_.parallel_for(n, kRowsPerTask, [&](int64_t begin, int64_t end, int) {
      for (int64_t row = begin; row < end; ++row) tensor::softmax(long_scores_.data() + row * n, n);
    });
    // out[query * head_dim + dim]: V's columns are the "weight" rows.
    tensor::matmul({tensor::DType::kF32, long_vt_.data(), head_dim, n}, long_scores_.data(), n, long_out_.data(), pool_);
    for (int64_t pos = 0; pos < n; ++pos) {
      std::copy(long_out_.data() + pos * head_dim, long_out_.data() + (pos + 1) * head_dim,
                attn_.data() + (first + pos) * q_dim + head_idx * head_dim);
    }
  }
}

std::span<const float> EncoderForward::forward(std::span<const EncoderInput> inputs) {
  starts_.clear();
  int64_t n_tokens = 0;
  int64_t longest = 0;
  for (const EncoderInput& input : inputs) {
    starts_.push_back(n_tokens);
    n_tokens += static_cast<int64_t>(input.ids.size());
    longest = std::max(longest, static_cast<int64_t>(input.ids.size()));
  }
  reserve(n_tokens, longest);
  const int64_t n_embd = config_.n_embd;
  const int64_t n_ff = config_.n_ff;
  const int64_t q_dim = config_.n_head * config_.head_dim;
  const int64_t kv_dim = config_.n_head_kv * config_.head_dim;

  embed(inputs, n_tokens);
  for (const model::LlamaLayerWeights& layer : model_.weights().layers) {
    tensor::matmul(layer.wq, x_.data(), n_tokens, q_.data(), pool_);
    tensor::matmul(layer.wk, x_.data(), n_tokens, k_.data(), pool_);
    tensor::matmul(layer.wv, x_.data(), n_tokens, v_.data(), pool_);
    add_bias(q_.data(), layer.bq, n_tokens, q_dim);
    add_bias(k_.data(), layer.bk, n_tokens, kv_dim);
    add_bias(v_.data(), layer.bv, n_tokens, kv_dim);
    attention(inputs, n_tokens);
    tensor::matmul(layer.wo, attn_.data(), n_tokens, proj_.data(), pool_);
    add_bias(proj_.data(), layer.bo, n_tokens, n_embd);
    add_layer_norm(proj_.data(), layer.attn_out_norm, layer.attn_out_norm_b, n_tokens);

    tensor::matmul(layer.w_up, x_.data(), n_tokens, ff_.data(), pool_);
    pool_.parallel_for(n_tokens, kRowsPerTask, [&](int64_t begin, int64_t end, int) {
      for (int64_t row = begin; row < end; ++row) {
        float* h = ff_.data() + row * n_ff;
        tensor::add_inplace(h, layer.b_up, n_ff);
        tensor::gelu_erf(h, n_ff);
      }
    });
    tensor::matmul(layer.w_down, ff_.data(), n_tokens, proj_.data(), pool_);
    add_bias(proj_.data(), layer.b_down, n_tokens, n_embd);
    add_layer_norm(proj_.data(), layer.layer_out_norm, layer.layer_out_norm_b, n_tokens);
  }
  return {x_.data(), static_cast<size_t>(n_tokens * n_embd)};
}

}  // namespace hearth::infer
