// Llama-style decoder hyper-parameters from GGUF metadata, and the binding of
// their tensors, both driven by the family's description (model/arch/), with
// every key, shape and type checked.
// ref: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md (standardized key-value pairs)
#include "model/llama_arch.h"

#include <array>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>

#include "model/arch/arch_registry.h"
#include "model/arch/config_limits.h"

namespace hearth::model {
namespace {

// Where llama.cpp keeps an encoder's segment count (a tokenizer key, not "<arch>.").
constexpr const char* kTokenTypeCountKey = "tokenizer.ggml.token_type_count";

// ---- metadata reading: every failure names the key ----

Status key_error(const std::string& key, const std::string& what) {
  return data_loss_error("model metadata key '" + key + "' " + what);
}

// nullopt when absent; kDataLoss when present but not an integer in [min, max].
Result<std::optional<int64_t>> read_optional_int(const GgufFile& file, const std::string& key, int64_t min,
                                                 int64_t max) {
  const GgufValue* value = file.find(key);
  if (value == nullptr) return std::optional<int64_t>();
  Result<int64_t> number = value->as_int();
  if (!number.ok()) return key_error(key, number.status().message());
  if (number.value() < min || number.value() > max) {
    return key_error(key, "is " + std::to_string(number.value()) + ", outside [" + std::to_string(min) + ", " +
                              std::to_string(max) + "]");
  }
  return std::optional<int64_t>(number.value());
}

// A finite number in (min, max], or `fallback` when absent.
Result<double> read_float(const GgufFile& file, const std::string& key, double fallback, double min_exclusive,
                          double max) {
  const GgufValue* value = file.find(key);
  if (value == nullptr) return fallback;
  Result<double> number = value->as_float();
  if (!number.ok()) return key_error(key, number.status().message());
  if (!std::isfinite(number.value()) || number.value() <= min_exclusive || number.value() > max) {
    return key_error(key, "is " + std::to_string(number.value()) + ", outside (" + std::to_string(min_exclusive) +
                              ", " + std::to_string(max) + "]");
  }
  return number.value();
}

Result<double> read_required_float(const GgufFile& file, const std::string& key, double min_exclusive, double max) {
  if (file.find(key) == nullptr) return data_loss_error("model metadata lacks the required key '" + key + "'");
  return read_float(file, key, 0.0, min_exclusive, max);
}

std::string number_string(double value) {
  if (value == std::floor(value) && std::fabs(value) < 1e15) return std::to_string(static_cast<int64_t>(value));
  return std::to_string(value);
}

// One key of a family's table (model/arch/arch_spec.h, ConfigKey).
Status read_key(const GgufFile& file, const std::string& prefix, const ConfigKey& spec, LlamaConfig& config) {
  const std::string key = prefix + std::string(spec.suffix);
  std::optional<double> value;
  if (file.find(key) != nullptr) {
    if (spec.type == KeyType::kUint) {
      HEARTH_ASSIGN_OR_RETURN(
          std::optional<int64_t> number,
          read_optional_int(file, key, static_cast<int64_t>(spec.min), static_cast<int64_t>(spec.max)));
      value = static_cast<double>(*number);
    } else {
      HEARTH_ASSIGN_OR_RETURN(value, read_float(file, key, 0.0, spec.min, spec.max));
    }
  }

  if (spec.use == KeyUse::kMustMatch) {
    if (!value.has_value()) return ok_status();
    const double needed = spec.value_for(config);
    if (*value == needed) return ok_status();
    return Status(spec.mismatch_code, "model metadata key '" + key + "' is " + number_string(*value) +
                                          ", but hearth's " + config.arch + " graph needs " + number_string(needed) +
                                          ": " + std::string(spec.note));
  }

  if (!value.has_value()) {
    if (spec.value_for == nullptr) return data_loss_error("model metadata lacks the required key '" + key + "'");
    value = spec.value_for(config);
    const bool whole = spec.type == KeyType::kFloat || *value == std::floor(*value);
    const bool in_range = spec.type == KeyType::kUint ? *value >= spec.min && *value <= spec.max
                                                      : *value > spec.min && *value <= spec.max;
    if (!whole || !in_range) {
      return data_loss_error("model metadata lacks '" + key + "', and its default " + std::string(spec.note) + " = " +
                             number_string(*value) + " is " + (whole ? "out of range" : "not a whole number"));
    }
  }
  if (spec.type == KeyType::kUint) {
    config.*spec.int_field = static_cast<int64_t>(*value);
  } else {
    config.*spec.float_field = static_cast<float>(*value);
  }
  return ok_status();
}

// The rules between keys that the llama-style graph needs, naming the keys.
Status check_key_relations(const std::string& prefix, const LlamaConfig& config) {
  if (config.n_head_kv > config.n_head) {
    return key_error(
        prefix + "attention.head_count_kv",
        "is " + std::to_string(config.n_head_kv) + ", more than attention.head_count " + std::to_string(config.n_head));
  }
  if (config.n_head % config.n_head_kv != 0) {
    return data_loss_error("attention.head_count_kv " + std::to_string(config.n_head_kv) +
                           " does not divide attention.head_count " + std::to_string(config.n_head));
  }
  if (config.n_expert_used > config.n_expert) {
    return key_error(prefix + "expert_used_count", "is " + std::to_string(config.n_expert_used) +
                                                       ", more than expert_count " + std::to_string(config.n_expert));
  }
  if (config.head_dim % 2 != 0 || config.head_dim < 2) {
    return data_loss_error("head dimension " + std::to_string(config.head_dim) + " is not even and in [2, " +
                           std::to_string(kMaxHeadDim) + "]");
  }
  return ok_status();
}

Result<RopeScaling> read_rope_scaling(const GgufFile& file, const std::string& prefix) {
  RopeScaling scaling;
  const std::string type_key = prefix + "rope.scaling.type";
  const GgufValue* type_value = file.find(type_key);
  std::string_view type_name = "none";
  if (type_value != nullptr) {
    Result<std::string_view> name = type_value->as_string();
    if (!name.ok()) return key_error(type_key, name.status().message());
    type_name = name.value();
  } else if (file.find(prefix + "rope.scale_linear") != nullptr) {
    // Older conversions store linear scaling as this single key.
    HEARTH_ASSIGN_OR_RETURN(double factor, read_float(file, prefix + "rope.scale_linear", 1.0, 0.0, kMaxRopeFactor));
    if (factor != 1.0) {
      scaling.type = RopeScalingType::kLinear;
      scaling.factor = static_cast<float>(factor);
    }
    return scaling;
  }

  if (type_name == "none") return scaling;
  // "llama3" is what hearth itself wrote before it followed llama.cpp's
  // convention (the rope_freqs.weight tensor); such files still load.
  if (type_name != "linear" && type_name != "llama3") {
    return unimplemented_error("RoPE scaling type '" + std::string(type_name) +
                               "' is not supported (hearth implements none, linear, llama3 keys and the "
                               "rope_freqs.weight tensor)");
  }
  const std::string factor_key = prefix + "rope.scaling.factor";
  HEARTH_ASSIGN_OR_RETURN(double factor, read_required_float(file, factor_key, 0.0, kMaxRopeFactor));
  scaling.factor = static_cast<float>(factor);
  if (type_name == "linear") {
    scaling.type = RopeScalingType::kLinear;
    return scaling;
  }

  scaling.type = RopeScalingType::kLlama3;
  HEARTH_ASSIGN_OR_RETURN(double low, read_float(file, prefix + "rope.scaling.low_freq_factor", scaling.low_freq_factor,
                                                 0.0, kMaxRopeFactor));
  HEARTH_ASSIGN_OR_RETURN(double high, read_float(file, prefix + "rope.scaling.high_freq_factor",
                                                  scaling.high_freq_factor, 0.0, kMaxRopeFactor));
  if (!(high > low)) {
    return data_loss_error("llama3 RoPE scaling needs high_freq_factor > low_freq_factor, got " + std::to_string(high) +
                           " and " + std::to_string(low));
  }
  scaling.low_freq_factor = static_cast<float>(low);
  scaling.high_freq_factor = static_cast<float>(high);
  HEARTH_ASSIGN_OR_RETURN(std::optional<int64_t> original,
                          read_optional_int(file, prefix + "rope.scaling.original_context_length", 1, kMaxContext));
  if (original.has_value()) scaling.original_context = *original;
  return scaling;
}

// ---- tensor binding ----

std::string shape_string(const std::array<int64_t, 4>& ne) {
  std::string out = "[";
  for (int dim_idx = 0; dim_idx < 4; ++dim_idx) {
    if (dim_idx > 0) out += ", ";
    out += std::to_string(ne[dim_idx]);
  }
  return out + "]";
}

class Binder {
 public:
  explicit Binder(const GgufFile& file) : file_(file) {}

  // A [n_rows x n_cols] matrix: GGUF ne[0] = n_cols (inputs), ne[1] = n_rows
  // (outputs); ne[2] = n_mats such matrices stacked (experts).
  Result<tensor::WeightView> matrix(const std::string& name, int64_t n_rows, int64_t n_cols, int64_t n_mats = 1) {
    HEARTH_ASSIGN_OR_RETURN(const GgufTensorInfo* info, find(name, {n_cols, n_rows, n_mats, 1}));
    if (info->dtype == tensor::DType::kQ8_K) {
      return unimplemented_error("tensor '" + name + "' is q8_k, which hearth uses only for activations");
    }
    return tensor::WeightView{info->dtype, info->data, n_rows, n_cols};
  }

  // A vector of n F32 values (norm weights, biases, RoPE factors).
  Result<const float*> vector(const std::string& name, int64_t n) {
    HEARTH_ASSIGN_OR_RETURN(const GgufTensorInfo* info, find(name, {n, 1, 1, 1}));
    if (info->dtype != tensor::DType::kF32) {
      return data_loss_error("tensor '" + name + "' is " + std::string(tensor::dtype_info(info->dtype).name) +
                             "; norms and biases must be f32");
    }
    return reinterpret_cast<const float*>(info->data);
  }

  bool has(const std::string& name) const { return file_.find_tensor(name) != nullptr; }
  uint64_t n_bytes() const { return n_bytes_; }

  // Every tensor of the file must have been bound: one the graph ignores would silently change the model.
  Status check_all_bound(const std::string& arch) const {
    for (const GgufTensorInfo& info : file_.tensors()) {
      if (bound_.count(info.name) == 0) {
        return unimplemented_error("tensor '" + info.name + "' is not part of hearth's " + arch +
                                   " graph; the model needs features hearth lacks");
      }
    }
    return ok_status();
  }

 private:
  Result<const GgufTensorInfo*> find(const std::string& name, const std::array<int64_t, 4>& expected) {
    const GgufTensorInfo* info = file_.find_tensor(name);
    if (info == nullptr) return data_loss_error("the model lacks tensor '" + name + "'");
    if (info->ne != expected) {
      return data_loss_error("tensor '" + name + "' has shape " + shape_string(info->ne) + ", expected " +
                             shape_string(expected) + " (ne[0] = inputs, ne[1] = outputs)");
    }
    // Kernels read F32 values and 16-bit block scales in place.
    if (reinterpret_cast<uintptr_t>(info->data) % alignof(float) != 0) {
      return unimplemented_error("tensor '" + name + "' is not 4-byte aligned in memory (general.alignment " +
                                 std::to_string(file_.alignment()) + ")");
    }
    if (bound_.insert(name).second) n_bytes_ += info->n_bytes;
    return info;
  }

  const GgufFile& file_;
  std::unordered_set<std::string> bound_;
  uint64_t n_bytes_ = 0;
};

Status config_error(const char* field, int64_t value, const std::string& rule) {
  return invalid_argument_error(std::string("LlamaConfig.") + field + " = " + std::to_string(value) + ": " + rule);
}

Status check_range(const char* field, int64_t value, int64_t min, int64_t max) {
  if (value < min || value > max) {
    return config_error(field, value, "outside [" + std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return ok_status();
}

Result<const ArchSpec*> find_family(std::string_view arch) {
  const ArchSpec* spec = find_arch(arch);
  if (spec == nullptr) {
    return unimplemented_error("architecture '" + std::string(arch.substr(0, 64)) + "' is not supported (hearth runs " +
                               arch_names() + ")");
  }
  return spec;
}

// Stores a bound tensor where the llama graph reads it.
void store(LlamaWeights& weights, WeightSlot slot, int64_t layer_idx, const tensor::WeightView& matrix,
           const float* vector) {
  LlamaLayerWeights* layer = layer_idx >= 0 ? &weights.layers[static_cast<size_t>(layer_idx)] : nullptr;
  switch (slot) {
    case WeightSlot::kTokenEmbd:
      weights.token_embd = matrix;
      return;
    case WeightSlot::kOutputNorm:
      weights.output_norm = vector;
      return;
    case WeightSlot::kOutput:
      weights.output = matrix;
      return;
    case WeightSlot::kRopeFreqs:
      weights.rope_freqs = vector;
      return;
    case WeightSlot::kAttnNorm:
      layer->attn_norm = vector;
      return;
    case WeightSlot::kAttnQ:
      layer->wq = matrix;
      return;
    case WeightSlot::kAttnK:
      layer->wk = matrix;
      return;
    case WeightSlot::kAttnV:
      layer->wv = matrix;
      return;
    case WeightSlot::kAttnQBias:
      layer->bq = vector;
      return;
    case WeightSlot::kAttnKBias:
      layer->bk = vector;
      return;
    case WeightSlot::kAttnVBias:
      layer->bv = vector;
      return;
    case WeightSlot::kAttnOutput:
      layer->wo = matrix;
      return;
    case WeightSlot::kFfnNorm:
      layer->ffn_norm = vector;
      return;
    case WeightSlot::kFfnGate:
      layer->w_gate = matrix;
      return;
    case WeightSlot::kFfnUp:
      layer->w_up = matrix;
      return;
    case WeightSlot::kFfnDown:
      layer->w_down = matrix;
      return;
    case WeightSlot::kAttnQNorm:
      layer->attn_q_norm = vector;
      return;
    case WeightSlot::kAttnKNorm:
      layer->attn_k_norm = vector;
      return;
    case WeightSlot::kAttnPostNorm:
      layer->attn_post_norm = vector;
      return;
    case WeightSlot::kFfnPostNorm:
      layer->ffn_post_norm = vector;
      return;
    case WeightSlot::kAttnQkv:
      layer->w_qkv = matrix;
      return;
    case WeightSlot::kFfnGateUp:
      layer->w_gate_up = matrix;
      return;
    case WeightSlot::kFfnGateInp:
      layer->ffn_gate_inp = matrix;
      return;
    case WeightSlot::kFfnGateExps:
      layer->w_gate_exps = matrix;
      return;
    case WeightSlot::kFfnUpExps:
      layer->w_up_exps = matrix;
      return;
    case WeightSlot::kFfnDownExps:
      layer->w_down_exps = matrix;
      return;
    case WeightSlot::kPosEmbd:
      weights.pos_embd = matrix;
      return;
    case WeightSlot::kTokenTypes:
      weights.token_types = matrix;
      return;
    case WeightSlot::kTokenEmbdNorm:
      weights.token_embd_norm = vector;
      return;
    case WeightSlot::kTokenEmbdNormBias:
      weights.token_embd_norm_b = vector;
      return;
    case WeightSlot::kAttnOutputBias:
      layer->bo = vector;
      return;
    case WeightSlot::kAttnOutNorm:
      layer->attn_out_norm = vector;
      return;
    case WeightSlot::kAttnOutNormBias:
      layer->attn_out_norm_b = vector;
      return;
    case WeightSlot::kFfnUpBias:
      layer->b_up = vector;
      return;
    case WeightSlot::kFfnDownBias:
      layer->b_down = vector;
      return;
    case WeightSlot::kLayerOutNorm:
      layer->layer_out_norm = vector;
      return;
    case WeightSlot::kLayerOutNormBias:
      layer->layer_out_norm_b = vector;
      return;
    case WeightSlot::kCls:
      weights.cls = matrix;
      return;
    case WeightSlot::kClsBias:
      weights.cls_b = vector;
      return;
    case WeightSlot::kClsOut:
      weights.cls_out = matrix;
      return;
    case WeightSlot::kClsOutBias:
      weights.cls_out_b = vector;
      return;
  }
}

Status check_rope_freqs(const float* factors, int64_t n) {
  for (int64_t freq_idx = 0; freq_idx < n; ++freq_idx) {
    const float factor = factors[freq_idx];
    if (!std::isfinite(factor) || factor <= 0.0f) {
      return data_loss_error("rope_freqs.weight[" + std::to_string(freq_idx) + "] = " + std::to_string(factor) +
                             " is not a positive finite factor");
    }
  }
  return ok_status();
}

}  // namespace

Status validate_llama_config(const LlamaConfig& config) {
  const ArchSpec* spec = find_arch(config.arch);
  if (spec == nullptr) {
    return invalid_argument_error("LlamaConfig.arch '" + config.arch + "' is not a registered family (" + arch_names() +
                                  ")");
  }
  HEARTH_RETURN_IF_ERROR(check_range("n_vocab", config.n_vocab, 1, kMaxVocab));
  HEARTH_RETURN_IF_ERROR(check_range("n_ctx_train", config.n_ctx_train, 1, kMaxContext));
  HEARTH_RETURN_IF_ERROR(check_range("n_embd", config.n_embd, 1, kMaxEmbd));
  HEARTH_RETURN_IF_ERROR(check_range("n_layer", config.n_layer, 1, kMaxLayers));
  HEARTH_RETURN_IF_ERROR(check_range("n_head", config.n_head, 1, kMaxHeads));
  HEARTH_RETURN_IF_ERROR(check_range("n_head_kv", config.n_head_kv, 1, config.n_head));
  if (config.n_head % config.n_head_kv != 0) {
    return config_error("n_head_kv", config.n_head_kv, "does not divide n_head " + std::to_string(config.n_head));
  }
  HEARTH_RETURN_IF_ERROR(check_range("head_dim", config.head_dim, 2, kMaxHeadDim));
  if (config.head_dim % 2 != 0) return config_error("head_dim", config.head_dim, "RoPE needs an even head_dim");
  HEARTH_RETURN_IF_ERROR(check_range("n_ff", config.n_ff, 1, kMaxFf));
  if (!(config.rms_eps > 0.0f && config.rms_eps <= 0.5f)) {
    return invalid_argument_error("LlamaConfig.rms_eps " + std::to_string(config.rms_eps) + " is outside (0, 0.5]");
  }
  if (!(config.rope_theta > 1.0f && config.rope_theta <= kMaxRopeTheta)) {
    return invalid_argument_error("LlamaConfig.rope_theta " + std::to_string(config.rope_theta) +
                                  " is outside (1, 1e10]");
  }
  const RopeScaling& scaling = config.rope_scaling;
  if (scaling.type != RopeScalingType::kNone && !(scaling.factor > 0.0f && scaling.factor <= kMaxRopeFactor)) {
    return invalid_argument_error("LlamaConfig.rope_scaling.factor " + std::to_string(scaling.factor) +
                                  " is outside (0, 1024]");
  }
  if (scaling.type == RopeScalingType::kLlama3) {
    if (!(scaling.low_freq_factor > 0.0f && scaling.high_freq_factor > scaling.low_freq_factor &&
          scaling.high_freq_factor <= kMaxRopeFactor)) {
      return invalid_argument_error("LlamaConfig.rope_scaling needs 0 < low_freq_factor < high_freq_factor");
    }
    HEARTH_RETURN_IF_ERROR(check_range("rope_scaling.original_context", scaling.original_context, 1, kMaxContext));
  }
  HEARTH_RETURN_IF_ERROR(check_range("sliding_window", config.sliding_window, 0, kMaxContext));
  const LlamaConfig family = family_config(*spec);
  if (config.rope_neox != family.rope_neox || config.has_qkv_bias != family.has_qkv_bias ||
      config.ffn_activation != family.ffn_activation || config.scale_embedding != family.scale_embedding ||
      config.global_layer_period != family.global_layer_period || config.rope_local_theta != family.rope_local_theta ||
      config.encoder != family.encoder) {
    return invalid_argument_error(
        "LlamaConfig's family fields (rope_neox, has_qkv_bias, ffn_activation, "
        "scale_embedding, global_layer_period, rope_local_theta, encoder) must be those of the " +
        config.arch + " family (model::family_config)");
  }
  if (scaling.type == RopeScalingType::kLlama3 && find_tensor_spec(*spec, WeightSlot::kRopeFreqs) == nullptr) {
    return invalid_argument_error("LlamaConfig.rope_scaling llama3 is stored as rope_freqs.weight, which the " +
                                  config.arch + " family does not carry");
  }
  const bool moe = find_tensor_spec(*spec, WeightSlot::kFfnGateExps) != nullptr;
  if (moe) {
    HEARTH_RETURN_IF_ERROR(check_range("n_expert", config.n_expert, 1, kMaxExperts));
    HEARTH_RETURN_IF_ERROR(check_range("n_expert_used", config.n_expert_used, 1, config.n_expert));
    HEARTH_RETURN_IF_ERROR(check_range("n_ff_exp", config.n_ff_exp, 1, kMaxFf));
  } else if (config.n_expert != 0 || config.n_expert_used != 0 || config.n_ff_exp != 0) {
    return invalid_argument_error("LlamaConfig's expert fields must be 0: the " + config.arch +
                                  " family has no experts");
  }
  if (config.soft_capping != family.soft_capping ||
      config.embd_per_head_scale_layers != family.embd_per_head_scale_layers) {
    return invalid_argument_error("LlamaConfig.soft_capping and embd_per_head_scale_layers must be those of the " +
                                  config.arch + " family (model::family_config)");
  }
  if (config.soft_capping && !(config.attn_softcap > 0.0f && config.attn_softcap <= kMaxSoftcap &&
                               config.final_softcap > 0.0f && config.final_softcap <= kMaxSoftcap)) {
    return invalid_argument_error("LlamaConfig.attn_softcap " + std::to_string(config.attn_softcap) +
                                  " and final_softcap " + std::to_string(config.final_softcap) +
                                  " must be in (0, 1e6]");
  }
  if (find_tensor_spec(*spec, WeightSlot::kClsOut) != nullptr && config.pooling == 4) {
    HEARTH_RETURN_IF_ERROR(check_range("n_cls_out", config.n_cls_out, 1, kMaxClassifierOutputs));
  } else if (config.n_cls_out != 0) {
    return invalid_argument_error("LlamaConfig.n_cls_out must be 0 unless the model ranks (pooling 4)");
  }
  if (find_tensor_spec(*spec, WeightSlot::kTokenTypes) != nullptr) {
    HEARTH_RETURN_IF_ERROR(check_range("n_token_types", config.n_token_types, 1, kMaxTokenTypes));
  } else if (config.n_token_types != 0) {
    return invalid_argument_error("LlamaConfig.n_token_types must be 0: the " + config.arch +
                                  " family has no token-type embeddings");
  }
  if (family.global_layer_period > 0 && config.sliding_window < 1) {
    return config_error("sliding_window", config.sliding_window, "the " + config.arch + " family needs a window >= 1");
  }
  return ok_status();
}

double attention_scale(const LlamaConfig& config) {
  const bool embd_per_head =
      config.embd_per_head_scale_layers > 0 && config.n_layer == config.embd_per_head_scale_layers;
  const double scaled_dim =
      embd_per_head ? static_cast<double>(config.n_embd / config.n_head) : static_cast<double>(config.head_dim);
  return 1.0 / std::sqrt(scaled_dim);
}

tensor::WeightView expert_matrix(const tensor::WeightView& stacked, int64_t expert_idx) {
  const int64_t matrix_bytes = tensor::row_bytes(stacked.dtype, stacked.n_cols) * stacked.n_rows;
  return {stacked.dtype, static_cast<const uint8_t*>(stacked.data) + expert_idx * matrix_bytes, stacked.n_rows,
          stacked.n_cols};
}

Result<LlamaConfig> read_llama_config(const GgufFile& file) {
  const GgufValue* arch_value = file.find("general.architecture");
  if (arch_value == nullptr) return data_loss_error("model metadata lacks the required key 'general.architecture'");
  Result<std::string_view> arch = arch_value->as_string();
  if (!arch.ok()) return key_error("general.architecture", arch.status().message());
  HEARTH_ASSIGN_OR_RETURN(const ArchSpec* spec, find_family(arch.value()));
  LlamaConfig config = family_config(*spec);
  const std::string prefix = config.arch + ".";

  // The vocabulary size is the embedding's row count (keys such as vocab_size are checked against it).
  const ArchTensor* embd_spec = find_tensor_spec(*spec, WeightSlot::kTokenEmbd);
  const std::string embd_name(embd_spec->name);
  const GgufTensorInfo* embd = file.find_tensor(embd_name);
  if (embd == nullptr) return data_loss_error("the model lacks tensor '" + embd_name + "'");
  if (embd->ne[1] < 1 || embd->ne[1] > kMaxVocab) {
    return data_loss_error(embd_name + " has " + std::to_string(embd->ne[1]) + " rows, outside [1, " +
                           std::to_string(kMaxVocab) + "]");
  }
  config.n_vocab = embd->ne[1];
  // An encoder's segment count is its token-type embedding's row count (tokenizer.ggml.token_type_count must agree).
  if (const ArchTensor* types_spec = find_tensor_spec(*spec, WeightSlot::kTokenTypes); types_spec != nullptr) {
    const std::string types_name(types_spec->name);
    const GgufTensorInfo* types = file.find_tensor(types_name);
    if (types == nullptr) return data_loss_error("the model lacks tensor '" + types_name + "'");
    if (types->ne[1] < 1 || types->ne[1] > kMaxTokenTypes) {
      return data_loss_error(types_name + " has " + std::to_string(types->ne[1]) + " rows, outside [1, " +
                             std::to_string(kMaxTokenTypes) + "]");
    }
    config.n_token_types = types->ne[1];
    HEARTH_ASSIGN_OR_RETURN(std::optional<int64_t> count,
                            read_optional_int(file, kTokenTypeCountKey, 1, kMaxTokenTypes));
    if (count.has_value() && *count != config.n_token_types) {
      return key_error(kTokenTypeCountKey, "is " + std::to_string(*count) + ", but " + types_name + " has " +
                                               std::to_string(config.n_token_types) + " rows");
    }
  }

  // The fields, the rules between them, then the values the graph fixes (so a
  // wrong head dimension is reported as such, not as a mismatch it causes).
  for (const ConfigKey& key : spec->keys) {
    if (key.use == KeyUse::kSets) HEARTH_RETURN_IF_ERROR(read_key(file, prefix, key, config));
  }
  HEARTH_RETURN_IF_ERROR(check_key_relations(prefix, config));
  for (const ConfigKey& key : spec->keys) {
    if (key.use == KeyUse::kMustMatch) HEARTH_RETURN_IF_ERROR(read_key(file, prefix, key, config));
  }
  HEARTH_ASSIGN_OR_RETURN(config.rope_scaling, read_rope_scaling(file, prefix));
  if (config.rope_scaling.type == RopeScalingType::kLlama3 && file.find_tensor("rope_freqs.weight") != nullptr) {
    return data_loss_error("both rope.scaling.type llama3 and tensor rope_freqs.weight rescale RoPE frequencies");
  }

  // Padding rows beyond the tokenizer's tokens are fine; tokens without a row are not.
  if (const GgufValue* tokens = file.find("tokenizer.ggml.tokens"); tokens != nullptr) {
    if (tokens->type() != GgufValueType::kArray) {
      return key_error("tokenizer.ggml.tokens", std::string("is ") + gguf_type_name(tokens->type()) + ", not an array");
    }
    if (tokens->array_size() > static_cast<uint64_t>(config.n_vocab)) {
      return data_loss_error("tokenizer.ggml.tokens has " + std::to_string(tokens->array_size()) + " tokens but " +
                             embd_name + " only " + std::to_string(config.n_vocab) + " rows");
    }
  }
  if (const ArchTensor* output = find_tensor_spec(*spec, WeightSlot::kOutput); output != nullptr) {
    config.tied_output = file.find_tensor(std::string(output->name)) == nullptr;
  }

  // A ranking model's head: cls.output's rows are its outputs (a reranker's score is the first).
  if (const ArchTensor* head = find_tensor_spec(*spec, WeightSlot::kClsOut); head != nullptr && config.pooling == 4) {
    const std::string head_name(head->name);
    const GgufTensorInfo* info = file.find_tensor(head_name);
    if (info == nullptr || file.find_tensor("cls.weight") == nullptr) {
      return data_loss_error("pooling_type 4 (rank) needs the classification head cls.weight and " + head_name);
    }
    if (info->ne[1] < 1 || info->ne[1] > kMaxClassifierOutputs) {
      return data_loss_error(head_name + " has " + std::to_string(info->ne[1]) + " rows, outside [1, " +
                             std::to_string(kMaxClassifierOutputs) + "]");
    }
    config.n_cls_out = info->ne[1];
  }

  Status valid = validate_llama_config(config);
  // Every field was range-checked above with its key's name; this is a second line of defense.
  if (!valid.ok()) return data_loss_error("model metadata: " + valid.message());
  return config;
}

Result<LlamaWeights> bind_llama_weights(const GgufFile& file, const LlamaConfig& config) {
  HEARTH_RETURN_IF_ERROR(validate_llama_config(config));
  const ArchSpec& spec = *find_arch(config.arch);  // validate_llama_config checked it is registered

  Binder binder(file);
  LlamaWeights weights;
  weights.layers.resize(static_cast<size_t>(config.n_layer));
  bool has_output = false;
  for (const ModelTensor& tensor : model_tensors(spec, config, TensorSelection::kPossible)) {
    const ArchTensor& part = *tensor.spec;
    if (part.slot == WeightSlot::kOutput && config.tied_output) {
      if (binder.has(tensor.name)) {
        return invalid_argument_error("LlamaConfig.tied_output is set but the file has " + tensor.name);
      }
      continue;
    }
    // Optional tensors may be absent, but an untied model needs its output matrix.
    const bool required = part.written_when == nullptr || part.slot == WeightSlot::kOutput;
    if (!required && !binder.has(tensor.name)) continue;
    if (part.slot == WeightSlot::kRopeFreqs && config.rope_scaling.type == RopeScalingType::kLlama3) {
      return data_loss_error("both rope.scaling.type llama3 and tensor rope_freqs.weight rescale RoPE frequencies");
    }
    if (part.form == TensorForm::kMatrix) {
      HEARTH_ASSIGN_OR_RETURN(
          tensor::WeightView view,
          binder.matrix(tensor.name, tensor.shape.n_rows, tensor.shape.n_cols, tensor.shape.n_mats));
      store(weights, part.slot, tensor.layer_idx, view, nullptr);
      if (is_expert_slot(part.slot)) {
        weights.n_expert_bytes +=
            static_cast<uint64_t>(tensor::row_bytes(view.dtype, view.n_cols) * view.n_rows * tensor.shape.n_mats);
      }
      has_output = has_output || part.slot == WeightSlot::kOutput;
    } else {
      HEARTH_ASSIGN_OR_RETURN(const float* values, binder.vector(tensor.name, tensor.shape.n_cols));
      if (part.slot == WeightSlot::kRopeFreqs) HEARTH_RETURN_IF_ERROR(check_rope_freqs(values, tensor.shape.n_cols));
      store(weights, part.slot, tensor.layer_idx, {}, values);
    }
  }
  if (!has_output) weights.output = weights.token_embd;  // tied
  HEARTH_RETURN_IF_ERROR(binder.check_all_bound(config.arch));
  weights.n_bytes = binder.n_bytes();
  return weights;
}

void write_llama_config(const LlamaConfig& config, GgufWriter& writer,
                        const std::function<bool(const std::string& key)>& keep) {
  const ArchSpec* spec = find_arch(config.arch);
  assert(spec != nullptr && "write_llama_config needs a validated config");
  const auto wanted = [&](const std::string& key) { return !keep || keep(key); };
  if (wanted("general.architecture")) writer.add_string("general.architecture", config.arch);
  const std::string prefix = config.arch + ".";
  for (const ConfigKey& key : spec->keys) {
    const std::string name = prefix + std::string(key.suffix);
    if ((key.written_when != nullptr && !key.written_when(config)) || !wanted(name)) continue;
    if (key.type == KeyType::kUint) {
      const int64_t value =
          key.use == KeyUse::kSets ? config.*key.int_field : static_cast<int64_t>(key.value_for(config));
      writer.add_uint32(name, static_cast<uint32_t>(value));
    } else {
      const float value =
          key.use == KeyUse::kSets ? config.*key.float_field : static_cast<float>(key.value_for(config));
      writer.add_float32(name, value);
    }
  }
  if (config.n_token_types > 0 && wanted(kTokenTypeCountKey)) {
    writer.add_uint32(kTokenTypeCountKey, static_cast<uint32_t>(config.n_token_types));
  }
  // llama3 scaling is written as the rope_freqs.weight tensor (model/arch/rope_factors.h), as llama.cpp does.
  if (config.rope_scaling.type == RopeScalingType::kLinear) {
    if (wanted(prefix + "rope.scaling.type")) writer.add_string(prefix + "rope.scaling.type", "linear");
    if (wanted(prefix + "rope.scaling.factor")) {
      writer.add_float32(prefix + "rope.scaling.factor", config.rope_scaling.factor);
    }
  }
}

}  // namespace hearth::model
