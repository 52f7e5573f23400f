// The keys and tensors that llama-style decoder families share, under ggml's
// standard names, for the family descriptions to list. A family takes the
// parts it has and adds its own (qwen2: the Q/K/V biases); a part defined here
// describes one thing for every family that lists it.
// ref: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md (LLM keys; tensor naming)
// ref: llama.cpp gguf-py/gguf/constants.py (MODEL_TENSOR names)
#pragma once

#include <cmath>

#include "model/arch/arch_spec.h"
#include "model/arch/config_limits.h"

// GCC 12 warns about designated initializers that omit members even when
// those members have default initializers (fixed in GCC 13); these tables
// read best as designated initializers naming only what differs.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace hearth::model::parts {

// ---- keys ----

// key_length and value_length are written only when head_dim is not embedding_length / head_count.
inline constexpr bool head_dim_not_derived(const LlamaConfig& c) { return c.head_dim * c.n_head != c.n_embd; }

inline constexpr ConfigKey kContextLength = {
    .suffix = "context_length", .int_field = &LlamaConfig::n_ctx_train, .min = 1, .max = kMaxContext};
inline constexpr ConfigKey kEmbeddingLength = {
    .suffix = "embedding_length", .int_field = &LlamaConfig::n_embd, .min = 1, .max = kMaxEmbd};
inline constexpr ConfigKey kBlockCount = {
    .suffix = "block_count", .int_field = &LlamaConfig::n_layer, .min = 1, .max = kMaxLayers};
inline constexpr ConfigKey kFeedForwardLength = {
    .suffix = "feed_forward_length", .int_field = &LlamaConfig::n_ff, .min = 1, .max = kMaxFf};
inline constexpr ConfigKey kHeadCount = {
    .suffix = "attention.head_count", .int_field = &LlamaConfig::n_head, .min = 1, .max = kMaxHeads};
inline constexpr ConfigKey kHeadCountKv = {
    .suffix = "attention.head_count_kv",
    .int_field = &LlamaConfig::n_head_kv,
    .min = 1,
    .max = kMaxHeads,
    .value_for = [](const LlamaConfig& c) { return static_cast<double>(c.n_head); },
    .note = "attention.head_count"};
inline constexpr ConfigKey kKeyLength = {
    .suffix = "attention.key_length",
    .int_field = &LlamaConfig::head_dim,
    .min = 1,
    .max = kMaxHeadDim,
    .value_for = [](const LlamaConfig& c) { return static_cast<double>(c.n_embd) / static_cast<double>(c.n_head); },
    .written_when = head_dim_not_derived,
    .note = "embedding_length / attention.head_count"};
inline constexpr ConfigKey kValueLength = {
    .suffix = "attention.value_length",
    .use = KeyUse::kMustMatch,
    .min = 1,
    .max = kMaxHeadDim,
    .value_for = [](const LlamaConfig& c) { return static_cast<double>(c.head_dim); },
    .written_when = head_dim_not_derived,
    .note = "attention.value_length must equal the key length"};
inline constexpr ConfigKey kRmsEpsilon = {.suffix = "attention.layer_norm_rms_epsilon",
                                          .type = KeyType::kFloat,
                                          .float_field = &LlamaConfig::rms_eps,
                                          .min = 0.0,
                                          .max = 0.5};
inline constexpr ConfigKey kRopeFreqBase = {.suffix = "rope.freq_base",
                                            .type = KeyType::kFloat,
                                            .float_field = &LlamaConfig::rope_theta,
                                            .min = 1.0,
                                            .max = kMaxRopeTheta,
                                            .value_for = [](const LlamaConfig&) { return 10000.0; },
                                            .note = "10000"};
inline constexpr ConfigKey kRopeDimensionCount = {
    .suffix = "rope.dimension_count",
    .use = KeyUse::kMustMatch,
    .min = 1,
    .max = kMaxHeadDim,
    .value_for = [](const LlamaConfig& c) { return static_cast<double>(c.head_dim); },
    .note = "partial rotary embeddings (fewer rotated dims than the head dimension) are not supported"};
inline constexpr ConfigKey kVocabSize = {
    .suffix = "vocab_size",
    .use = KeyUse::kMustMatch,
    .min = 1,
    .max = kMaxVocab,
    .value_for = [](const LlamaConfig& c) { return static_cast<double>(c.n_vocab); },
    .mismatch_code = ErrorCode::kDataLoss,
    .note = "it must equal the rows of token_embd.weight"};
inline constexpr ConfigKey kExpertCount = {
    .suffix = "expert_count",
    .use = KeyUse::kMustMatch,
    .min = 0,
    .max = 1 << 16,
    .value_for = [](const LlamaConfig&) { return 0.0; },
    .written_when = [](const LlamaConfig&) { return false; },
    .note = "mixture-of-experts models are not supported by this family's graph"};

// qwen3moe's experts (llama.cpp: LLM_KV_EXPERT_COUNT, _USED_COUNT, _FEED_FORWARD_LENGTH).
inline constexpr ConfigKey kExpertCountSets = {
    .suffix = "expert_count", .int_field = &LlamaConfig::n_expert, .min = 1, .max = kMaxExperts};
inline constexpr ConfigKey kExpertUsedCount = {
    .suffix = "expert_used_count", .int_field = &LlamaConfig::n_expert_used, .min = 1, .max = kMaxExperts};
// llama.cpp's default when the key is absent: feed_forward_length / expert_used_count.
inline constexpr ConfigKey kExpertFeedForwardLength = {
    .suffix = "expert_feed_forward_length",
    .int_field = &LlamaConfig::n_ff_exp,
    .min = 1,
    .max = kMaxFf,
    .value_for = [](const LlamaConfig& c) { return static_cast<double>(c.n_ff / c.n_expert_used); },
    .note = "feed_forward_length / expert_used_count"};

// gemma2's soft-capping (llama.cpp: LLM_KV_ATTN_LOGIT_SOFTCAPPING, LLM_KV_FINAL_LOGIT_SOFTCAPPING,
// with Gemma 2's published values as defaults).
inline constexpr ConfigKey kAttnLogitSoftcapping = {.suffix = "attn_logit_softcapping",
                                                    .type = KeyType::kFloat,
                                                    .float_field = &LlamaConfig::attn_softcap,
                                                    .min = 0.0,
                                                    .max = kMaxSoftcap,
                                                    .value_for = [](const LlamaConfig&) { return 50.0; },
                                                    .note = "50"};
inline constexpr ConfigKey kFinalLogitSoftcapping = {.suffix = "final_logit_softcapping",
                                                     .type = KeyType::kFloat,
                                                     .float_field = &LlamaConfig::final_softcap,
                                                     .min = 0.0,
                                                     .max = kMaxSoftcap,
                                                     .value_for = [](const LlamaConfig&) { return 30.0; },
                                                     .note = "30"};

// How an embedding model pools its final hidden states into one vector, with
// llama.cpp's values (enum llama_pooling_type: 0 none, 1 mean, 2 cls, 3 last);
// absent or 0: a text generator. 4 (rank: rerankers) is not served yet.
inline constexpr ConfigKey kPoolingType = {
    .suffix = "pooling_type",
    .int_field = &LlamaConfig::pooling,
    .min = 0,
    .max = 3,
    .value_for = [](const LlamaConfig&) { return 0.0; },
    .written_when = [](const LlamaConfig& c) { return c.pooling != 0; },
    .note = "0 (none: a text generator)"};

// gemma3: the window of its local layers (llama.cpp's converter always writes it).
inline constexpr ConfigKey kSlidingWindow = {
    .suffix = "attention.sliding_window", .int_field = &LlamaConfig::sliding_window, .min = 1, .max = kMaxContext};
// phi3: llama.cpp writes 0 for Phi-4 (no window); Phi-3's windowed models are not supported.
inline constexpr ConfigKey kNoSlidingWindow = {
    .suffix = "attention.sliding_window",
    .use = KeyUse::kMustMatch,
    .min = 0,
    .max = kMaxContext,
    .value_for = [](const LlamaConfig&) { return 0.0; },
    .note = "sliding-window attention is not supported for this family (Phi-4 has none)"};
// Families whose converter always writes the head size (qwen3, gemma3).
inline constexpr ConfigKey kKeyLengthAlways = {
    .suffix = "attention.key_length",
    .int_field = &LlamaConfig::head_dim,
    .min = 1,
    .max = kMaxHeadDim,
    .value_for = [](const LlamaConfig& c) { return static_cast<double>(c.n_embd) / static_cast<double>(c.n_head); },
    .note = "embedding_length / attention.head_count"};
inline constexpr ConfigKey kValueLengthAlways = {
    .suffix = "attention.value_length",
    .use = KeyUse::kMustMatch,
    .min = 1,
    .max = kMaxHeadDim,
    .value_for = [](const LlamaConfig& c) { return static_cast<double>(c.head_dim); },
    .note = "attention.value_length must equal the key length"};

// ---- tensors ----

// Shapes as {ne[0], ne[1]}: a matrix's inputs, then its outputs; a vector's length.
inline constexpr int64_t q_dim(const LlamaConfig& c) { return c.n_head * c.head_dim; }
inline constexpr int64_t kv_dim(const LlamaConfig& c) { return c.n_head_kv * c.head_dim; }
inline constexpr TensorShape embd_to_vocab(const LlamaConfig& c) { return {c.n_embd, c.n_vocab}; }
inline constexpr TensorShape embd_to_q(const LlamaConfig& c) { return {c.n_embd, q_dim(c)}; }
inline constexpr TensorShape embd_to_kv(const LlamaConfig& c) { return {c.n_embd, kv_dim(c)}; }
inline constexpr TensorShape q_to_embd(const LlamaConfig& c) { return {q_dim(c), c.n_embd}; }
inline constexpr TensorShape embd_to_ff(const LlamaConfig& c) { return {c.n_embd, c.n_ff}; }
inline constexpr TensorShape ff_to_embd(const LlamaConfig& c) { return {c.n_ff, c.n_embd}; }
inline constexpr TensorShape embd_vector(const LlamaConfig& c) { return {c.n_embd, 1}; }
inline constexpr TensorShape q_vector(const LlamaConfig& c) { return {q_dim(c), 1}; }
inline constexpr TensorShape kv_vector(const LlamaConfig& c) { return {kv_dim(c), 1}; }
inline constexpr TensorShape rope_pair_vector(const LlamaConfig& c) { return {c.head_dim / 2, 1}; }
inline constexpr TensorShape head_vector(const LlamaConfig& c) { return {c.head_dim, 1}; }
inline constexpr TensorShape embd_to_qkv(const LlamaConfig& c) { return {c.n_embd, q_dim(c) + 2 * kv_dim(c)}; }
inline constexpr TensorShape embd_to_2ff(const LlamaConfig& c) { return {c.n_embd, 2 * c.n_ff}; }

// Optional tensors: when writers include them.
inline constexpr bool untied(const LlamaConfig& c) { return !c.tied_output; }
inline constexpr bool llama3_rope(const LlamaConfig& c) { return c.rope_scaling.type == RopeScalingType::kLlama3; }

inline constexpr ArchTensor kTokenEmbd = {
    .name = "token_embd.weight", .slot = WeightSlot::kTokenEmbd, .shape = embd_to_vocab};
inline constexpr ArchTensor kOutputNorm = {.name = "output_norm.weight",
                                           .form = TensorForm::kF32Vector,
                                           .slot = WeightSlot::kOutputNorm,
                                           .shape = embd_vector,
                                           .fill = TensorFill::kOnes};
inline constexpr ArchTensor kOutput = {.name = "output.weight",
                                       .slot = WeightSlot::kOutput,
                                       .shape = embd_to_vocab,
                                       .written_when = untied,
                                       .note = "absent: the output is tied to token_embd.weight"};
// Llama 3.1+ RoPE scaling as llama.cpp's converter stores it: pair i's
// frequency is divided by rope_freqs[i] (model/arch/rope_factors.h).
inline constexpr ArchTensor kRopeFreqs = {.name = "rope_freqs.weight",
                                          .form = TensorForm::kF32Vector,
                                          .slot = WeightSlot::kRopeFreqs,
                                          .shape = rope_pair_vector,
                                          .written_when = llama3_rope,
                                          .fill = TensorFill::kRopeFactors,
                                          .note = "absent: RoPE frequencies are not rescaled per pair"};

inline constexpr ArchTensor kAttnNorm = {.name = "attn_norm.weight",
                                         .scope = TensorScope::kPerBlock,
                                         .form = TensorForm::kF32Vector,
                                         .slot = WeightSlot::kAttnNorm,
                                         .shape = embd_vector,
                                         .fill = TensorFill::kOnes};
inline constexpr ArchTensor kAttnQ = {
    .name = "attn_q.weight", .scope = TensorScope::kPerBlock, .slot = WeightSlot::kAttnQ, .shape = embd_to_q};
inline constexpr ArchTensor kAttnK = {
    .name = "attn_k.weight", .scope = TensorScope::kPerBlock, .slot = WeightSlot::kAttnK, .shape = embd_to_kv};
inline constexpr ArchTensor kAttnV = {
    .name = "attn_v.weight", .scope = TensorScope::kPerBlock, .slot = WeightSlot::kAttnV, .shape = embd_to_kv};
inline constexpr ArchTensor kAttnQBias = {.name = "attn_q.bias",
                                          .scope = TensorScope::kPerBlock,
                                          .form = TensorForm::kF32Vector,
                                          .slot = WeightSlot::kAttnQBias,
                                          .shape = q_vector};
inline constexpr ArchTensor kAttnKBias = {.name = "attn_k.bias",
                                          .scope = TensorScope::kPerBlock,
                                          .form = TensorForm::kF32Vector,
                                          .slot = WeightSlot::kAttnKBias,
                                          .shape = kv_vector};
inline constexpr ArchTensor kAttnVBias = {.name = "attn_v.bias",
                                          .scope = TensorScope::kPerBlock,
                                          .form = TensorForm::kF32Vector,
                                          .slot = WeightSlot::kAttnVBias,
                                          .shape = kv_vector};
inline constexpr ArchTensor kAttnOutput = {
    .name = "attn_output.weight", .scope = TensorScope::kPerBlock, .slot = WeightSlot::kAttnOutput, .shape = q_to_embd};
inline constexpr ArchTensor kFfnNorm = {.name = "ffn_norm.weight",
                                        .scope = TensorScope::kPerBlock,
                                        .form = TensorForm::kF32Vector,
                                        .slot = WeightSlot::kFfnNorm,
                                        .shape = embd_vector,
                                        .fill = TensorFill::kOnes};
inline constexpr ArchTensor kFfnGate = {
    .name = "ffn_gate.weight", .scope = TensorScope::kPerBlock, .slot = WeightSlot::kFfnGate, .shape = embd_to_ff};
inline constexpr ArchTensor kFfnUp = {
    .name = "ffn_up.weight", .scope = TensorScope::kPerBlock, .slot = WeightSlot::kFfnUp, .shape = embd_to_ff};
inline constexpr ArchTensor kFfnDown = {
    .name = "ffn_down.weight", .scope = TensorScope::kPerBlock, .slot = WeightSlot::kFfnDown, .shape = ff_to_embd};

// Per-head Q/K RMSNorm (qwen3, gemma3): one gain vector shared by every head.
inline constexpr ArchTensor kAttnQNorm = {.name = "attn_q_norm.weight",
                                          .scope = TensorScope::kPerBlock,
                                          .form = TensorForm::kF32Vector,
                                          .slot = WeightSlot::kAttnQNorm,
                                          .shape = head_vector,
                                          .fill = TensorFill::kOnes};
inline constexpr ArchTensor kAttnKNorm = {.name = "attn_k_norm.weight",
                                          .scope = TensorScope::kPerBlock,
                                          .form = TensorForm::kF32Vector,
                                          .slot = WeightSlot::kAttnKNorm,
                                          .shape = head_vector,
                                          .fill = TensorFill::kOnes};
// gemma3's norms after the attention and the FFN (llama.cpp: ATTN_POST_NORM, FFN_POST_NORM).
inline constexpr ArchTensor kAttnPostNorm = {.name = "post_attention_norm.weight",
                                             .scope = TensorScope::kPerBlock,
                                             .form = TensorForm::kF32Vector,
                                             .slot = WeightSlot::kAttnPostNorm,
                                             .shape = embd_vector,
                                             .fill = TensorFill::kOnes};
inline constexpr ArchTensor kFfnPostNorm = {.name = "post_ffw_norm.weight",
                                            .scope = TensorScope::kPerBlock,
                                            .form = TensorForm::kF32Vector,
                                            .slot = WeightSlot::kFfnPostNorm,
                                            .shape = embd_vector,
                                            .fill = TensorFill::kOnes};
// phi3's fused matrices, as llama.cpp keeps them: Q, K, V rows; gate rows then up rows under ffn_up's name.
inline constexpr ArchTensor kAttnQkv = {
    .name = "attn_qkv.weight", .scope = TensorScope::kPerBlock, .slot = WeightSlot::kAttnQkv, .shape = embd_to_qkv};
inline constexpr ArchTensor kFfnGateUp = {
    .name = "ffn_up.weight", .scope = TensorScope::kPerBlock, .slot = WeightSlot::kFfnGateUp, .shape = embd_to_2ff};

// qwen3moe's mixture of experts, as llama.cpp names and shapes it: the router
// (kept F32), then each expert's gate, up and down matrices stacked along ne[2].
inline constexpr TensorShape embd_to_experts(const LlamaConfig& c) { return {c.n_embd, c.n_expert}; }
inline constexpr TensorShape embd_to_ff_exps(const LlamaConfig& c) { return {c.n_embd, c.n_ff_exp, c.n_expert}; }
inline constexpr TensorShape ff_exps_to_embd(const LlamaConfig& c) { return {c.n_ff_exp, c.n_embd, c.n_expert}; }
inline constexpr ArchTensor kFfnGateInp = {.name = "ffn_gate_inp.weight",
                                           .scope = TensorScope::kPerBlock,
                                           .slot = WeightSlot::kFfnGateInp,
                                           .shape = embd_to_experts};
inline constexpr ArchTensor kFfnGateExps = {.name = "ffn_gate_exps.weight",
                                            .scope = TensorScope::kPerBlock,
                                            .slot = WeightSlot::kFfnGateExps,
                                            .shape = embd_to_ff_exps};
inline constexpr ArchTensor kFfnUpExps = {.name = "ffn_up_exps.weight",
                                          .scope = TensorScope::kPerBlock,
                                          .slot = WeightSlot::kFfnUpExps,
                                          .shape = embd_to_ff_exps};
inline constexpr ArchTensor kFfnDownExps = {.name = "ffn_down_exps.weight",
                                            .scope = TensorScope::kPerBlock,
                                            .slot = WeightSlot::kFfnDownExps,
                                            .shape = ff_exps_to_embd};

}  // namespace hearth::model::parts

#pragma GCC diagnostic pop
