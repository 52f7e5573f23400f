// Whisper's text decoder (see whisper_decoder.h).
#include "media/whisper_decoder.h"

#include <algorithm>
#include <cmath>

#include "media/whisper_layer_ops.h"
#include "tensor/ops.h"
#include "tensor/quant.h"

namespace hearth::media {

WhisperDecoder::WhisperDecoder(const WhisperModel& model) : model_(model) {
  const model::WhisperConfig& c = model.config();
  cross_k_.resize(static_cast<size_t>(c.n_dec_layer * c.n_audio_ctx * c.n_embd));
  cross_v_.resize(cross_k_.size());
  self_k_.resize(static_cast<size_t>(c.n_dec_layer * c.n_text_ctx * c.n_embd));
  self_v_.resize(self_k_.size());
}

int64_t WhisperDecoder::cache_bytes() const {
  return static_cast<int64_t>(sizeof(float) * (cross_k_.size() + cross_v_.size() + self_k_.size() + self_v_.size()));
}

void WhisperDecoder::set_audio(const float* audio_ctx, ThreadPool& pool) {
  const model::WhisperConfig& c = model_.config();
  const int64_t stride = c.n_audio_ctx * c.n_embd;
  std::vector<float> k(static_cast<size_t>(stride)), v(static_cast<size_t>(stride));
  for (int64_t layer = 0; layer < c.n_dec_layer; ++layer) {
    const model::WhisperAttentionWeights& a = model_.weights().dec_layers[static_cast<size_t>(layer)].cross_attn;
    linear(a.k, nullptr, audio_ctx, c.n_audio_ctx, k.data(), pool);
    linear(a.v, a.v_b, audio_ctx, c.n_audio_ctx, v.data(), pool);
    whisper_split_heads(k.data(), v.data(), c.n_audio_ctx, c.n_head, c.head_dim(),
                        &cross_k_[static_cast<size_t>(layer * stride)], &cross_v_[static_cast<size_t>(layer * stride)],
                        pool);
  }
  n_past_ = 0;
  has_audio_ = true;
}

void WhisperDecoder::truncate(int64_t n) { n_past_ = std::clamp<int64_t>(n, 0, n_past_); }

Status WhisperDecoder::decode(std::span<const int32_t> tokens, float* logits_last, ThreadPool& pool,
                              float* logits_all) {
  const model::WhisperConfig& c = model_.config();
  const model::WhisperWeights& w = model_.weights();
  if (!has_audio_) return failed_precondition_error("whisper: decode before set_audio");
  const int64_t n = static_cast<int64_t>(tokens.size());
  if (n == 0) return invalid_argument_error("whisper: decode of no tokens");
  if (n_past_ + n > c.n_text_ctx) {
    return out_of_range_error("whisper: " + std::to_string(n_past_ + n) + " positions exceed the decoder's " +
                              std::to_string(c.n_text_ctx));
  }
  for (int32_t id : tokens) {
    if (id < 0 || id >= c.n_vocab) return out_of_range_error("whisper: token id " + std::to_string(id) + " is outside the vocabulary");
  }
  const int64_t d = c.n_embd;
  std::vector<float> x(static_cast<size_t>(n * d)), h(x.size()), q(x.size()), attn(x.size()), pos(static_cast<size_t>(d));
  std::vector<float> ffn(static_cast<size_t>(n * c.n_ff));
  const int64_t embd_row = tensor::row_bytes(w.token_embd.dtype, d);
  const int64_t pos_row = tensor::row_bytes(w.dec_pos.dtype, d);
  for (int64_t t = 0; t < n; ++t) {
    float* row = &x[static_cast<size_t>(t * d)];
    tensor::dequantize_row(w.token_embd.dtype, static_cast<const uint8_t*>(w.token_embd.data) + tokens[t] * embd_row,
                           row, d);
    tensor::dequantize_row(w.dec_pos.dtype, static_cast<const uint8_t*>(w.dec_pos.data) + (n_past_ + t) * pos_row,
                           pos.data(), d);
    tensor::add_inplace(row, pos.data(), d);
  }
  const float scale = 1.0f / std::sqrt(static_cast<float>(c.head_dim()));
  const int64_t self_stride = c.n_text_ctx * d;
  const int64_t cross_stride = c.n_audio_ctx * d;
  for (int64_t layer = 0; layer < c.n_dec_layer; ++layer) {
    const model::WhisperLayerWeights& l = w.dec_layers[static_cast<size_t>(layer)];
    float* k_cache = &self_k_[static_cast<size_t>(layer * self_stride)];
    float* v_cache = &self_v_[static_cast<size_t>(layer * self_stride)];
    // Self-attention: the new K and V rows go into the cache at n_past.
    layer_norm_rows(x.data(), l.self_attn.norm_w, l.self_attn.norm_b, c.ln_eps, h.data(), n, d, pool);
    linear(l.self_attn.q, l.self_attn.q_b, h.data(), n, q.data(), pool);
    linear(l.self_attn.k, nullptr, h.data(), n, k_cache + n_past_ * d, pool);
    linear(l.self_attn.v, l.self_attn.v_b, h.data(), n, v_cache + n_past_ * d, pool);
    for (float& value : q) value *= scale;
    whisper_attention(q.data(), k_cache, v_cache, n, n_past_ + n, c.n_head, c.head_dim(), n_past_, attn.data(), pool);
    linear(l.self_attn.o, l.self_attn.o_b, attn.data(), n, h.data(), pool);
    tensor::add_inplace(x.data(), h.data(), n * d);
    // Cross-attention over the window's audio.
    layer_norm_rows(x.data(), l.cross_attn.norm_w, l.cross_attn.norm_b, c.ln_eps, h.data(), n, d, pool);
    linear(l.cross_attn.q, l.cross_attn.q_b, h.data(), n, q.data(), pool);
    for (float& value : q) value *= scale;
    whisper_attention_heads(q.data(), &cross_k_[static_cast<size_t>(layer * cross_stride)],
                            &cross_v_[static_cast<size_t>(layer * cross_stride)], n, c.n_audio_ctx, c.n_head,
                            c.head_dim(), attn.data(), pool);
    linear(l.cross_attn.o, l.cross_attn.o_b, attn.data(), n, h.data(), pool);
    tensor::add_inplace(x.data(), h.data(), n * d);
    // FFN.
    layer_norm_rows(x.data(), l.ffn_norm_w, l.ffn_norm_b, c.ln_eps, h.data(), n, d, pool);
    linear(l.ffn_up, l.ffn_up_b, h.data(), n, ffn.data(), pool);
    gelu_erf_inplace(ffn.data(), n * c.n_ff, pool);
    linear(l.ffn_down, l.ffn_down_b, ffn.data(), n, h.data(), pool);
    tensor::add_inplace(x.data(), h.data(), n * d);
  }
  n_past_ += n;
  if (logits_all != nullptr) {
    layer_norm_rows(x.data(), w.dec_norm_w, w.dec_norm_b, c.ln_eps, h.data(), n, d, pool);
    tensor::matmul(w.token_embd, h.data(), n, logits_all, pool);
    std::copy(logits_all + (n - 1) * c.n_vocab, logits_all + n * c.n_vocab, logits_last);
    return ok_status();
  }
  layer_norm_rows(x.data() + (n - 1) * d, w.dec_norm_w, w.dec_norm_b, c.ln_eps, h.data(), 1, d, pool);
  tensor::matmul(w.token_embd, h.data(), 1, logits_last, pool);
  return ok_status();
}

}  // namespace hearth::media
