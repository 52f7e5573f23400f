// WhisperDecoder: the text decoder of one WhisperModel over one window of
// audio: the cross-attention keys and values of the encoder output (computed
// once per window by set_audio) and a self-attention KV cache of up to
// n_text_ctx positions.
//
//   WhisperDecoder dec(model);
//   dec.set_audio(audio_ctx.data(), pool);
//   HEARTH_RETURN_IF_ERROR(dec.decode(prompt_ids, logits.data(), pool));   // logits of the last token
//   ... dec.decode({&next, 1}, logits.data(), pool) ...
//   dec.truncate(n);   // forget positions >= n (re-decode after a fallback)
//
// Decoder block (transformers' WhisperDecoderLayer): x = token_embd[id] +
// position_embd[pos]; x += SelfAttn(LN(x)) (causal, over the cache);
// x += CrossAttn(LN(x), audio); x += FFN(LN(x)); logits = LN(x) token_embd^T.
//
// Thread-safety: one decoder per thread; the model may be shared.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "media/whisper_model.h"

namespace hearth::media {

class WhisperDecoder {
 public:
  explicit WhisperDecoder(const WhisperModel& model);

  // Computes every layer's cross-attention K and V from encoder output
  // [n_audio_ctx x n_embd] and clears the cache.
  void set_audio(const float* audio_ctx, ThreadPool& pool);

  int64_t n_past() const { return n_past_; }
  // Forgets positions >= n (n <= n_past).
  void truncate(int64_t n);

  // Appends `tokens` at positions n_past.. and writes the logits of the last
  // one into logits_last[n_vocab]; with logits_all, every token's logits
  // [tokens x n_vocab]. kOutOfRange for an id outside the vocabulary or past
  // n_text_ctx positions; kFailedPrecondition before set_audio; kInvalidArgument for no tokens.
  Status decode(std::span<const int32_t> tokens, float* logits_last, ThreadPool& pool,
                float* logits_all = nullptr);

  // The bytes this decoder holds (caches and cross K/V): the planner's cache term.
  int64_t cache_bytes() const;

 private:
  const WhisperModel& model_;
  int64_t n_past_ = 0;
  bool has_audio_ = false;
  // Per layer, whisper_split_heads' layout: K [head][n_audio_ctx][head_dim], V [head][head_dim][n_audio_ctx].
  std::vector<float> cross_k_, cross_v_;
  std::vector<float> self_k_, self_v_;    // [layer][n_text_ctx][n_embd]
};

}  // namespace hearth::media
