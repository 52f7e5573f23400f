// WhisperModel: a mapped Whisper GGUF file (model/arch/whisper.h) with its
// bound weights, tokenizer and special tokens, and the audio encoder:
// log-mel features of one 30 s window -> n_audio_ctx vectors for the decoder's
// cross-attention (WhisperDecoder).
//
//   HEARTH_ASSIGN_OR_RETURN(auto model, WhisperModel::load(path));
//   std::vector<float> audio_ctx(model->config().n_audio_ctx * model->config().n_embd);
//   model->encode(features.data(), audio_ctx.data(), pool);
//
// Encoder (as transformers' WhisperEncoder): conv1d(n_mels -> d, k 3, pad 1) +
// GELU, conv1d(d -> d, k 3, stride 2, pad 1) + GELU, + sinusoidal positions,
// pre-LayerNorm blocks (self-attention over all positions, GELU FFN), final
// LayerNorm. Attention scales Q by head_dim^-1/2.
//
// Thread-safety: immutable after load; encode() may run on many threads with
// their own pools and buffers.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "base/thread_pool.h"
#include "media/whisper_vocab.h"
#include "model/arch/whisper.h"
#include "model/gguf.h"
#include "text/tokenizer.h"

namespace hearth::media {

class WhisperModel {
 public:
  // kDataLoss / kInvalidArgument from the file, its config, weights or
  // vocabulary; kUnimplemented for an encoder whose positions are not one
  // 30 s window (n_audio_ctx != 1500).
  static Result<std::unique_ptr<WhisperModel>> load(const std::string& path);
  // The same over a parsed file (tests).
  static Result<std::unique_ptr<WhisperModel>> from_file(model::GgufFile&& file);

  const model::WhisperConfig& config() const { return config_; }
  const model::WhisperWeights& weights() const { return weights_; }
  const text::Tokenizer& tokenizer() const { return *tokenizer_; }
  const WhisperVocab& vocab() const { return vocab_; }
  int64_t weights_bytes() const { return weights_.weights_bytes; }
  // The encoder's working buffers for one window, in bytes (the planner's scratch term).
  int64_t encoder_scratch_bytes() const { return encoder_scratch_bytes(config_); }
  static int64_t encoder_scratch_bytes(const model::WhisperConfig& config);
  // The mapped file (its tokenizer.* keys, for the node's tokenizer).
  const model::GgufFile& file() const { return file_; }

  // features: [n_mels x 3000] (LogMelSpectrogram::compute); out: [n_audio_ctx x n_embd].
  void encode(const float* features, float* out, ThreadPool& pool) const;

 private:
  explicit WhisperModel(model::GgufFile&& file) : file_(std::move(file)) {}

  model::GgufFile file_;
  model::WhisperConfig config_;
  model::WhisperWeights weights_;
  std::unique_ptr<text::Tokenizer> tokenizer_;
  WhisperVocab vocab_;
};

// Multi-head attention of n_q query rows over n_kv key/value rows, all [rows x
// n_embd] with head h at columns h*head_dim (Q already scaled). causal_offset
// >= 0: query i sees keys [0, causal_offset + i]; -1: every key. out: [n_q x n_embd].
void whisper_attention(const float* q, const float* k, const float* v, int64_t n_q, int64_t n_kv, int64_t n_head,
                       int64_t head_dim, int64_t causal_offset, float* out, ThreadPool& pool);

// K and V of n_kv rows rearranged per head for whisper_attention_heads: k_heads
// [n_head][n_kv][head_dim], vt_heads [n_head][head_dim][n_kv] (V transposed).
void whisper_split_heads(const float* k, const float* v, int64_t n_kv, int64_t n_head, int64_t head_dim,
                         float* k_heads, float* vt_heads, ThreadPool& pool);

// Attention of every query over every key, per head as two matmuls (scores =
// K_h q, out = V_h^T softmax(scores)) through tensor::matmul: the encoder's
// self-attention and the decoder's cross-attention. Same result as
// whisper_attention with causal_offset -1, to float rounding.
void whisper_attention_heads(const float* q, const float* k_heads, const float* vt_heads, int64_t n_q, int64_t n_kv,
                             int64_t n_head, int64_t head_dim, float* out, ThreadPool& pool);

}  // namespace hearth::media
