// The `bert` family: BERT encoders as llama.cpp's converter writes them
// (BertModel: all-MiniLM, bge-small/base/large-en, e5, gte). Token, absolute
// position and token-type embeddings summed, then a LayerNorm; per block
// bidirectional multi-head attention with biased Q/K/V/output matrices, a
// residual add and a LayerNorm (post-norm), then up -> GELU (erf) -> down with
// biases, a residual add and a LayerNorm. No output matrix: the engine pools
// the last hidden states (<arch>.pooling_type: mean or cls) into an embedding.
// ref: llama.cpp gguf-py/gguf/constants.py (MODEL_ARCH.BERT), convert_hf_to_gguf.py (BertModel)
#include "model/arch/families.h"
#include "model/arch/transformer_parts.h"

// GCC 12's spurious -Wmissing-field-initializers on designated initializers: see transformer_parts.h.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace hearth::model {
namespace {

using namespace parts;

// LayerNorm's epsilon (llama.cpp: LLM_KV_ATTENTION_LAYERNORM_EPS), kept in LlamaConfig::rms_eps.
constexpr ConfigKey kLayerNormEpsilon = {.suffix = "attention.layer_norm_epsilon",
                                         .type = KeyType::kFloat,
                                         .float_field = &LlamaConfig::rms_eps,
                                         .min = 0.0,
                                         .max = 0.5};
// An encoder is served only as an embedder or a reranker: its pooling is
// required (1 mean, 2 cls, 3 last, 4 rank: the classification head).
constexpr ConfigKey kEncoderPooling = {.suffix = "pooling_type", .int_field = &LlamaConfig::pooling, .min = 1, .max = 4};

constexpr bool ranks(const LlamaConfig& c) { return c.pooling == 4; }
constexpr TensorShape cls_out_shape(const LlamaConfig& c) { return {c.n_embd, c.n_cls_out}; }
constexpr TensorShape cls_out_vector(const LlamaConfig& c) { return {c.n_cls_out, 1}; }

constexpr TensorShape ctx_to_embd(const LlamaConfig& c) { return {c.n_embd, c.n_ctx_train}; }
constexpr TensorShape types_to_embd(const LlamaConfig& c) { return {c.n_embd, c.n_token_types}; }
constexpr TensorShape ff_vector(const LlamaConfig& c) { return {c.n_ff, 1}; }

constexpr ArchTensor per_block_vector(std::string_view name, WeightSlot slot, TensorShape (*shape)(const LlamaConfig&),
                                      TensorFill fill = TensorFill::kRandom) {
  return {.name = name,
          .scope = TensorScope::kPerBlock,
          .form = TensorForm::kF32Vector,
          .slot = slot,
          .shape = shape,
          .fill = fill};
}

constexpr ConfigKey kKeys[] = {
    kContextLength, kEmbeddingLength, kBlockCount,       kFeedForwardLength, kHeadCount,
    kHeadCountKv,   kKeyLength,       kLayerNormEpsilon, kEncoderPooling,    kValueLength,
};

constexpr ArchTensor kTensors[] = {
    kTokenEmbd,
    {.name = "position_embd.weight", .slot = WeightSlot::kPosEmbd, .shape = ctx_to_embd},
    {.name = "token_types.weight", .slot = WeightSlot::kTokenTypes, .shape = types_to_embd},
    {.name = "token_embd_norm.weight",
     .form = TensorForm::kF32Vector,
     .slot = WeightSlot::kTokenEmbdNorm,
     .shape = embd_vector,
     .fill = TensorFill::kOnes},
    {.name = "token_embd_norm.bias",
     .form = TensorForm::kF32Vector,
     .slot = WeightSlot::kTokenEmbdNormBias,
     .shape = embd_vector},
    kAttnQ,
    kAttnQBias,
    kAttnK,
    kAttnKBias,
    kAttnV,
    kAttnVBias,
    kAttnOutput,
    per_block_vector("attn_output.bias", WeightSlot::kAttnOutputBias, embd_vector),
    per_block_vector("attn_output_norm.weight", WeightSlot::kAttnOutNorm, embd_vector, TensorFill::kOnes),
    per_block_vector("attn_output_norm.bias", WeightSlot::kAttnOutNormBias, embd_vector),
    kFfnUp,
    per_block_vector("ffn_up.bias", WeightSlot::kFfnUpBias, ff_vector),
    kFfnDown,
    per_block_vector("ffn_down.bias", WeightSlot::kFfnDownBias, embd_vector),
    per_block_vector("layer_output_norm.weight", WeightSlot::kLayerOutNorm, embd_vector, TensorFill::kOnes),
    per_block_vector("layer_output_norm.bias", WeightSlot::kLayerOutNormBias, embd_vector),
    {.name = "cls.weight",
     .slot = WeightSlot::kCls,
     .shape = [](const LlamaConfig& c) { return TensorShape{c.n_embd, c.n_embd}; },
     .written_when = ranks,
     .note = "a reranker's classification head (pooling_type 4)"},
    {.name = "cls.bias",
     .form = TensorForm::kF32Vector,
     .slot = WeightSlot::kClsBias,
     .shape = embd_vector,
     .written_when = ranks,
     .note = "a reranker's classification head (pooling_type 4)"},
    {.name = "cls.output.weight",
     .slot = WeightSlot::kClsOut,
     .shape = cls_out_shape,
     .written_when = ranks,
     .note = "a reranker's classification head (pooling_type 4)"},
    {.name = "cls.output.bias",
     .form = TensorForm::kF32Vector,
     .slot = WeightSlot::kClsOutBias,
     .shape = cls_out_vector,
     .written_when = ranks,
     .note = "a reranker's classification head (pooling_type 4)"},
};

constexpr ArchSpec kBert = {
    .name = "bert",
    .description = "BERT encoders (all-MiniLM, bge, e5): embeddings; with rank pooling, cross-encoders (bge-reranker)",
    .graph = {.activation = FfnActivation::kGeluErf, .encoder = true},
    .capabilities = capability_bit(Capability::kEmbed),
    .keys = kKeys,
    .tensors = kTensors,
};

}  // namespace

const ArchSpec& bert_arch() { return kBert; }

}  // namespace hearth::model
