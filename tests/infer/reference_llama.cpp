#include "reference_llama.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <numbers>
#include <string>

#include "tensor/fp16.h"
#include "tensor/quant.h"

namespace hearth::infer::testing {
namespace {

using Matrix = std::vector<std::vector<double>>;  // [row][col]

// Dequantizes a 2-D tensor into rows of doubles (or a 1-D tensor into one row).
Matrix load(const model::GgufFile& file, const std::string& name) {
  const model::GgufTensorInfo* info = file.find_tensor(name);
  assert(info != nullptr && "reference: tensor missing from the test model");
  const int64_t n_cols = info->ne[0];
  const int64_t n_rows = info->n_elements() / n_cols;
  const int64_t row_bytes = tensor::row_bytes(info->dtype, n_cols);
  Matrix rows(static_cast<size_t>(n_rows));
  std::vector<float> row(static_cast<size_t>(n_cols));
  for (int64_t row_idx = 0; row_idx < n_rows; ++row_idx) {
    tensor::dequantize_row_ref(info->dtype, info->data + row_idx * row_bytes, row.data(), n_cols);
    rows[row_idx].assign(row.begin(), row.end());
  }
  return rows;
}

std::vector<double> load_vector(const model::GgufFile& file, const std::string& name) { return load(file, name)[0]; }

std::vector<double> mat_vec(const Matrix& w, const std::vector<double>& x) {
  std::vector<double> y(w.size(), 0.0);
  for (size_t row_idx = 0; row_idx < w.size(); ++row_idx) {
    for (size_t col_idx = 0; col_idx < x.size(); ++col_idx) y[row_idx] += w[row_idx][col_idx] * x[col_idx];
  }
  return y;
}

std::vector<double> rms_norm(const std::vector<double>& x, const std::vector<double>& weight, double eps) {
  double sum_sq = 0.0;
  for (double value : x) sum_sq += value * value;
  const double inv = 1.0 / std::sqrt(sum_sq / static_cast<double>(x.size()) + eps);
  std::vector<double> out(x.size());
  for (size_t idx = 0; idx < x.size(); ++idx) out[idx] = x[idx] * inv * weight[idx];
  return out;
}

// HF transformers' default and llama3 inverse frequencies, restated.
std::vector<double> inverse_frequencies(const TinyModelSpec& spec, double theta, const model::RopeScaling& scaling) {
  const int64_t head_dim = spec.resolved_head_dim();
  std::vector<double> inv_freq;
  for (int64_t dim_idx = 0; dim_idx < head_dim; dim_idx += 2) {
    inv_freq.push_back(1.0 / std::pow(theta, static_cast<double>(dim_idx) / static_cast<double>(head_dim)));
  }
  if (scaling.type == model::RopeScalingType::kLinear) {
    for (double& freq : inv_freq) freq /= scaling.factor;
  } else if (scaling.type == model::RopeScalingType::kLlama3) {
    const double old_ctx = static_cast<double>(scaling.original_context);
    const double low_freq_wavelen = old_ctx / scaling.low_freq_factor;
    const double high_freq_wavelen = old_ctx / scaling.high_freq_factor;
    for (double& freq : inv_freq) {
      const double wavelen = 2.0 * std::numbers::pi / freq;
      const double divided = freq / scaling.factor;
      const double smooth =
          (old_ctx / wavelen - scaling.low_freq_factor) / (scaling.high_freq_factor - scaling.low_freq_factor);
      if (wavelen > low_freq_wavelen) {
        freq = divided;
      } else if (wavelen >= high_freq_wavelen) {
        freq = (1.0 - smooth) * divided + smooth * freq;
      }
    }
  }
  return inv_freq;
}

// Rotates every head of `x` for position `pos`.
void rotate(std::vector<double>& x, int64_t n_heads, int64_t head_dim, int64_t pos, const std::vector<double>& inv_freq,
            bool neox) {
  const int64_t half = head_dim / 2;
  for (int64_t head_idx = 0; head_idx < n_heads; ++head_idx) {
    double* head = x.data() + head_idx * head_dim;
    for (int64_t pair_idx = 0; pair_idx < half; ++pair_idx) {
      const double theta = static_cast<double>(pos) * inv_freq[pair_idx];
      double& a = neox ? head[pair_idx] : head[2 * pair_idx];
      double& b = neox ? head[pair_idx + half] : head[2 * pair_idx + 1];
      const double x0 = a;
      const double x1 = b;
      a = x0 * std::cos(theta) - x1 * std::sin(theta);
      b = x0 * std::sin(theta) + x1 * std::cos(theta);
    }
  }
}

double round_to_half(double value) { return tensor::f16_to_f32(tensor::f32_to_f16(static_cast<float>(value))); }

// Each consecutive run of `width` values RMS-normed with the same gain (per-head Q/K norms).
void norm_each(std::vector<double>& x, const std::vector<double>& weight, double eps) {
  const size_t width = weight.size();
  for (size_t first = 0; first < x.size(); first += width) {
    const std::vector<double> part(x.begin() + static_cast<std::ptrdiff_t>(first),
                                   x.begin() + static_cast<std::ptrdiff_t>(first + width));
    const std::vector<double> normed = rms_norm(part, weight, eps);
    std::copy(normed.begin(), normed.end(), x.begin() + static_cast<std::ptrdiff_t>(first));
  }
}

double gelu_tanh(double x) {
  return 0.5 * x * (1.0 + std::tanh(std::sqrt(2.0 / std::numbers::pi) * (x + 0.044715 * x * x * x)));
}

// gemma3 (llama.cpp's fixed pattern): every layer but each sixth attends through the window;
// gemma2 (HF's layer_types): the even layers.
bool windowed_layer(const TinyModelSpec& spec, int64_t layer_idx) {
  if (spec.sliding_window <= 0) return false;
  if (spec.arch == "gemma3") return (layer_idx + 1) % 6 != 0;
  if (spec.arch == "gemma2") return layer_idx % 2 == 0;
  return false;
}

double soft_cap(double value, double cap) { return cap * std::tanh(value / cap); }

// HF's Qwen3MoeSparseMoeBlock restated: softmax over the router's logits, the
// top n_expert_used, renormalized, each expert's SwiGLU output weighted.
std::vector<double> moe_ffn(const model::GgufFile& file, const TinyModelSpec& spec, const std::string& prefix,
                            const std::vector<double>& xn) {
  const std::vector<double> logits = mat_vec(load(file, prefix + "ffn_gate_inp.weight"), xn);
  const double max_logit = *std::max_element(logits.begin(), logits.end());
  std::vector<double> probs;
  double total = 0.0;
  for (double logit : logits) total += probs.emplace_back(std::exp(logit - max_logit));
  for (double& prob : probs) prob /= total;
  std::vector<int64_t> order(probs.size());
  for (size_t idx = 0; idx < order.size(); ++idx) order[idx] = static_cast<int64_t>(idx);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return probs[a] > probs[b]; });
  order.resize(static_cast<size_t>(spec.n_expert_used));
  double chosen_sum = 0.0;
  for (int64_t expert : order) chosen_sum += probs[expert];
  const Matrix gate_all = load(file, prefix + "ffn_gate_exps.weight");
  const Matrix up_all = load(file, prefix + "ffn_up_exps.weight");
  const Matrix down_all = load(file, prefix + "ffn_down_exps.weight");
  std::vector<double> out(xn.size(), 0.0);
  for (int64_t expert : order) {
    const auto rows = [](const Matrix& all, int64_t first, int64_t count) {
      return Matrix(all.begin() + first, all.begin() + first + count);
    };
    const std::vector<double> gate = mat_vec(rows(gate_all, expert * spec.n_ff_exp, spec.n_ff_exp), xn);
    const std::vector<double> up = mat_vec(rows(up_all, expert * spec.n_ff_exp, spec.n_ff_exp), xn);
    std::vector<double> act(gate.size());
    for (size_t idx = 0; idx < gate.size(); ++idx) act[idx] = gate[idx] / (1.0 + std::exp(-gate[idx])) * up[idx];
    const std::vector<double> down = mat_vec(rows(down_all, expert * spec.n_embd, spec.n_embd), act);
    for (size_t idx = 0; idx < out.size(); ++idx) out[idx] += probs[expert] / chosen_sum * down[idx];
  }
  return out;
}

}  // namespace

namespace {

// The residual stream after the last layer, one row per position.
std::vector<std::vector<double>> final_residual(const model::GgufFile& file, const TinyModelSpec& spec,
                                                std::span<const int32_t> ids, const ReferenceOptions& options) {
  const int64_t head_dim = spec.resolved_head_dim();
  const int64_t n_tokens = static_cast<int64_t>(ids.size());
  const int64_t group = spec.n_head / spec.n_head_kv;
  const int64_t q_dim = spec.n_head * head_dim;
  const int64_t kv_dim = spec.n_head_kv * head_dim;
  const bool neox = spec.arch != "llama";
  const bool gemma = spec.arch == "gemma3" || spec.arch == "gemma2";
  const std::vector<double> inv_freq = inverse_frequencies(spec, spec.rope_theta, spec.rope_scaling);
  const std::vector<double> local_inv_freq =
      spec.arch == "gemma3" ? inverse_frequencies(spec, 10000.0, {}) : inv_freq;

  const Matrix embd = load(file, "token_embd.weight");
  std::vector<std::vector<double>> hidden;
  for (int32_t id : ids) {
    hidden.push_back(embd[static_cast<size_t>(id)]);
    if (gemma) {
      for (double& value : hidden.back()) value *= std::sqrt(static_cast<double>(static_cast<float>(spec.n_embd)));
    }
  }

  for (int64_t layer_idx = 0; layer_idx < spec.n_layer; ++layer_idx) {
    const std::string prefix = "blk." + std::to_string(layer_idx) + ".";
    const bool windowed = windowed_layer(spec, layer_idx);
    const std::vector<double>& freqs = windowed ? local_inv_freq : inv_freq;
    const auto has = [&](const std::string& name) { return file.find_tensor(prefix + name) != nullptr; };
    const std::vector<double> attn_norm = load_vector(file, prefix + "attn_norm.weight");
    const Matrix wo = load(file, prefix + "attn_output.weight");

    std::vector<std::vector<double>> q(n_tokens), k(n_tokens), v(n_tokens);
    for (int64_t token_idx = 0; token_idx < n_tokens; ++token_idx) {
      const std::vector<double> xn = rms_norm(hidden[token_idx], attn_norm, spec.rms_eps);
      if (spec.arch == "phi3") {
        const std::vector<double> qkv = mat_vec(load(file, prefix + "attn_qkv.weight"), xn);
        q[token_idx].assign(qkv.begin(), qkv.begin() + q_dim);
        k[token_idx].assign(qkv.begin() + q_dim, qkv.begin() + q_dim + kv_dim);
        v[token_idx].assign(qkv.begin() + q_dim + kv_dim, qkv.end());
      } else {
        q[token_idx] = mat_vec(load(file, prefix + "attn_q.weight"), xn);
        k[token_idx] = mat_vec(load(file, prefix + "attn_k.weight"), xn);
        v[token_idx] = mat_vec(load(file, prefix + "attn_v.weight"), xn);
      }
      if (spec.arch == "qwen2") {
        const std::vector<double> bq = load_vector(file, prefix + "attn_q.bias");
        const std::vector<double> bk = load_vector(file, prefix + "attn_k.bias");
        const std::vector<double> bv = load_vector(file, prefix + "attn_v.bias");
        for (size_t idx = 0; idx < bq.size(); ++idx) q[token_idx][idx] += bq[idx];
        for (size_t idx = 0; idx < bk.size(); ++idx) k[token_idx][idx] += bk[idx];
        for (size_t idx = 0; idx < bv.size(); ++idx) v[token_idx][idx] += bv[idx];
      }
      if (has("attn_q_norm.weight")) {
        norm_each(q[token_idx], load_vector(file, prefix + "attn_q_norm.weight"), spec.rms_eps);
        norm_each(k[token_idx], load_vector(file, prefix + "attn_k_norm.weight"), spec.rms_eps);
      }
      rotate(q[token_idx], spec.n_head, head_dim, token_idx, freqs, neox);
      rotate(k[token_idx], spec.n_head_kv, head_dim, token_idx, freqs, neox);
      if (options.round_kv_to_f16) {
        for (double& value : k[token_idx]) value = round_to_half(value);
        for (double& value : v[token_idx]) value = round_to_half(value);
      }
    }

    const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
    const std::vector<double> post_norm =
        gemma ? load_vector(file, prefix + "post_attention_norm.weight") : std::vector<double>();
    for (int64_t token_idx = 0; token_idx < n_tokens; ++token_idx) {
      const int64_t first_key = windowed ? std::max<int64_t>(0, token_idx - spec.sliding_window + 1) : 0;
      std::vector<double> attn(static_cast<size_t>(q_dim), 0.0);
      for (int64_t head_idx = 0; head_idx < spec.n_head; ++head_idx) {
        const int64_t kv_head = head_idx / group;
        std::vector<double> scores;
        for (int64_t key_idx = first_key; key_idx <= token_idx; ++key_idx) {
          double score = 0.0;
          for (int64_t dim_idx = 0; dim_idx < head_dim; ++dim_idx) {
            score += q[token_idx][head_idx * head_dim + dim_idx] * k[key_idx][kv_head * head_dim + dim_idx];
          }
          scores.push_back(spec.arch == "gemma2" ? soft_cap(score * scale, spec.attn_softcap) : score * scale);
        }
        double max_score = scores[0];
        for (double score : scores) max_score = std::max(max_score, score);
        double sum = 0.0;
        for (double& score : scores) sum += (score = std::exp(score - max_score));
        for (int64_t key_idx = first_key; key_idx <= token_idx; ++key_idx) {
          for (int64_t dim_idx = 0; dim_idx < head_dim; ++dim_idx) {
            attn[head_idx * head_dim + dim_idx] +=
                scores[key_idx - first_key] / sum * v[key_idx][kv_head * head_dim + dim_idx];
          }
        }
      }
      std::vector<double> out = mat_vec(wo, attn);
      if (gemma) out = rms_norm(out, post_norm, spec.rms_eps);
      for (size_t idx = 0; idx < out.size(); ++idx) hidden[token_idx][idx] += out[idx];
    }

    const std::vector<double> ffn_norm = load_vector(file, prefix + "ffn_norm.weight");
    const Matrix w_down = spec.arch == "qwen3moe" ? Matrix() : load(file, prefix + "ffn_down.weight");
    const std::vector<double> ffn_post_norm =
        gemma ? load_vector(file, prefix + "post_ffw_norm.weight") : std::vector<double>();
    for (int64_t token_idx = 0; token_idx < n_tokens; ++token_idx) {
      const std::vector<double> xn = rms_norm(hidden[token_idx], ffn_norm, spec.rms_eps);
      if (spec.arch == "qwen3moe") {
        const std::vector<double> out = moe_ffn(file, spec, prefix, xn);
        for (size_t idx = 0; idx < out.size(); ++idx) hidden[token_idx][idx] += out[idx];
        continue;
      }
      std::vector<double> gate;
      std::vector<double> up;
      if (spec.arch == "phi3") {  // ffn_up holds the gate rows, then the up rows
        const std::vector<double> fused = mat_vec(load(file, prefix + "ffn_up.weight"), xn);
        gate.assign(fused.begin(), fused.begin() + spec.n_ff);
        up.assign(fused.begin() + spec.n_ff, fused.end());
      } else {
        gate = mat_vec(load(file, prefix + "ffn_gate.weight"), xn);
        up = mat_vec(load(file, prefix + "ffn_up.weight"), xn);
      }
      for (size_t idx = 0; idx < gate.size(); ++idx) {
        gate[idx] = (gemma ? gelu_tanh(gate[idx]) : gate[idx] / (1.0 + std::exp(-gate[idx]))) * up[idx];
      }
      std::vector<double> out = mat_vec(w_down, gate);
      if (gemma) out = rms_norm(out, ffn_post_norm, spec.rms_eps);
      for (size_t idx = 0; idx < out.size(); ++idx) hidden[token_idx][idx] += out[idx];
    }
  }

  return hidden;
}

}  // namespace

std::vector<double> reference_hidden(const model::GgufFile& file, const TinyModelSpec& spec,
                                     std::span<const int32_t> ids, const ReferenceOptions& options) {
  const std::vector<double> output_norm = load_vector(file, "output_norm.weight");
  std::vector<double> rows;
  for (const std::vector<double>& residual : final_residual(file, spec, ids, options)) {
    const std::vector<double> row = rms_norm(residual, output_norm, spec.rms_eps);
    rows.insert(rows.end(), row.begin(), row.end());
  }
  return rows;
}

std::vector<double> reference_logits(const model::GgufFile& file, const TinyModelSpec& spec,
                                     std::span<const int32_t> ids, const ReferenceOptions& options) {
  const std::vector<double> output_norm = load_vector(file, "output_norm.weight");
  const Matrix output = spec.tied_output ? load(file, "token_embd.weight") : load(file, "output.weight");
  std::vector<double> logits;
  for (const std::vector<double>& residual : final_residual(file, spec, ids, options)) {
    std::vector<double> row = mat_vec(output, rms_norm(residual, output_norm, spec.rms_eps));
    if (spec.arch == "gemma2") {
      for (double& logit : row) logit = soft_cap(logit, spec.final_softcap);
    }
    logits.insert(logits.end(), row.begin(), row.end());
  }
  return logits;
}

double relative_l2_error(std::span<const float> actual, std::span<const double> expected) {
  assert(actual.size() == expected.size());
  double diff_sq = 0.0;
  double ref_sq = 0.0;
  for (size_t idx = 0; idx < actual.size(); ++idx) {
    const double diff = double{actual[idx]} - expected[idx];
    diff_sq += diff * diff;
    ref_sq += expected[idx] * expected[idx];
  }
  return std::sqrt(diff_sq / ref_sq);
}

double relative_l2_error(std::span<const float> actual, std::span<const float> expected) {
  const std::vector<double> widened(expected.begin(), expected.end());
  return relative_l2_error(actual, std::span<const double>(widened));
}

}  // namespace hearth::infer::testing
