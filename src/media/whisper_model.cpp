// Whisper's model file and audio encoder (see whisper_model.h).
#include "media/whisper_model.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "media/log_mel.h"
#include "media/whisper_layer_ops.h"
#include "tensor/ops.h"

namespace hearth::media {
namespace {

// Column index c * 3 + k of the convolution matrices (ggml's [3, n_in, d]).
constexpr int64_t kTaps = 3;
// Up to this many queries, attention runs one task per head instead of two matmuls per head.
constexpr int64_t kFewQueries = 4;

}  // namespace

void whisper_attention(const float* q, const float* k, const float* v, int64_t n_q, int64_t n_kv, int64_t n_head,
                       int64_t head_dim, int64_t causal_offset, float* out, ThreadPool& pool) {
  const int64_t d = n_head * head_dim;
  constexpr int64_t kQueryBlock = 8;
  const int64_t n_blocks = (n_q + kQueryBlock - 1) / kQueryBlock;
  pool.parallel_for(n_head * n_blocks, 1, [&](int64_t begin, int64_t end, int) {
    std::vector<float> scores(static_cast<size_t>(n_kv));
    std::vector<float> acc(static_cast<size_t>(head_dim));
    for (int64_t item = begin; item < end; ++item) {
      const int64_t head = item / n_blocks;
      const int64_t q_begin = (item % n_blocks) * kQueryBlock;
      const int64_t q_end = std::min(n_q, q_begin + kQueryBlock);
      for (int64_t qi = q_begin; qi < q_end; ++qi) {
        const float* qrow = q + qi * d + head * head_dim;
        const int64_t n_seen = causal_offset < 0 ? n_kv : std::min(n_kv, causal_offset + qi + 1);
        for (int64_t kj = 0; kj < n_seen; ++kj) {
          scores[static_cast<size_t>(kj)] = tensor::dot_f32(qrow, k + kj * d + head * head_dim, head_dim);
        }
        tensor::softmax(scores.data(), n_seen);
        std::fill(acc.begin(), acc.end(), 0.0f);
        for (int64_t kj = 0; kj < n_seen; ++kj) {
          const float p = scores[static_cast<size_t>(kj)];
          const float* vrow = v + kj * d + head * head_dim;
          for (int64_t col = 0; col < head_dim; ++col) acc[static_cast<size_t>(col)] += p * vrow[col];
        }
        std::copy(acc.begin(), acc.end(), out + qi * d + head * head_dim);
      }
    }
  });
}

void whisper_split_heads(const float* k, const float* v, int64_t n_kv, int64_t n_head, int64_t head_dim,
                         float* k_heads, float* vt_heads, ThreadPool& pool) {
  const int64_t d = n_head * head_dim;
  pool.parallel_for(n_head, 1, [&](int64_t begin, int64_t end, int) {
    for (int64_t head = begin; head < end; ++head) {
      float* kh = k_heads + head * n_kv * head_dim;
      float* vh = vt_heads + head * head_dim * n_kv;
      for (int64_t row = 0; row < n_kv; ++row) {
        std::copy(k + row * d + head * head_dim, k + row * d + (head + 1) * head_dim, kh + row * head_dim);
        for (int64_t col = 0; col < head_dim; ++col) vh[col * n_kv + row] = v[row * d + head * head_dim + col];
      }
    }
  });
}

void whisper_attention_heads(const float* q, const float* k_heads, const float* vt_heads, int64_t n_q, int64_t n_kv,
                             int64_t n_head, int64_t head_dim, float* out, ThreadPool& pool) {
  const int64_t d = n_head * head_dim;
  if (n_q <= kFewQueries) {
    // Decoding: a few queries. One task per head (vector dots, no per-head pool dispatch),
    // the same sums as the matmul path below.
    pool.parallel_for(n_head, 1, [&](int64_t begin, int64_t end, int) {
      std::vector<float> scores(static_cast<size_t>(n_kv));
      for (int64_t head = begin; head < end; ++head) {
        const float* kh = k_heads + head * n_kv * head_dim;
        const float* vh = vt_heads + head * head_dim * n_kv;
        for (int64_t row = 0; row < n_q; ++row) {
          const float* qrow = q + row * d + head * head_dim;
          for (int64_t kj = 0; kj < n_kv; ++kj) {
            scores[static_cast<size_t>(kj)] = tensor::dot_f32(kh + kj * head_dim, qrow, head_dim);
          }
          tensor::softmax(scores.data(), n_kv);
          for (int64_t col = 0; col < head_dim; ++col) {
            out[row * d + head * head_dim + col] = tensor::dot_f32(vh + col * n_kv, scores.data(), n_kv);
          }
        }
      }
    });
    return;
  }
  std::vector<float> qh(static_cast<size_t>(n_q * head_dim)), scores(static_cast<size_t>(n_q * n_kv)),
      oh(static_cast<size_t>(n_q * head_dim));
  for (int64_t head = 0; head < n_head; ++head) {
    for (int64_t row = 0; row < n_q; ++row) {
      std::copy(q + row * d + head * head_dim, q + row * d + (head + 1) * head_dim, &qh[static_cast<size_t>(row * head_dim)]);
    }
    tensor::matmul({tensor::DType::kF32, k_heads + head * n_kv * head_dim, n_kv, head_dim}, qh.data(), n_q,
                   scores.data(), pool);
    pool.parallel_for(n_q, 16, [&](int64_t begin, int64_t end, int) {
      for (int64_t row = begin; row < end; ++row) tensor::softmax(&scores[static_cast<size_t>(row * n_kv)], n_kv);
    });
    tensor::matmul({tensor::DType::kF32, vt_heads + head * head_dim * n_kv, head_dim, n_kv}, scores.data(), n_q,
                   oh.data(), pool);
    for (int64_t row = 0; row < n_q; ++row) {
      std::copy(&oh[static_cast<size_t>(row * head_dim)], &oh[static_cast<size_t>((row + 1) * head_dim)],
                out + row * d + head * head_dim);
    }
  }
}

Result<std::unique_ptr<WhisperModel>> WhisperModel::load(const std::string& path) {
  HEARTH_ASSIGN_OR_RETURN(auto file, model::GgufFile::open(path));
  return from_file(std::move(file));
}

Result<std::unique_ptr<WhisperModel>> WhisperModel::from_file(model::GgufFile&& file) {
  std::unique_ptr<WhisperModel> m(new WhisperModel(std::move(file)));
  HEARTH_ASSIGN_OR_RETURN(m->config_, model::read_whisper_config(m->file_));
  if (m->config_.n_audio_ctx * 2 != kWhisperWindowFrames) {
    return unimplemented_error("whisper: audio.context_length " + std::to_string(m->config_.n_audio_ctx) +
                               " is not one 30 s window (1500)");
  }
  HEARTH_ASSIGN_OR_RETURN(m->weights_, model::bind_whisper_weights(m->file_, m->config_));
  HEARTH_ASSIGN_OR_RETURN(m->tokenizer_, text::Tokenizer::from_gguf(m->file_));
  if (m->tokenizer_->n_vocab() != m->config_.n_vocab) {
    return data_loss_error("whisper: the tokenizer has " + std::to_string(m->tokenizer_->n_vocab()) +
                           " tokens, the model " + std::to_string(m->config_.n_vocab));
  }
  HEARTH_ASSIGN_OR_RETURN(m->vocab_, WhisperVocab::from_tokenizer(*m->tokenizer_));
  return m;
}

int64_t WhisperModel::encoder_scratch_bytes(const model::WhisperConfig& c) {
  const int64_t frames = kWhisperWindowFrames;
  const int64_t im2col = std::max(frames * c.n_mels * kTaps, c.n_audio_ctx * c.n_embd * kTaps);
  const int64_t per_token = 8 * c.n_embd + c.n_ff;  // x, h, q, k, v, attention out, K and V per head, ffn hidden
  const int64_t scores = c.n_audio_ctx * c.n_audio_ctx;  // one head's attention matrix
  return static_cast<int64_t>(sizeof(float)) * (im2col + frames * c.n_embd + c.n_audio_ctx * per_token + scores);
}

void WhisperModel::encode(const float* features, float* out, ThreadPool& pool) const {
  const model::WhisperConfig& c = config_;
  const model::WhisperWeights& w = weights_;
  const int64_t d = c.n_embd;
  const int64_t frames = kWhisperWindowFrames;
  const int64_t n_ctx = c.n_audio_ctx;

  // conv1: [frames x n_mels*3] windows of the features (zero outside), then GELU.
  std::vector<float> cols(static_cast<size_t>(std::max(frames * c.n_mels, n_ctx * d) * kTaps));
  pool.parallel_for(frames, 64, [&](int64_t begin, int64_t end, int) {
    for (int64_t t = begin; t < end; ++t) {
      float* row = &cols[static_cast<size_t>(t * c.n_mels * kTaps)];
      for (int64_t ch = 0; ch < c.n_mels; ++ch) {
        for (int64_t tap = 0; tap < kTaps; ++tap) {
          const int64_t src = t + tap - 1;
          row[ch * kTaps + tap] = src >= 0 && src < frames ? features[ch * frames + src] : 0.0f;
        }
      }
    }
  });
  std::vector<float> h1(static_cast<size_t>(frames * d));
  linear(w.conv1, w.conv1_b, cols.data(), frames, h1.data(), pool);
  gelu_erf_inplace(h1.data(), frames * d, pool);

  // conv2, stride 2: output t reads h1 rows 2t-1, 2t, 2t+1.
  pool.parallel_for(n_ctx, 64, [&](int64_t begin, int64_t end, int) {
    for (int64_t t = begin; t < end; ++t) {
      float* row = &cols[static_cast<size_t>(t * d * kTaps)];
      for (int64_t tap = 0; tap < kTaps; ++tap) {
        const int64_t src = 2 * t + tap - 1;
        for (int64_t ch = 0; ch < d; ++ch) {
          row[ch * kTaps + tap] = src >= 0 && src < frames ? h1[static_cast<size_t>(src * d + ch)] : 0.0f;
        }
      }
    }
  });
  std::vector<float> x(static_cast<size_t>(n_ctx * d));
  linear(w.conv2, w.conv2_b, cols.data(), n_ctx, x.data(), pool);
  gelu_erf_inplace(x.data(), n_ctx * d, pool);
  for (int64_t idx = 0; idx < n_ctx * d; ++idx) x[static_cast<size_t>(idx)] += w.enc_pos[idx];

  std::vector<float> h(x.size()), q(x.size()), k(x.size()), v(x.size()), attn(x.size()), k_heads(x.size()),
      vt_heads(x.size());
  std::vector<float> ffn(static_cast<size_t>(n_ctx * c.n_ff));
  const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim()));
  for (const model::WhisperLayerWeights& layer : w.enc_layers) {
    const model::WhisperAttentionWeights& a = layer.self_attn;
    layer_norm_rows(x.data(), a.norm_w, a.norm_b, c.ln_eps, h.data(), n_ctx, d, pool);
    linear(a.q, a.q_b, h.data(), n_ctx, q.data(), pool);
    linear(a.k, nullptr, h.data(), n_ctx, k.data(), pool);
    linear(a.v, a.v_b, h.data(), n_ctx, v.data(), pool);
    for (float& value : q) value *= scale;
    whisper_split_heads(k.data(), v.data(), n_ctx, c.n_head, c.head_dim(), k_heads.data(), vt_heads.data(), pool);
    whisper_attention_heads(q.data(), k_heads.data(), vt_heads.data(), n_ctx, n_ctx, c.n_head, c.head_dim(),
                            attn.data(), pool);
    linear(a.o, a.o_b, attn.data(), n_ctx, h.data(), pool);
    tensor::add_inplace(x.data(), h.data(), n_ctx * d);

    layer_norm_rows(x.data(), layer.ffn_norm_w, layer.ffn_norm_b, c.ln_eps, h.data(), n_ctx, d, pool);
    linear(layer.ffn_up, layer.ffn_up_b, h.data(), n_ctx, ffn.data(), pool);
    gelu_erf_inplace(ffn.data(), n_ctx * c.n_ff, pool);
    linear(layer.ffn_down, layer.ffn_down_b, ffn.data(), n_ctx, h.data(), pool);
    tensor::add_inplace(x.data(), h.data(), n_ctx * d);
  }
  layer_norm_rows(x.data(), w.enc_norm_w, w.enc_norm_b, c.ln_eps, out, n_ctx, d, pool);
}

}  // namespace hearth::media
