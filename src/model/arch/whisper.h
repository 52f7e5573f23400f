// The Whisper family (general.architecture "whisper"): an audio encoder (two
// 1-D convolutions with GELU, sinusoidal positions, pre-LayerNorm transformer
// blocks) and a text decoder (learned positions, self-attention, cross-
// attention over the encoder output, tied output projection).
//
// GGUF layout (tools/whisper_gguf.py is the converter's side and says where each
// HF tensor goes). GGUF has no standard Whisper layout (whisper.cpp keeps its own
// ggml format), so the names follow llama.cpp's encoder-decoder family (T5:
// "enc.blk.N.", "dec.blk.N.", "cross_attn_*", "attn_o") and its audio encoder
// ("conv1d"):
//   enc.conv1d.0.weight [3, n_mels, d] (ggml ne) + .bias, enc.conv1d.1.weight [3, d, d] + .bias,
//   enc.position_embd.weight [d, n_audio_ctx], enc.output_norm.{weight,bias},
//   token_embd.weight [d, n_vocab], dec.position_embd.weight [d, n_text_ctx],
//   dec.output_norm.{weight,bias};
//   enc.blk.N. and dec.blk.N.: attn_norm.{weight,bias}, attn_{q,v,o}.{weight,bias},
//   attn_k.weight (no bias in Whisper), ffn_norm.{weight,bias}, ffn_up.{weight,bias},
//   ffn_down.{weight,bias}; dec.blk.N. also cross_attn_norm and cross_attn_{q,k,v,o} alike.
// Keys ("whisper."): vocab_size, context_length (decoder positions),
// embedding_length, block_count (encoder), decoder_block_count,
// feed_forward_length, attention.head_count, attention.layer_norm_epsilon
// (default 1e-5), audio.num_mel_bins, audio.context_length (encoder positions).
//
// Matrices may be any weight type the kernels run, except the convolutions
// (F32 or F16: their ggml rows are 3 taps, never whole quantization blocks),
// which the encoder reads as matrices of [d rows x n_in * 3 cols] (input
// channel c, tap k at column c * 3 + k: the same bytes as ggml's [3, n_in, d]). Norms, biases and
// the encoder positions are F32; the decoder positions F32 or F16.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "model/gguf.h"
#include "model/gguf_writer.h"
#include "tensor/matmul.h"

namespace hearth::model {

inline constexpr std::string_view kWhisperArch = "whisper";

struct WhisperConfig {
  int64_t n_vocab = 0;
  int64_t n_mels = 80;
  int64_t n_embd = 0;
  int64_t n_head = 0;
  int64_t n_ff = 0;
  int64_t n_enc_layer = 0;
  int64_t n_dec_layer = 0;
  int64_t n_audio_ctx = 1500;  // encoder positions: 30 s of 10 ms frames, halved by the second convolution
  int64_t n_text_ctx = 448;    // decoder positions
  float ln_eps = 1e-5f;

  int64_t head_dim() const { return n_embd / n_head; }
};

// Ranges (every dimension >= 1 and within config_limits.h; n_embd a multiple
// of n_head; n_mels 80 or 128; n_audio_ctx even). kInvalidArgument naming the field.
Status validate_whisper_config(const WhisperConfig& config);

// Reads the keys above; kDataLoss naming a missing or malformed key, then validate_whisper_config.
Result<WhisperConfig> read_whisper_config(const GgufFile& file);
// general.architecture and the keys above.
void write_whisper_config(GgufWriter& writer, const WhisperConfig& config);

// How synth and the test writers fill a tensor.
enum class WhisperFill { kRandom, kOnes, kZeros, kSinusoids };

struct WhisperTensorSpec {
  std::string name;
  std::vector<int64_t> ne;  // ggml order: ne[0] innermost
  bool matrix = false;      // any weight type; otherwise F32 (F32 or F16 for dec.position_embd)
  WhisperFill fill = WhisperFill::kRandom;
};

// Every tensor of a model with `config`, in file order. Precondition: the config is valid.
std::vector<WhisperTensorSpec> whisper_tensors(const WhisperConfig& config);

// A bound attention: Q, V, O have biases, K has none.
struct WhisperAttentionWeights {
  const float* norm_w = nullptr;
  const float* norm_b = nullptr;
  tensor::WeightView q{}, k{}, v{}, o{};
  const float* q_b = nullptr;
  const float* v_b = nullptr;
  const float* o_b = nullptr;
};

struct WhisperLayerWeights {
  WhisperAttentionWeights self_attn;
  WhisperAttentionWeights cross_attn;  // decoder layers only
  const float* ffn_norm_w = nullptr;
  const float* ffn_norm_b = nullptr;
  tensor::WeightView ffn_up{}, ffn_down{};
  const float* ffn_up_b = nullptr;
  const float* ffn_down_b = nullptr;
};

struct WhisperWeights {
  tensor::WeightView conv1{}, conv2{};  // [d x n_mels*3], [d x d*3]
  const float* conv1_b = nullptr;
  const float* conv2_b = nullptr;
  const float* enc_pos = nullptr;  // [n_audio_ctx x d]
  const float* enc_norm_w = nullptr;
  const float* enc_norm_b = nullptr;
  tensor::WeightView token_embd{};  // [n_vocab x d]; also the output projection
  tensor::WeightView dec_pos{};     // [n_text_ctx x d], F32 or F16
  const float* dec_norm_w = nullptr;
  const float* dec_norm_b = nullptr;
  std::vector<WhisperLayerWeights> enc_layers;
  std::vector<WhisperLayerWeights> dec_layers;
  int64_t weights_bytes = 0;  // the bytes of every bound tensor
};

// Binds every tensor of whisper_tensors(config), checking each one's dims and
// type; kDataLoss naming a missing tensor, a wrong shape or type, and a tensor
// the graph would not read. The views point into `file`, which must outlive them.
Result<WhisperWeights> bind_whisper_weights(const GgufFile& file, const WhisperConfig& config);

}  // namespace hearth::model
