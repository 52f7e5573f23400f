// The memory model of hearth's own engine: how many bytes a model needs for
// its weights, its paged KV pool, the forward pass's scratch and the runtime,
// for given serving settings. Every term but the overhead is computed the way
// the engine allocates it (model::GgufFile tensors, infer::KvBlockPool,
// infer::BatchForward), so the planner's numbers equal the engine's counts;
// README.md states the formula.
//
//   HEARTH_ASSIGN_OR_RETURN(int64_t weights, shape_weights_bytes(shape->config, FileType::kQ4_K_M));
//   MemoryPlan plan = plan_memory(shape->config, weights, PlanSettings{.n_ctx = 8192, .n_parallel = 4});
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>

#include "base/status.h"
#include "model/file_type.h"
#include "model/gguf.h"
#include "model/llama_arch.h"
#include "tensor/dtype.h"

namespace hearth::planner {

// The engine's serving settings that decide its allocations (the defaults of
// infer::SchedulerOptions).
struct PlanSettings {
  int64_t n_ctx = 4096;            // positions per sequence
  int64_t n_parallel = 1;          // sequences served at once (SchedulerOptions::max_seqs)
  int64_t max_batch_tokens = 512;  // tokens in one step
  int64_t kv_block_tokens = 16;    // positions per KV block
  int64_t kv_pool_tokens = 0;      // positions in the KV pool; 0: n_ctx * n_parallel (SchedulerOptions::kv_pool_tokens)
  tensor::DType kv_dtype = tensor::DType::kF16;
  int64_t n_threads = 8;  // forward-pass threads (each has a row of attention scores)
};

// Tokenizer tables, thread stacks, the binary and allocator slack: an
// estimate, not measured (see README.md).
inline constexpr int64_t kRuntimeOverheadBytes = int64_t{64} << 20;

// Larger than any machine; the sum of the terms stays far from overflow.
inline constexpr int64_t kMaxPlanBytes = int64_t{1} << 60;

struct MemoryPlan {
  int64_t weights_bytes = 0;
  int64_t kv_bytes = 0;        // the whole paged pool
  int64_t kv_pool_tokens = 0;  // positions in the pool (whole blocks)
  int64_t kv_bytes_per_token = 0;
  int64_t scratch_bytes = 0;
  int64_t overhead_bytes = 0;
  // Weight bytes one decode step reads: weights_bytes, except for a mixture of
  // experts, where a token reads only its experts (decode_weights_bytes). 0: weights_bytes.
  int64_t decode_weights_bytes = 0;

  int64_t total_bytes() const { return weights_bytes + kv_bytes + scratch_bytes + overhead_bytes; }
};

// Range checks of the settings (kInvalidArgument naming the field), the same
// bounds infer::Scheduler::create applies.
Status validate_settings(const PlanSettings& settings);

// Sum of the tensor bytes a GGUF header declares.
int64_t file_weights_bytes(const model::GgufFile& file);

// The tensor bytes of a file of `file_type` with `config`'s dimensions, as
// `hearth synth` writes it: the family's tensor list (model/arch), where
// model::pick_tensor_type decides each matrix's type and vectors are F32.
// kInvalidArgument when the config is invalid or a row length does not fit
// the picked type's blocks.
Result<int64_t> shape_weights_bytes(const model::LlamaConfig& config, model::FileType file_type);

// The bytes of the expert tensors (ffn_*_exps) among a file's or a shape's
// weights; 0 for dense models. Errors as shape_weights_bytes.
int64_t file_expert_bytes(const model::GgufFile& file);
Result<int64_t> shape_expert_bytes(const model::LlamaConfig& config, model::FileType file_type);

// The weight bytes one token's decode step reads: every tensor but the
// experts, plus n_expert_used / n_expert of the expert bytes (the router runs
// every expert_used_count experts it picks, per layer). Equal to weights_bytes
// for dense models.
int64_t decode_weights_bytes(const model::LlamaConfig& config, int64_t weights_bytes, int64_t expert_bytes);

// Bytes of the KV pool infer::Scheduler allocates: kv_pool_tokens (default
// n_ctx * n_parallel) positions rounded up to whole blocks; kMaxPlanBytes when larger (a hostile
// header's dimensions would overflow 64 bits).
int64_t kv_pool_bytes(const model::LlamaConfig& config, const PlanSettings& settings);
int64_t kv_pool_tokens(const PlanSettings& settings);

// Bytes of infer::BatchForward's buffers once its logits have grown to the
// most rows a scheduler step asks for (one per sequence, at most
// max_batch_tokens).
int64_t scratch_bytes(const model::LlamaConfig& config, const PlanSettings& settings);

// Preconditions: validate_settings(settings) is ok.
MemoryPlan plan_memory(const model::LlamaConfig& config, int64_t weights_bytes, const PlanSettings& settings);

}  // namespace hearth::planner
