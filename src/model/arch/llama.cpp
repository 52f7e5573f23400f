// The `llama` family: Llama 2 and 3.x, Mistral 7B, TinyLlama, SmolLM. RMSNorm,
// grouped-query attention without biases, SwiGLU feed-forward; Q/K rows are
// permuted by the converter so RoPE pairs are adjacent.
// ref: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md (LLM keys)
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
    kTokenEmbd, kOutputNorm, kOutput,  kRopeFreqs, kAttnNorm, kAttnQ,   kAttnK,
    kAttnV,     kAttnOutput, kFfnNorm, kFfnGate,   kFfnUp,    kFfnDown,
};

constexpr ArchSpec kLlama = {
    .name = "llama",
    .description = "Llama 2/3.x, Mistral 7B, TinyLlama, SmolLM",
    .rope_mode = RopeMode::kNormal,
    .capabilities = capability_bit(Capability::kGenerate),
    .keys = kKeys,
    .tensors = kTensors,
};

}  // namespace

const ArchSpec& llama_arch() { return kLlama; }

}  // namespace hearth::model
