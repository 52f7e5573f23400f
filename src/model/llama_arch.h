// The llama-style decoder graph's config and weights, for every family whose
// description (model/arch/<family>.cpp, found through model/arch/arch_registry.h)
// lists its keys and tensors: `llama` (Llama 2/3.x, Mistral, TinyLlama,
// SmolLM), `qwen2` (adds Q/K/V biases), `qwen3` (per-head Q/K norms),
// `qwen3moe` (qwen3 with a mixture-of-experts FFN), `gemma2` (post norms, GELU,
// alternating sliding-window layers, soft-capping), `gemma3` (gemma2's layout
// with Q/K norms, 5:1 windowed layers, no capping) and `phi3` (fused matrices).
//
// LlamaConfig is read from GGUF metadata (keys "<arch>.block_count" etc., as
// the family's key table says); LlamaWeights binds the family's tensor list by
// GGUF names and checks every shape and type before the engine touches them.
// ref: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md (standardized key-value pairs)
//
// RoPE: `llama` files store Q/K rows permuted so that rotary pairs are
// adjacent (dims 2i, 2i+1: "normal" mode); `qwen2` files keep HF's layout
// where pairs are (i, i + head_dim/2) ("neox" mode). rope_neox says which.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "base/status.h"
#include "model/gguf.h"
#include "model/gguf_writer.h"
#include "tensor/matmul.h"

namespace hearth::model {

enum class RopeScalingType { kNone, kLinear, kLlama3 };

struct RopeScaling {
  RopeScalingType type = RopeScalingType::kNone;
  float factor = 1.0f;
  // llama3 only (keys "<arch>.rope.scaling.*"; defaults as Llama 3.1 publishes them)
  float low_freq_factor = 1.0f;
  float high_freq_factor = 4.0f;
  int64_t original_context = 8192;
};

// The FFN's gate activation: SwiGLU (llama, qwen, phi3) or GELU with the tanh
// approximation (gemma: GeGLU, HF's "gelu_pytorch_tanh").
// kGeluErf: a plain (not gated) FFN, up -> exact GELU -> down (bert: HF's "gelu").
enum class FfnActivation { kSilu, kGeluTanh, kGeluErf };

struct LlamaConfig {
  std::string arch;  // a registered family (model/arch/arch_registry.h): "llama", "qwen2"
  int64_t n_vocab = 0;
  int64_t n_ctx_train = 0;
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t head_dim = 0;      // n_embd / n_head unless "<arch>.attention.key_length" says otherwise
  int64_t n_ff = 0;
  float rms_eps = 1e-5f;  // the norm epsilon: RMSNorm's, or LayerNorm's for an encoder
  float rope_theta = 10000.0f;
  bool rope_neox = false;  // the family's RopeMode is kNeox (qwen2)
  // From "<arch>.rope.scaling.*" keys. kLlama3 is written as the tensor
  // rope_freqs.weight (and a file carrying that tensor reads back as kNone,
  // the factors bound in LlamaWeights::rope_freqs).
  RopeScaling rope_scaling;
  bool has_qkv_bias = false;  // the family lists Q/K/V biases (qwen2)
  bool tied_output = false;  // output.weight absent: logits use token_embd.weight
  // "<arch>.attention.sliding_window" (gemma3): how many positions, the
  // query's own included, a windowed layer sees. 0: none.
  int64_t sliding_window = 0;
  // "<arch>.pooling_type" (embedding models, llama.cpp's values): 0 none (a
  // text generator), 1 mean, 2 cls (first token), 3 last token, 4 rank (bert:
  // a cross-encoder's classification head over the first token).
  int64_t pooling = 0;
  // bert: the rows of token_types.weight (segments A/B; written as
  // tokenizer.ggml.token_type_count, as llama.cpp does). 0 for decoders.
  int64_t n_token_types = 0;
  // bert with pooling 4 (rank): the rows of cls.output.weight (the classifier's
  // outputs; a reranker's score is the first). 0 otherwise.
  int64_t n_cls_out = 0;
  // Fixed by the family (model/arch/arch_spec.h, GraphTraits).
  FfnActivation ffn_activation = FfnActivation::kSilu;
  bool scale_embedding = false;
  int64_t global_layer_period = 0;  // 0: no windowed layers
  float rope_local_theta = 0.0f;    // RoPE base of the windowed layers; 0: rope_theta
  bool soft_capping = false;        // gemma2: the two caps below apply
  int64_t embd_per_head_scale_layers = 0;  // see attention_scale
  bool encoder = false;                    // GraphTraits::encoder (bert)
  // "<arch>.attn_logit_softcapping" / "final_logit_softcapping" (gemma2):
  // scores become cap * tanh(score / cap) (after the attention scale), and so
  // do the output logits. Used only when soft_capping.
  float attn_softcap = 0.0f;
  float final_softcap = 0.0f;
  // Mixture of experts (qwen3moe; 0 for dense families): "<arch>.expert_count"
  // experts of "expert_feed_forward_length" each; every token runs the
  // "expert_used_count" experts the router ranks highest, weighted by their
  // softmax probabilities renormalized over the chosen ones.
  int64_t n_expert = 0;
  int64_t n_expert_used = 0;
  int64_t n_ff_exp = 0;

  // Whether layer `layer_idx` attends through the sliding window.
  bool layer_is_windowed(int64_t layer_idx) const {
    return sliding_window > 0 && global_layer_period > 0 && (layer_idx + 1) % global_layer_period != 0;
  }
};

// The attention score scale: 1/sqrt(head_dim), except gemma2 27B and gemma3
// 27B, whose query_pre_attn_scalar is n_embd / n_head (GGUF has no key for it;
// llama.cpp recognizes the models by their layer count, and so does hearth:
// GraphTraits::embd_per_head_scale_layers).
double attention_scale(const LlamaConfig& config);

// Reads and validates hyper-parameters (positive, n_head % n_head_kv == 0,
// head_dim even, ...). kUnimplemented names an unsupported architecture or
// feature (experts, "yarn" scaling, partial rotary dims); kDataLoss names a
// missing, mistyped or out-of-range key.
Result<LlamaConfig> read_llama_config(const GgufFile& file);

// The range checks read_llama_config applies, for configs built in code
// (kInvalidArgument naming the field).
Status validate_llama_config(const LlamaConfig& config);

struct LlamaLayerWeights {
  const float* attn_norm = nullptr;  // [n_embd], F32
  tensor::WeightView wq, wk, wv, wo;
  const float* bq = nullptr;         // qwen2 only, F32
  const float* bk = nullptr;
  const float* bv = nullptr;
  const float* ffn_norm = nullptr;   // [n_embd], F32
  tensor::WeightView w_gate, w_up, w_down;
  const float* attn_q_norm = nullptr;  // [head_dim], F32: qwen3, gemma3 (one gain for every head)
  const float* attn_k_norm = nullptr;
  const float* attn_post_norm = nullptr;  // [n_embd], F32: gemma3
  const float* ffn_post_norm = nullptr;
  tensor::WeightView w_qkv;      // phi3: [q_dim + 2 kv_dim rows], instead of wq, wk, wv
  tensor::WeightView w_gate_up;  // phi3: [2 n_ff rows], gate then up, instead of w_gate, w_up
  // qwen3moe, instead of w_gate, w_up, w_down: the router [n_expert rows x
  // n_embd] and the experts' matrices, each view one expert's shape with the
  // n_expert matrices stored one after another (expert_matrix picks one).
  tensor::WeightView ffn_gate_inp;
  tensor::WeightView w_gate_exps, w_up_exps, w_down_exps;
  // bert: biases of the output and FFN matrices, the two post-norm LayerNorms (F32).
  const float* bo = nullptr;
  const float* b_up = nullptr;
  const float* b_down = nullptr;
  const float* attn_out_norm = nullptr;
  const float* attn_out_norm_b = nullptr;
  const float* layer_out_norm = nullptr;
  const float* layer_out_norm_b = nullptr;
};

// Expert `expert_idx` of a stacked expert tensor (LlamaLayerWeights::w_*_exps).
tensor::WeightView expert_matrix(const tensor::WeightView& stacked, int64_t expert_idx);

struct LlamaWeights {
  tensor::WeightView token_embd;     // [n_vocab rows x n_embd cols]
  const float* output_norm = nullptr;
  tensor::WeightView output;         // token_embd when tied
  std::vector<LlamaLayerWeights> layers;
  // "rope_freqs.weight" [head_dim / 2], F32, or nullptr. Llama 3.1/3.2 files
  // converted by llama.cpp carry their llama3 RoPE scaling as this tensor
  // (not as rope.scaling.* keys): rotary frequency i is divided by
  // rope_freqs[i]. Every value is checked finite and positive.
  const float* rope_freqs = nullptr;
  // bert: [n_ctx_train rows x n_embd] and [n_token_types rows x n_embd], F32,
  // and the LayerNorm of the summed embeddings.
  tensor::WeightView pos_embd;
  tensor::WeightView token_types;
  const float* token_embd_norm = nullptr;
  const float* token_embd_norm_b = nullptr;
  // bert rank pooling: score = cls_out (tanh(cls x + cls_b)) + cls_out_b, x the first position's state.
  tensor::WeightView cls, cls_out;
  const float* cls_b = nullptr;
  const float* cls_out_b = nullptr;
  uint64_t n_bytes = 0;              // bytes of all bound tensors, each counted once
  // Bytes of the expert tensors among n_bytes (0 for dense models): a token
  // reads n_expert_used / n_expert of them (the decode bound's numerator).
  uint64_t n_expert_bytes = 0;
};

// The inverse of read_llama_config: writes general.architecture and the
// family's "<arch>.*" keys its table says to write for this config
// (attention.key_length/value_length only when head_dim differs from
// n_embd / n_head), and linear RoPE scaling as keys. llama3 scaling is not a
// key: writers add the rope_freqs.weight tensor the family's tensor list
// includes for it. Keys for which `keep` returns false are left out (tests
// write files that lack one). Precondition: validate_llama_config(config) is ok.
void write_llama_config(const LlamaConfig& config, GgufWriter& writer,
                        const std::function<bool(const std::string& key)>& keep = {});

// Binds every tensor of the family's list (model/arch/arch_spec.h,
// model_tensors): each required one must exist, optional ones may be absent
// (output.weight: tied to token_embd; rope_freqs.weight: no per-pair factors),
// each with the expected shape, norms and
// biases must be F32, matrices any supported type but Q8_K whose row length
// is a whole number of blocks, every tensor 4-byte aligned. A tensor the
// graph would not use (expert weights, extra biases) is kUnimplemented rather
// than silently ignored. Pointers stay valid while `file` lives.
Result<LlamaWeights> bind_llama_weights(const GgufFile& file, const LlamaConfig& config);

}  // namespace hearth::model
