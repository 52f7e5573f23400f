// ArchSpec: the one description of a model family (GGUF's
// "general.architecture"): the hyper-parameter keys it reads, the tensors it
// carries, its RoPE mode and what hearth can do with it. Each family has one
// ArchSpec in src/model/arch/<family>.cpp, listed in arch_registry.cpp.
// Everything that needs a family's keys or tensors iterates these lists:
// read/write_llama_config, bind_llama_weights, `hearth synth`, the planner's
// weight bytes, `hearth models inspect` and the test-model writers.
// ref: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md (standardized key-value pairs, tensor names)
//
// A family's table reads like this (see llama.cpp in this folder):
//
//   constexpr ConfigKey kKeys[] = {{.suffix = "block_count", .int_field = &LlamaConfig::n_layer, ...}, ...};
//   constexpr ArchTensor kTensors[] = {kTokenEmbd, kOutputNorm, kOutput, kAttnNorm, kAttnQ, ...};
//   const ArchSpec kLlama = {.name = "llama", .keys = kKeys, .tensors = kTensors, ...};
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "model/file_type.h"
#include "model/llama_arch.h"

namespace hearth::model {

// What an engine can serve (infer::Engine::capabilities), and what an engine
// built on a family can (ArchSpec::capabilities). A bit set: the API checks a
// request's capability against the model's before anything runs.
enum class Capability : uint32_t {
  kGenerate = 1u << 0,    // text generation (chat, completions)
  kEmbed = 1u << 1,       // embedding vectors
  kTranscribe = 1u << 2,  // speech to text
  kSpeak = 1u << 3,       // text to speech
  kOcr = 1u << 4,         // text from images and documents
  kRerank = 1u << 5,      // relevance scores of (query, document) pairs: a cross-encoder
};
using Capabilities = uint32_t;
constexpr Capabilities capability_bit(Capability cap) { return static_cast<Capabilities>(cap); }
constexpr bool has_capability(Capabilities caps, Capability cap) { return (caps & capability_bit(cap)) != 0; }
// "generate", "embed", "transcribe", "speak", "ocr", "rerank".
std::string_view capability_name(Capability cap);
// The names of the set's capabilities, in bit order.
std::vector<std::string_view> capability_name_list(Capabilities caps);
// capability_name_list joined with ", "; "none" for an empty set.
std::string capability_names(Capabilities caps);

// Which dims RoPE pairs: (2i, 2i+1) for files whose Q/K rows the converter
// permuted (llama), (i, i + head_dim/2) for HF's own layout (qwen2: "neox").
enum class RopeMode { kNormal, kNeox };

// ---- hyper-parameter keys: "<arch>.<suffix>" ----

enum class KeyType { kUint, kFloat };

enum class KeyUse {
  // The value is stored in int_field / float_field. When absent, `value_for`
  // gives it from the fields read before it (nullptr: the key is required).
  kSets,
  // The graph fixes the value (value_for(config)); the file may state it and
  // must agree, else `mismatch_code` (kUnimplemented: a feature hearth lacks).
  // Checked after every kSets key is read.
  kMustMatch,
};

struct ConfigKey {
  std::string_view suffix;  // "attention.head_count_kv"
  KeyUse use = KeyUse::kSets;
  KeyType type = KeyType::kUint;
  int64_t LlamaConfig::*int_field = nullptr;  // kSets, kUint
  float LlamaConfig::*float_field = nullptr;  // kSets, kFloat
  double min = 0;                             // kUint: [min, max]; kFloat: (min, max]
  double max = 0;
  double (*value_for)(const LlamaConfig&) = nullptr;
  // Whether write_llama_config writes the key for a config; nullptr: always.
  bool (*written_when)(const LlamaConfig&) = nullptr;
  ErrorCode mismatch_code = ErrorCode::kUnimplemented;
  // kSets with value_for: how the default is derived ("head_count"); kMustMatch: why the value is fixed.
  std::string_view note;
};

// ---- tensors ----

// Per-block tensors are named "blk.<N>." + name for N < n_layer.
enum class TensorScope { kGlobal, kPerBlock };

// kMatrix: any weight type the kernels run (quantized or float), 2-D
// [n_rows x n_cols] stored as ne = {n_cols, n_rows}; kF32Vector: n_cols F32 values.
enum class TensorForm { kMatrix, kF32Vector };

// Where binding stores a tensor in LlamaWeights (and, for matrices, the role
// model::pick_tensor_type gives a type for). A family with tensors the llama
// graph lacks adds slots here and fields to its weights struct.
enum class WeightSlot {
  kTokenEmbd,
  kOutputNorm,
  kOutput,
  kRopeFreqs,
  kAttnNorm,
  kAttnQ,
  kAttnK,
  kAttnV,
  kAttnQBias,
  kAttnKBias,
  kAttnVBias,
  kAttnOutput,
  kFfnNorm,
  kFfnGate,
  kFfnUp,
  kFfnDown,
  kAttnQNorm,     // qwen3, gemma3: RMSNorm gain of each Q head [head_dim]
  kAttnKNorm,     // ... and of each K head
  kAttnPostNorm,  // gemma3: RMSNorm of the attention output before the residual add
  kFfnPostNorm,   // gemma3: RMSNorm of the FFN output before the residual add
  kAttnQkv,       // phi3: Q, K and V rows in one matrix
  kFfnGateUp,     // phi3: gate rows, then up rows, in one matrix (GGUF name ffn_up)
  kFfnGateInp,    // qwen3moe: the router, [n_expert rows x n_embd]
  kFfnGateExps,   // qwen3moe: every expert's gate matrix, one 3-D tensor [n_expert x n_ff_exp x n_embd]
  kFfnUpExps,     // ... up matrices
  kFfnDownExps,   // ... down matrices [n_expert x n_embd x n_ff_exp]
  // bert (encoders): absolute position and token-type embeddings (F32 in every
  // file type), LayerNorms with biases, biases on the output and FFN matrices.
  kPosEmbd,            // [n_ctx_train rows x n_embd]
  kTokenTypes,         // [n_token_types rows x n_embd]
  kTokenEmbdNorm,      // LayerNorm of the summed embeddings
  kTokenEmbdNormBias,
  kAttnOutputBias,
  kAttnOutNorm,        // LayerNorm after attention + residual (post-norm)
  kAttnOutNormBias,
  kFfnUpBias,
  kFfnDownBias,
  kLayerOutNorm,       // LayerNorm after FFN + residual
  kLayerOutNormBias,
  // bert with rank pooling (cross-encoders): the classification head over the
  // first position, cls then tanh then cls.output (llama.cpp's CLS, CLS_OUT).
  kCls,           // [n_embd rows x n_embd]
  kClsBias,
  kClsOut,        // [n_cls_out rows x n_embd]
  kClsOutBias,
};

// How `hearth synth` and the test writers fill a tensor: random weights,
// norm gains of 1, or values computed from the config (RoPE frequency factors).
enum class TensorFill { kRandom, kOnes, kRopeFactors };

struct TensorShape {
  int64_t n_cols = 0;  // ne[0]: inputs of a matrix, length of a vector
  int64_t n_rows = 1;  // ne[1]: outputs of a matrix; 1 for a vector
  // ne[2]: how many [n_rows x n_cols] matrices one tensor stacks (experts); 1 for a plain matrix.
  int64_t n_mats = 1;
};

struct ArchTensor {
  std::string_view name;  // "output.weight"; per block: "attn_q.weight"
  TensorScope scope = TensorScope::kGlobal;
  TensorForm form = TensorForm::kMatrix;
  WeightSlot slot = WeightSlot::kTokenEmbd;
  TensorShape (*shape)(const LlamaConfig&) = nullptr;
  // nullptr: required. Otherwise optional: a file may lack it, and writers
  // (synth, the planner, test models) include it when this says so.
  bool (*written_when)(const LlamaConfig&) = nullptr;
  TensorFill fill = TensorFill::kRandom;
  std::string_view note;  // what an absent optional tensor means, for docs and inspect
};

// What a family's forward pass does beyond the llama graph that is not a
// tensor (tensors switch themselves on by being listed: Q/K norms, post norms,
// fused matrices). family_config copies these into LlamaConfig.
struct GraphTraits {
  FfnActivation activation = FfnActivation::kSilu;
  bool scale_embedding = false;  // gemma: the embedding row times sqrt(n_embd)
  // 0: every layer attends to every earlier position. N: layer i attends only
  // to the last attention.sliding_window positions unless (i + 1) % N == 0
  // (gemma3: N = 6, llama.cpp's fixed pattern), with RoPE base local_rope_base
  // and no RoPE scaling in the windowed layers.
  int64_t global_layer_period = 0;
  // 0: the windowed layers rotate with rope.freq_base like the others (gemma2).
  float local_rope_base = 0.0f;
  // tanh soft-capping of attention scores and final logits (gemma2): the
  // family reads their caps from its keys; false: no capping.
  bool soft_capping = false;
  // The layer count of the one model of the family whose attention scale is
  // 1/sqrt(n_embd / n_head) instead of 1/sqrt(head_dim) (its
  // query_pre_attn_scalar; GGUF has no key for it, and llama.cpp recognizes
  // the model by its layer count): gemma2 27B (46), gemma3 27B (62). 0: none.
  int64_t embd_per_head_scale_layers = 0;
  // An encoder (bert): bidirectional attention over one whole input, absolute
  // position embeddings instead of RoPE, post-norm LayerNorms; its graph is
  // infer::EncoderForward, not the decoder's.
  bool encoder = false;
};

struct ArchSpec {
  std::string_view name;         // general.architecture
  std::string_view description;  // "Llama 2/3.x, Mistral 7B, SmolLM, TinyLlama"
  RopeMode rope_mode = RopeMode::kNormal;
  GraphTraits graph;
  Capabilities capabilities = 0;
  std::span<const ConfigKey> keys;
  std::span<const ArchTensor> tensors;
};

// ---- what the descriptions imply ----

// The tensor of `spec` that fills `slot`; nullptr when the family lacks it.
const ArchTensor* find_tensor_spec(const ArchSpec& spec, WeightSlot slot);

// A LlamaConfig with the family's fixed fields set (arch, rope_neox,
// has_qkv_bias, the GraphTraits); the dimensions are left for the caller.
LlamaConfig family_config(const ArchSpec& spec);

// The role model::pick_tensor_type decides a matrix's type by; nullopt for
// slots that hold F32 vectors and for matrices that stay F32 in every file
// type (the MoE router: llama.cpp's quantizer never touches ffn_gate_inp).
std::optional<TensorRole> quant_role(WeightSlot slot);

// Whether a slot holds stacked expert matrices (a token reads only the ones its router picks).
constexpr bool is_expert_slot(WeightSlot slot) {
  return slot == WeightSlot::kFfnGateExps || slot == WeightSlot::kFfnUpExps || slot == WeightSlot::kFfnDownExps;
}

// One concrete tensor of a model: "blk.3.attn_q.weight" with its shape.
struct ModelTensor {
  std::string name;
  const ArchTensor* spec = nullptr;
  int64_t layer_idx = -1;  // -1 for global tensors
  TensorShape shape;
};

enum class TensorSelection {
  kWritten,   // required tensors and the optional ones written for this config
  kPossible,  // every tensor the family may carry
};

// The type a writer (synth, the planner, test models) gives `tensor` in a
// file of `file_type`: F32 for vectors and for matrices without a
// quantization role (the MoE router), otherwise model::pick_tensor_type.
tensor::DType tensor_type_in(FileType file_type, const ModelTensor& tensor, const LlamaConfig& config);

// The tensors of a model of `spec` with `config`'s dimensions, in file order:
// global tensors, then each block's, each in the order the spec lists them.
// Preconditions: validate_llama_config(config) is ok (the shapes cannot overflow).
std::vector<ModelTensor> model_tensors(const ArchSpec& spec, const LlamaConfig& config,
                                       TensorSelection which = TensorSelection::kWritten);

}  // namespace hearth::model
