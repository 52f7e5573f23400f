// Llama-family hyper-parameters from GGUF metadata, and the binding of their
// tensors by ggml names, with every shape and type checked.
// ref: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md (standardized key-value pairs)
#include "model/llama_arch.h"

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>

namespace hearth::model {
namespace {

// Sane upper bounds: well above every published model, low enough that no
// product of two of them overflows and no buffer sized by them is absurd.
constexpr int64_t kMaxVocab = int64_t{1} << 22;
constexpr int64_t kMaxContext = int64_t{1} << 24;
constexpr int64_t kMaxEmbd = int64_t{1} << 16;
constexpr int64_t kMaxLayers = 1024;
constexpr int64_t kMaxHeads = 1024;
constexpr int64_t kMaxHeadDim = 1024;
constexpr int64_t kMaxFf = int64_t{1} << 20;
constexpr double kMaxRopeTheta = 1e10;
constexpr double kMaxRopeFactor = 1024.0;

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

Result<int64_t> read_required_int(const GgufFile& file, const std::string& key, int64_t min, int64_t max) {
  HEARTH_ASSIGN_OR_RETURN(std::optional<int64_t> value, read_optional_int(file, key, min, max));
  if (!value.has_value()) return data_loss_error("model metadata lacks the required key '" + key + "'");
  return *value;
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
  if (type_name != "linear" && type_name != "llama3") {
    return unimplemented_error("RoPE scaling type '" + std::string(type_name) +
                               "' is not supported (hearth implements none, linear and llama3)");
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

  // A [n_rows x n_cols] matrix: GGUF ne[0] = n_cols (inputs), ne[1] = n_rows (outputs).
  Result<tensor::WeightView> matrix(const std::string& name, int64_t n_rows, int64_t n_cols) {
    HEARTH_ASSIGN_OR_RETURN(const GgufTensorInfo* info, find(name, {n_cols, n_rows, 1, 1}));
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
  Status check_all_bound() const {
    for (const GgufTensorInfo& info : file_.tensors()) {
      if (bound_.count(info.name) == 0) {
        return unimplemented_error("tensor '" + info.name +
                                   "' is not part of hearth's llama graph; the model needs features hearth lacks");
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

}  // namespace

Status validate_llama_config(const LlamaConfig& config) {
  if (config.arch != "llama" && config.arch != "qwen2") {
    return invalid_argument_error("LlamaConfig.arch '" + config.arch + "' is neither llama nor qwen2");
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
  const bool qwen2 = config.arch == "qwen2";
  if (config.rope_neox != qwen2 || config.has_qkv_bias != qwen2) {
    return invalid_argument_error("LlamaConfig.rope_neox and has_qkv_bias must be true exactly for qwen2");
  }
  return ok_status();
}

Result<LlamaConfig> read_llama_config(const GgufFile& file) {
  LlamaConfig config;
  const GgufValue* arch_value = file.find("general.architecture");
  if (arch_value == nullptr) return data_loss_error("model metadata lacks the required key 'general.architecture'");
  Result<std::string_view> arch = arch_value->as_string();
  if (!arch.ok()) return key_error("general.architecture", arch.status().message());
  if (arch.value() != "llama" && arch.value() != "qwen2") {
    std::string shown(arch.value().substr(0, 64));
    return unimplemented_error("architecture '" + shown + "' is not supported (hearth runs llama and qwen2)");
  }
  config.arch = std::string(arch.value());
  config.rope_neox = config.arch == "qwen2";
  config.has_qkv_bias = config.arch == "qwen2";
  const std::string prefix = config.arch + ".";

  HEARTH_ASSIGN_OR_RETURN(std::optional<int64_t> n_expert,
                          read_optional_int(file, prefix + "expert_count", 0, 1 << 16));
  if (n_expert.value_or(0) > 0) {
    return unimplemented_error("mixture-of-experts models (" + prefix + "expert_count = " + std::to_string(*n_expert) +
                               ") are not supported");
  }

  HEARTH_ASSIGN_OR_RETURN(config.n_ctx_train, read_required_int(file, prefix + "context_length", 1, kMaxContext));
  HEARTH_ASSIGN_OR_RETURN(config.n_embd, read_required_int(file, prefix + "embedding_length", 1, kMaxEmbd));
  HEARTH_ASSIGN_OR_RETURN(config.n_layer, read_required_int(file, prefix + "block_count", 1, kMaxLayers));
  HEARTH_ASSIGN_OR_RETURN(config.n_ff, read_required_int(file, prefix + "feed_forward_length", 1, kMaxFf));
  HEARTH_ASSIGN_OR_RETURN(config.n_head, read_required_int(file, prefix + "attention.head_count", 1, kMaxHeads));
  HEARTH_ASSIGN_OR_RETURN(std::optional<int64_t> n_head_kv,
                          read_optional_int(file, prefix + "attention.head_count_kv", 1, config.n_head));
  config.n_head_kv = n_head_kv.value_or(config.n_head);
  if (config.n_head % config.n_head_kv != 0) {
    return data_loss_error("attention.head_count_kv " + std::to_string(config.n_head_kv) +
                           " does not divide attention.head_count " + std::to_string(config.n_head));
  }

  HEARTH_ASSIGN_OR_RETURN(std::optional<int64_t> key_length,
                          read_optional_int(file, prefix + "attention.key_length", 1, kMaxHeadDim));
  if (key_length.has_value()) {
    config.head_dim = *key_length;
  } else {
    if (config.n_embd % config.n_head != 0) {
      return data_loss_error("embedding_length " + std::to_string(config.n_embd) +
                             " is not a multiple of attention.head_count " + std::to_string(config.n_head) +
                             " and attention.key_length is absent");
    }
    config.head_dim = config.n_embd / config.n_head;
  }
  if (config.head_dim % 2 != 0 || config.head_dim < 2 || config.head_dim > kMaxHeadDim) {
    return data_loss_error("head dimension " + std::to_string(config.head_dim) + " is not even and in [2, " +
                           std::to_string(kMaxHeadDim) + "]");
  }
  HEARTH_ASSIGN_OR_RETURN(std::optional<int64_t> value_length,
                          read_optional_int(file, prefix + "attention.value_length", 1, kMaxHeadDim));
  if (value_length.has_value() && *value_length != config.head_dim) {
    return unimplemented_error("attention.value_length " + std::to_string(*value_length) +
                               " differs from the key length " + std::to_string(config.head_dim));
  }
  HEARTH_ASSIGN_OR_RETURN(std::optional<int64_t> rope_dims,
                          read_optional_int(file, prefix + "rope.dimension_count", 1, kMaxHeadDim));
  if (rope_dims.has_value() && *rope_dims != config.head_dim) {
    return unimplemented_error("partial rotary embeddings (rope.dimension_count " + std::to_string(*rope_dims) +
                               " of head dimension " + std::to_string(config.head_dim) + ") are not supported");
  }

  HEARTH_ASSIGN_OR_RETURN(double rms_eps,
                          read_required_float(file, prefix + "attention.layer_norm_rms_epsilon", 0.0, 0.5));
  config.rms_eps = static_cast<float>(rms_eps);
  HEARTH_ASSIGN_OR_RETURN(double rope_theta, read_float(file, prefix + "rope.freq_base", 10000.0, 1.0, kMaxRopeTheta));
  config.rope_theta = static_cast<float>(rope_theta);
  HEARTH_ASSIGN_OR_RETURN(config.rope_scaling, read_rope_scaling(file, prefix));
  if (config.rope_scaling.type == RopeScalingType::kLlama3 && file.find_tensor("rope_freqs.weight") != nullptr) {
    return data_loss_error("both rope.scaling.type llama3 and tensor rope_freqs.weight rescale RoPE frequencies");
  }

  // The vocabulary size is the embedding's row count.
  const GgufTensorInfo* embd = file.find_tensor("token_embd.weight");
  if (embd == nullptr) return data_loss_error("the model lacks tensor 'token_embd.weight'");
  if (embd->ne[1] < 1 || embd->ne[1] > kMaxVocab) {
    return data_loss_error("token_embd.weight has " + std::to_string(embd->ne[1]) + " rows, outside [1, " +
                           std::to_string(kMaxVocab) + "]");
  }
  config.n_vocab = embd->ne[1];
  HEARTH_ASSIGN_OR_RETURN(std::optional<int64_t> vocab_size,
                          read_optional_int(file, prefix + "vocab_size", 1, kMaxVocab));
  if (vocab_size.has_value() && *vocab_size != config.n_vocab) {
    return data_loss_error(prefix + "vocab_size " + std::to_string(*vocab_size) + " differs from the " +
                           std::to_string(config.n_vocab) + " rows of token_embd.weight");
  }
  // Padding rows beyond the tokenizer's tokens are fine; tokens without a row are not.
  if (const GgufValue* tokens = file.find("tokenizer.ggml.tokens"); tokens != nullptr) {
    if (tokens->type() != GgufValueType::kArray) {
      return key_error("tokenizer.ggml.tokens", std::string("is ") + gguf_type_name(tokens->type()) + ", not an array");
    }
    if (tokens->array_size() > static_cast<uint64_t>(config.n_vocab)) {
      return data_loss_error("tokenizer.ggml.tokens has " + std::to_string(tokens->array_size()) +
                             " tokens but token_embd.weight only " + std::to_string(config.n_vocab) + " rows");
    }
  }
  config.tied_output = file.find_tensor("output.weight") == nullptr;

  Status valid = validate_llama_config(config);
  // Every field was range-checked above with its key's name; this is a second line of defense.
  if (!valid.ok()) return data_loss_error("model metadata: " + valid.message());
  return config;
}

Result<LlamaWeights> bind_llama_weights(const GgufFile& file, const LlamaConfig& config) {
  HEARTH_RETURN_IF_ERROR(validate_llama_config(config));
  const int64_t n_embd = config.n_embd;
  const int64_t q_dim = config.n_head * config.head_dim;  // both bounded: no overflow
  const int64_t kv_dim = config.n_head_kv * config.head_dim;

  Binder binder(file);
  LlamaWeights weights;
  HEARTH_ASSIGN_OR_RETURN(weights.token_embd, binder.matrix("token_embd.weight", config.n_vocab, n_embd));
  HEARTH_ASSIGN_OR_RETURN(weights.output_norm, binder.vector("output_norm.weight", n_embd));
  if (config.tied_output) {
    if (binder.has("output.weight")) {
      return invalid_argument_error("LlamaConfig.tied_output is set but the file has output.weight");
    }
    weights.output = weights.token_embd;
  } else {
    HEARTH_ASSIGN_OR_RETURN(weights.output, binder.matrix("output.weight", config.n_vocab, n_embd));
  }
  if (binder.has("rope_freqs.weight")) {
    if (config.rope_scaling.type == RopeScalingType::kLlama3) {
      return data_loss_error("both rope.scaling.type llama3 and tensor rope_freqs.weight rescale RoPE frequencies");
    }
    HEARTH_ASSIGN_OR_RETURN(weights.rope_freqs, binder.vector("rope_freqs.weight", config.head_dim / 2));
    for (int64_t freq_idx = 0; freq_idx < config.head_dim / 2; ++freq_idx) {
      const float factor = weights.rope_freqs[freq_idx];
      if (!std::isfinite(factor) || factor <= 0.0f) {
        return data_loss_error("rope_freqs.weight[" + std::to_string(freq_idx) + "] = " + std::to_string(factor) +
                               " is not a positive finite factor");
      }
    }
  }

  weights.layers.resize(static_cast<size_t>(config.n_layer));
  for (int64_t layer_idx = 0; layer_idx < config.n_layer; ++layer_idx) {
    LlamaLayerWeights& layer = weights.layers[static_cast<size_t>(layer_idx)];
    const std::string blk = "blk." + std::to_string(layer_idx) + ".";
    HEARTH_ASSIGN_OR_RETURN(layer.attn_norm, binder.vector(blk + "attn_norm.weight", n_embd));
    HEARTH_ASSIGN_OR_RETURN(layer.wq, binder.matrix(blk + "attn_q.weight", q_dim, n_embd));
    HEARTH_ASSIGN_OR_RETURN(layer.wk, binder.matrix(blk + "attn_k.weight", kv_dim, n_embd));
    HEARTH_ASSIGN_OR_RETURN(layer.wv, binder.matrix(blk + "attn_v.weight", kv_dim, n_embd));
    HEARTH_ASSIGN_OR_RETURN(layer.wo, binder.matrix(blk + "attn_output.weight", n_embd, q_dim));
    if (config.has_qkv_bias) {
      HEARTH_ASSIGN_OR_RETURN(layer.bq, binder.vector(blk + "attn_q.bias", q_dim));
      HEARTH_ASSIGN_OR_RETURN(layer.bk, binder.vector(blk + "attn_k.bias", kv_dim));
      HEARTH_ASSIGN_OR_RETURN(layer.bv, binder.vector(blk + "attn_v.bias", kv_dim));
    }
    HEARTH_ASSIGN_OR_RETURN(layer.ffn_norm, binder.vector(blk + "ffn_norm.weight", n_embd));
    HEARTH_ASSIGN_OR_RETURN(layer.w_gate, binder.matrix(blk + "ffn_gate.weight", config.n_ff, n_embd));
    HEARTH_ASSIGN_OR_RETURN(layer.w_up, binder.matrix(blk + "ffn_up.weight", config.n_ff, n_embd));
    HEARTH_ASSIGN_OR_RETURN(layer.w_down, binder.matrix(blk + "ffn_down.weight", n_embd, config.n_ff));
  }
  HEARTH_RETURN_IF_ERROR(binder.check_all_bound());
  weights.n_bytes = binder.n_bytes();
  return weights;
}

void write_llama_config(const LlamaConfig& config, GgufWriter& writer) {
  const std::string& arch = config.arch;
  const auto u32 = [](int64_t value) { return static_cast<uint32_t>(value); };
  writer.add_string("general.architecture", arch);
  writer.add_uint32(arch + ".vocab_size", u32(config.n_vocab));
  writer.add_uint32(arch + ".context_length", u32(config.n_ctx_train));
  writer.add_uint32(arch + ".embedding_length", u32(config.n_embd));
  writer.add_uint32(arch + ".block_count", u32(config.n_layer));
  writer.add_uint32(arch + ".feed_forward_length", u32(config.n_ff));
  writer.add_uint32(arch + ".attention.head_count", u32(config.n_head));
  writer.add_uint32(arch + ".attention.head_count_kv", u32(config.n_head_kv));
  if (config.head_dim != config.n_embd / config.n_head) {
    writer.add_uint32(arch + ".attention.key_length", u32(config.head_dim));
    writer.add_uint32(arch + ".attention.value_length", u32(config.head_dim));
  }
  writer.add_float32(arch + ".attention.layer_norm_rms_epsilon", config.rms_eps);
  writer.add_float32(arch + ".rope.freq_base", config.rope_theta);
  writer.add_uint32(arch + ".rope.dimension_count", u32(config.head_dim));
  const RopeScaling& scaling = config.rope_scaling;
  if (scaling.type == RopeScalingType::kLlama3) {
    writer.add_string(arch + ".rope.scaling.type", "llama3");
    writer.add_float32(arch + ".rope.scaling.factor", scaling.factor);
    writer.add_float32(arch + ".rope.scaling.low_freq_factor", scaling.low_freq_factor);
    writer.add_float32(arch + ".rope.scaling.high_freq_factor", scaling.high_freq_factor);
    writer.add_uint32(arch + ".rope.scaling.original_context_length", u32(scaling.original_context));
  } else if (scaling.type == RopeScalingType::kLinear) {
    writer.add_string(arch + ".rope.scaling.type", "linear");
    writer.add_float32(arch + ".rope.scaling.factor", scaling.factor);
  }
}

}  // namespace hearth::model
