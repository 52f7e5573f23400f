// The `qwen2` family: Qwen2 and Qwen2.5. The llama graph plus Q/K/V biases,
// with HF's head layout kept, so RoPE pairs dims (i, i + head_dim/2).
// ref: llama.cpp gguf-py/gguf/constants.py (MODEL_ARCH.QWEN2 tensors)
#include "model/arch/families.h"
#include "model/arch/transformer_parts.h"

// GCC 12's spurious -Wmissing-field-initializers on designated initializers: see transformer_parts.h.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace hearth::model {
namespace {

using namespace parts;

constexpr ConfigKey kKeys[] = {
    kContextLength, kEmbeddingLength, kBlockCount,   kFeedForwardLength,  kHeadCount, kHeadCountKv, kKeyLength,
    kValueLength,   kRmsEpsilon,      kRopeFreqBase, kRopeDimensionCount, kVocabSize, kExpertCount,
};

constexpr ArchTensor kTensors[] = {
    kTokenEmbd, kOutputNorm, kOutput,    kRopeFreqs,  kAttnNorm, kAttnQ,   kAttnK, kAttnV,
    kAttnQBias, kAttnKBias,  kAttnVBias, kAttnOutput, kFfnNorm,  kFfnGate, kFfnUp, kFfnDown,
};

constexpr ArchSpec kQwen2 = {
    .name = "qwen2",
    .description = "Qwen2, Qwen2.5",
    .rope_mode = RopeMode::kNeox,
    .capabilities = capability_bit(Capability::kGenerate),
    .keys = kKeys,
    .tensors = kTensors,
};

}  // namespace

const ArchSpec& qwen2_arch() { return kQwen2; }

}  // namespace hearth::model
