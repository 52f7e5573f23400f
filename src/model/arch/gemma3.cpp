// The `gemma3` family: Gemma 3 text models (1B, and the language model of
// 4B/12B/27B). Differences from the llama graph: the embedding row is scaled
// by sqrt(n_embd); the attention and FFN outputs are RMS-normed again before
// their residual adds (post_attention_norm, post_ffw_norm; ffn_norm is the
// pre-FFN norm); each Q and K head is RMS-normed before RoPE; the FFN gate is
// GELU (tanh approximation); five of every six layers attend only to the last
// attention.sliding_window positions and rotate with base 10000, the sixth
// attends globally with rope.freq_base (and the file's RoPE scaling, which
// llama.cpp applies to the global layers only); the output is tied.
// HF's Gemma3RMSNorm multiplies by (1 + w); llama.cpp's converter stores 1 + w,
// so every norm here is a plain RMSNorm.
// ref: llama.cpp convert_hf_to_gguf.py (Gemma3Model), src/llama-model.cpp (LLM_ARCH_GEMMA3)
#include "model/arch/families.h"
#include "model/arch/transformer_parts.h"

// GCC 12's spurious -Wmissing-field-initializers on designated initializers: see transformer_parts.h.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace hearth::model {
namespace {

using namespace parts;

constexpr ConfigKey kKeys[] = {
    kContextLength,      kEmbeddingLength, kBlockCount,        kFeedForwardLength, kHeadCount,
    kHeadCountKv,        kKeyLengthAlways, kValueLengthAlways, kRmsEpsilon,        kRopeFreqBase,
    kRopeDimensionCount, kSlidingWindow,   kVocabSize,         kExpertCount,
};

constexpr ArchTensor kTensors[] = {
    kTokenEmbd, kOutputNorm, kOutput,       kAttnNorm, kAttnQ,   kAttnK, kAttnV,   kAttnQNorm,
    kAttnKNorm, kAttnOutput, kAttnPostNorm, kFfnNorm,  kFfnGate, kFfnUp, kFfnDown, kFfnPostNorm,
};

// gemma3 27B's query_pre_attn_scalar is n_embd / n_head (llama.cpp: by its layer count).
constexpr int64_t kGemma3_27bLayers = 62;

constexpr ArchSpec kGemma3 = {
    .name = "gemma3",
    .description = "Gemma 3 (text)",
    .rope_mode = RopeMode::kNeox,
    .graph = {.activation = FfnActivation::kGeluTanh,
              .scale_embedding = true,
              .global_layer_period = 6,
              .local_rope_base = 10000.0f,
              .embd_per_head_scale_layers = kGemma3_27bLayers},
    .capabilities = capability_bit(Capability::kGenerate),
    .keys = kKeys,
    .tensors = kTensors,
};

}  // namespace

const ArchSpec& gemma3_arch() { return kGemma3; }

}  // namespace hearth::model
