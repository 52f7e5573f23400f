// The `gemma2` family: Gemma 2 (2B, 9B, 27B). gemma3's layout without the
// per-head Q/K norms: the embedding row is scaled by sqrt(n_embd); the
// attention and FFN outputs are RMS-normed again before their residual adds
// (post_attention_norm, post_ffw_norm; ffn_norm is the pre-FFN norm); the FFN
// gate is GELU (tanh approximation); even layers attend only to the last
// attention.sliding_window positions, odd layers to all (llama.cpp's swa
// pattern 2, HF's layer_types); every layer rotates with rope.freq_base.
// Attention scores (after the scale, query_pre_attn_scalar^-1/2: head_dim, or
// n_embd / n_head for the 46-layer 27B) and the final logits are soft-capped:
// x -> cap * tanh(x / cap). The output is tied; the converter stores norms as 1 + w.
// ref: llama.cpp src/models/gemma2-iswa.cpp, src/llama-model.cpp (LLM_ARCH_GEMMA2 hparams)
#include "model/arch/families.h"
#include "model/arch/transformer_parts.h"

// GCC 12's spurious -Wmissing-field-initializers on designated initializers: see transformer_parts.h.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace hearth::model {
namespace {

using namespace parts;

constexpr ConfigKey kKeys[] = {
    kContextLength,      kEmbeddingLength,      kBlockCount,            kFeedForwardLength, kHeadCount,
    kHeadCountKv,        kKeyLengthAlways,      kValueLengthAlways,     kRmsEpsilon,        kRopeFreqBase,
    kRopeDimensionCount, kSlidingWindow,        kAttnLogitSoftcapping,  kFinalLogitSoftcapping,
    kVocabSize,          kExpertCount,
};

constexpr ArchTensor kTensors[] = {
    kTokenEmbd,  kOutputNorm,   kOutput,  kAttnNorm, kAttnQ, kAttnK,   kAttnV,
    kAttnOutput, kAttnPostNorm, kFfnNorm, kFfnGate,  kFfnUp, kFfnDown, kFfnPostNorm,
};

constexpr int64_t kGemma2_27bLayers = 46;

constexpr ArchSpec kGemma2 = {
    .name = "gemma2",
    .description = "Gemma 2",
    .rope_mode = RopeMode::kNeox,
    .graph = {.activation = FfnActivation::kGeluTanh,
              .scale_embedding = true,
              .global_layer_period = 2,
              .soft_capping = true,
              .embd_per_head_scale_layers = kGemma2_27bLayers},
    .capabilities = capability_bit(Capability::kGenerate),
    .keys = kKeys,
    .tensors = kTensors,
};

}  // namespace

const ArchSpec& gemma2_arch() { return kGemma2; }

}  // namespace hearth::model
