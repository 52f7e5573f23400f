// The `phi3` family: Phi-3 and Phi-4 (14B). The llama graph with Q, K and V in
// one matrix (attn_qkv.weight: Q rows, then K, then V) and gate and up in one
// (stored under ffn_up.weight: gate rows, then up rows), HF's head layout
// (RoPE pairs (i, i + head_dim/2)). Phi-3's sliding-window and LongRoPE
// variants are not supported: attention.sliding_window must be 0 (Phi-4) and
// rope_factors_long/short are refused as unknown tensors.
// ref: llama.cpp convert_hf_to_gguf.py (Phi3MiniModel), gguf-py constants.py (MODEL_ARCH.PHI3)
#include "model/arch/families.h"
#include "model/arch/transformer_parts.h"

// GCC 12's spurious -Wmissing-field-initializers on designated initializers: see transformer_parts.h.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace hearth::model {
namespace {

using namespace parts;

constexpr ConfigKey kKeys[] = {
    kContextLength, kEmbeddingLength, kBlockCount,   kFeedForwardLength,  kHeadCount, kHeadCountKv,     kKeyLength,
    kValueLength,   kRmsEpsilon,      kRopeFreqBase, kRopeDimensionCount, kVocabSize, kNoSlidingWindow, kExpertCount,
};

constexpr ArchTensor kTensors[] = {
    kTokenEmbd, kOutputNorm, kOutput, kAttnNorm, kAttnQkv, kAttnOutput, kFfnNorm, kFfnGateUp, kFfnDown,
};

constexpr ArchSpec kPhi3 = {
    .name = "phi3",
    .description = "Phi-3, Phi-4",
    .rope_mode = RopeMode::kNeox,
    .capabilities = capability_bit(Capability::kGenerate),
    .keys = kKeys,
    .tensors = kTensors,
};

}  // namespace

const ArchSpec& phi3_arch() { return kPhi3; }

}  // namespace hearth::model
