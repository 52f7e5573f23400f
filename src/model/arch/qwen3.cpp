// The `qwen3` family: Qwen3 dense models. The llama graph without biases, with
// an explicit head size (attention.key_length, 128 for every Qwen3) and an
// RMSNorm over each Q and K head before RoPE; HF's head layout is kept, so
// RoPE pairs dims (i, i + head_dim/2).
// ref: llama.cpp gguf-py/gguf/constants.py (MODEL_ARCH.QWEN3 tensors)
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
    kRopeDimensionCount, kVocabSize,       kExpertCount,       kPoolingType,
};

constexpr ArchTensor kTensors[] = {
    kTokenEmbd, kOutputNorm, kOutput,     kAttnNorm, kAttnQ,   kAttnK, kAttnV,
    kAttnQNorm, kAttnKNorm,  kAttnOutput, kFfnNorm,  kFfnGate, kFfnUp, kFfnDown,
};

constexpr ArchSpec kQwen3 = {
    .name = "qwen3",
    .description = "Qwen3 (dense)",
    .rope_mode = RopeMode::kNeox,
    .capabilities = capability_bit(Capability::kGenerate),
    .keys = kKeys,
    .tensors = kTensors,
};

}  // namespace

const ArchSpec& qwen3_arch() { return kQwen3; }

}  // namespace hearth::model
