// The `qwen3moe` family: Qwen3 mixture-of-experts models (Qwen3-30B-A3B,
// Qwen3-235B-A22B). The qwen3 attention (explicit head size, per-head Q/K
// RMSNorm before neox RoPE, no biases); the FFN of every layer is a router
// (ffn_gate_inp) over expert_count SwiGLU experts, of which each token runs
// the expert_used_count with the highest softmax probability, their outputs
// weighted by those probabilities renormalized to sum to 1 (HF's
// norm_topk_prob, which llama.cpp's graph always applies). No shared expert.
// ref: llama.cpp src/models/qwen3moe.cpp; gguf-py/gguf/constants.py (MODEL_ARCH.QWEN3MOE tensors)
#include "model/arch/families.h"
#include "model/arch/transformer_parts.h"

// GCC 12's spurious -Wmissing-field-initializers on designated initializers: see transformer_parts.h.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace hearth::model {
namespace {

using namespace parts;

constexpr ConfigKey kKeys[] = {
    kContextLength,   kEmbeddingLength,         kBlockCount,         kFeedForwardLength, kHeadCount,
    kHeadCountKv,     kKeyLengthAlways,         kValueLengthAlways,  kRmsEpsilon,        kRopeFreqBase,
    kExpertCountSets, kExpertUsedCount,         kExpertFeedForwardLength, kRopeDimensionCount, kVocabSize,
};

constexpr ArchTensor kTensors[] = {
    kTokenEmbd,  kOutputNorm, kOutput,   kAttnNorm,   kAttnQ,       kAttnK,     kAttnV,       kAttnQNorm,
    kAttnKNorm,  kAttnOutput, kFfnNorm,  kFfnGateInp, kFfnGateExps, kFfnUpExps, kFfnDownExps,
};

constexpr ArchSpec kQwen3Moe = {
    .name = "qwen3moe",
    .description = "Qwen3 MoE (Qwen3-30B-A3B, Qwen3-235B-A22B)",
    .rope_mode = RopeMode::kNeox,
    .capabilities = capability_bit(Capability::kGenerate),
    .keys = kKeys,
    .tensors = kTensors,
};

}  // namespace

const ArchSpec& qwen3moe_arch() { return kQwen3Moe; }

}  // namespace hearth::model
