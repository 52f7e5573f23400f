// The memory model; README.md states each term.
#include "planner/memory_plan.h"

#include <algorithm>
#include <string>

#include "infer/attention.h"
#include "infer/kv_block_pool.h"
#include "infer/moe_ffn.h"
#include "model/arch/arch_registry.h"

namespace hearth::planner {
namespace {

constexpr int64_t kMaxContext = int64_t{1} << 24;  // infer::Scheduler's bound

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

Status outside(const char* name, int64_t value, int64_t lo, int64_t hi) {
  return invalid_argument_error(std::string(name) + " " + std::to_string(value) + " is outside [" + std::to_string(lo) +
                                ", " + std::to_string(hi) + "]");
}

}  // namespace

Status validate_settings(const PlanSettings& settings) {
  if (settings.n_ctx < 1 || settings.n_ctx > kMaxContext) return outside("context", settings.n_ctx, 1, kMaxContext);
  if (settings.n_parallel < 1 || settings.n_parallel > 1024) return outside("parallel", settings.n_parallel, 1, 1024);
  if (settings.max_batch_tokens < 1 || settings.max_batch_tokens > 65536) {
    return outside("max_batch_tokens", settings.max_batch_tokens, 1, 65536);
  }
  if (settings.kv_block_tokens < 1 || settings.kv_block_tokens > 1024) {
    return outside("kv_block_tokens", settings.kv_block_tokens, 1, 1024);
  }
  if (settings.kv_dtype != tensor::DType::kF16 && settings.kv_dtype != tensor::DType::kF32) {
    return invalid_argument_error("the KV cache type must be f16 or f32");
  }
  if (settings.n_threads < 1 || settings.n_threads > 1024) return outside("threads", settings.n_threads, 1, 1024);
  if (settings.kv_pool_tokens != 0 &&
      (settings.kv_pool_tokens < settings.n_ctx || settings.kv_pool_tokens > kMaxContext * 64)) {
    return outside("kv_pool_tokens", settings.kv_pool_tokens, settings.n_ctx, kMaxContext * 64);
  }
  return ok_status();
}

int64_t file_weights_bytes(const model::GgufFile& file) { return file.tensor_data_bytes(); }

namespace {

// The bytes of the tensors `wanted` selects, as hearth synth writes them.
Result<int64_t> shape_tensor_bytes(const model::LlamaConfig& config, model::FileType file_type,
                                   bool (*wanted)(const model::ModelTensor&)) {
  HEARTH_RETURN_IF_ERROR(model::validate_llama_config(config));
  const model::ArchSpec& spec = *model::find_arch(config.arch);  // validated: registered
  int64_t n_bytes = 0;
  for (const model::ModelTensor& tensor : model::model_tensors(spec, config)) {
    if (!wanted(tensor)) continue;
    if (tensor.spec->form == model::TensorForm::kF32Vector) {
      n_bytes += tensor.shape.n_cols * static_cast<int64_t>(sizeof(float));
      continue;
    }
    const int64_t n_cols = tensor.shape.n_cols;
    const tensor::DType dtype = model::tensor_type_in(file_type, tensor, config);
    if (n_cols % tensor::dtype_info(dtype).block_elems != 0) {
      return invalid_argument_error("rows of " + std::to_string(n_cols) + " values do not fit " +
                                    std::string(tensor::dtype_info(dtype).name) + " blocks");
    }
    n_bytes += tensor::row_bytes(dtype, n_cols) * tensor.shape.n_rows * tensor.shape.n_mats;
  }
  return n_bytes;
}

}  // namespace

Result<int64_t> shape_weights_bytes(const model::LlamaConfig& config, model::FileType file_type) {
  return shape_tensor_bytes(config, file_type, [](const model::ModelTensor&) { return true; });
}

Result<int64_t> shape_expert_bytes(const model::LlamaConfig& config, model::FileType file_type) {
  return shape_tensor_bytes(config, file_type,
                            [](const model::ModelTensor& tensor) { return model::is_expert_slot(tensor.spec->slot); });
}

int64_t file_expert_bytes(const model::GgufFile& file) {
  int64_t n_bytes = 0;
  for (const model::GgufTensorInfo& info : file.tensors()) {
    if (info.name.ends_with("_exps.weight")) n_bytes += static_cast<int64_t>(info.n_bytes);
  }
  return n_bytes;
}

int64_t decode_weights_bytes(const model::LlamaConfig& config, int64_t weights_bytes, int64_t expert_bytes) {
  if (config.n_expert <= 0 || expert_bytes <= 0) return weights_bytes;
  // expert_bytes <= 2^60 and n_expert_used <= 1024: the product stays within 64 bits.
  return weights_bytes - expert_bytes + expert_bytes / config.n_expert * config.n_expert_used;
}

int64_t kv_pool_tokens(const PlanSettings& settings) {
  const int64_t n_positions =
      settings.kv_pool_tokens != 0 ? settings.kv_pool_tokens : settings.n_ctx * settings.n_parallel;
  return ceil_div(n_positions, settings.kv_block_tokens) * settings.kv_block_tokens;
}

int64_t kv_pool_bytes(const model::LlamaConfig& config, const PlanSettings& settings) {
  const int64_t n_tokens = kv_pool_tokens(settings);
  const int64_t bytes_per_token =
      infer::KvBlockPool::bytes_per_token({config.n_layer, config.n_head_kv, config.head_dim}, settings.kv_dtype);
  // A header's dimensions at their limits times the largest pool overflow 64 bits.
  if (n_tokens > kMaxPlanBytes / bytes_per_token) return kMaxPlanBytes;
  return n_tokens * bytes_per_token;
}

int64_t scratch_bytes(const model::LlamaConfig& config, const PlanSettings& settings) {
  const int64_t batch = settings.max_batch_tokens;
  const int64_t q_dim = config.n_head * config.head_dim;
  const int64_t kv_dim = config.n_head_kv * config.head_dim;
  const int64_t n_pairs = config.head_dim / 2;
  // x, xn, proj; q, attn; k, v; gate, up (dense FFNs); rope cos, sin.
  const int64_t ffn_floats = config.n_expert > 0 ? 0 : 2 * config.n_ff;
  const int64_t row_floats = 3 * config.n_embd + 2 * q_dim + 2 * kv_dim + ffn_floats + 2 * n_pairs;
  const int64_t moe_bytes = config.n_expert > 0 ? infer::MoeFeedForward::scratch_bytes_for(config, batch) : 0;
  const int64_t score_floats = settings.n_threads * settings.n_ctx;
  const int64_t logit_rows = std::min(settings.n_parallel, batch);
  const int64_t n_floats = batch * row_floats + score_floats + logit_rows * config.n_vocab;
  return n_floats * static_cast<int64_t>(sizeof(float)) + batch * static_cast<int64_t>(sizeof(infer::AttentionQuery)) +
         moe_bytes;
}

MemoryPlan plan_memory(const model::LlamaConfig& config, int64_t weights_bytes, const PlanSettings& settings) {
  MemoryPlan plan;
  plan.weights_bytes = weights_bytes;
  plan.decode_weights_bytes = weights_bytes;
  plan.kv_pool_tokens = kv_pool_tokens(settings);
  plan.kv_bytes_per_token =
      infer::KvBlockPool::bytes_per_token({config.n_layer, config.n_head_kv, config.head_dim}, settings.kv_dtype);
  plan.kv_bytes = kv_pool_bytes(config, settings);
  plan.scratch_bytes = scratch_bytes(config, settings);
  plan.overhead_bytes = kRuntimeOverheadBytes;
  return plan;
}

}  // namespace hearth::planner
