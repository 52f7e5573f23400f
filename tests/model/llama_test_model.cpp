#include "llama_test_model.h"

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>

namespace hearth::model::test {

LlamaConfig tiny_config(const std::string& arch) {
  LlamaConfig config;
  config.arch = arch;
  config.n_vocab = 8;
  config.n_ctx_train = 128;
  config.n_embd = 32;
  config.n_layer = 2;
  config.n_head = 4;
  config.n_head_kv = 2;
  config.head_dim = 8;
  config.n_ff = 64;
  config.rms_eps = 1e-5f;
  config.rope_theta = arch == "qwen2" ? 1000000.0f : 10000.0f;
  config.rope_neox = arch == "qwen2";
  config.has_qkv_bias = arch == "qwen2";
  return config;
}

std::vector<TensorSpec> llama_tensor_specs(const LlamaConfig& config, tensor::DType matrix_dtype) {
  using tensor::DType;
  const int64_t q_dim = config.n_head * config.head_dim;
  const int64_t kv_dim = config.n_head_kv * config.head_dim;
  std::vector<TensorSpec> specs = {
      {"token_embd.weight", {config.n_embd, config.n_vocab}, matrix_dtype},
      {"output_norm.weight", {config.n_embd}, DType::kF32},
  };
  if (!config.tied_output) specs.push_back({"output.weight", {config.n_embd, config.n_vocab}, matrix_dtype});
  for (int64_t layer_idx = 0; layer_idx < config.n_layer; ++layer_idx) {
    const std::string blk = "blk." + std::to_string(layer_idx) + ".";
    specs.push_back({blk + "attn_norm.weight", {config.n_embd}, DType::kF32});
    specs.push_back({blk + "attn_q.weight", {config.n_embd, q_dim}, matrix_dtype});
    specs.push_back({blk + "attn_k.weight", {config.n_embd, kv_dim}, matrix_dtype});
    specs.push_back({blk + "attn_v.weight", {config.n_embd, kv_dim}, matrix_dtype});
    specs.push_back({blk + "attn_output.weight", {q_dim, config.n_embd}, matrix_dtype});
    if (config.has_qkv_bias) {
      specs.push_back({blk + "attn_q.bias", {q_dim}, DType::kF32});
      specs.push_back({blk + "attn_k.bias", {kv_dim}, DType::kF32});
      specs.push_back({blk + "attn_v.bias", {kv_dim}, DType::kF32});
    }
    specs.push_back({blk + "ffn_norm.weight", {config.n_embd}, DType::kF32});
    specs.push_back({blk + "ffn_gate.weight", {config.n_embd, config.n_ff}, matrix_dtype});
    specs.push_back({blk + "ffn_up.weight", {config.n_embd, config.n_ff}, matrix_dtype});
    specs.push_back({blk + "ffn_down.weight", {config.n_ff, config.n_embd}, matrix_dtype});
  }
  return specs;
}

void add_llama_keys(GgufWriter& writer, const LlamaConfig& config, const std::set<std::string>& skip) {
  const std::string& arch = config.arch;
  auto wanted = [&](const std::string& key) { return skip.count(key) == 0; };
  auto add_u32 = [&](const std::string& key, int64_t value) {
    if (wanted(key)) writer.add_uint32(key, static_cast<uint32_t>(value));
  };
  auto add_f32 = [&](const std::string& key, float value) {
    if (wanted(key)) writer.add_float32(key, value);
  };
  if (wanted("general.architecture")) writer.add_string("general.architecture", arch);
  add_u32(arch + ".context_length", config.n_ctx_train);
  add_u32(arch + ".embedding_length", config.n_embd);
  add_u32(arch + ".block_count", config.n_layer);
  add_u32(arch + ".feed_forward_length", config.n_ff);
  add_u32(arch + ".attention.head_count", config.n_head);
  add_u32(arch + ".attention.head_count_kv", config.n_head_kv);
  if (config.head_dim != config.n_embd / config.n_head) add_u32(arch + ".attention.key_length", config.head_dim);
  add_f32(arch + ".attention.layer_norm_rms_epsilon", config.rms_eps);
  add_f32(arch + ".rope.freq_base", config.rope_theta);
  const RopeScaling& scaling = config.rope_scaling;
  if (scaling.type == RopeScalingType::kLinear) {
    if (wanted(arch + ".rope.scaling.type")) writer.add_string(arch + ".rope.scaling.type", "linear");
    add_f32(arch + ".rope.scaling.factor", scaling.factor);
  } else if (scaling.type == RopeScalingType::kLlama3) {
    if (wanted(arch + ".rope.scaling.type")) writer.add_string(arch + ".rope.scaling.type", "llama3");
    add_f32(arch + ".rope.scaling.factor", scaling.factor);
    add_f32(arch + ".rope.scaling.low_freq_factor", scaling.low_freq_factor);
    add_f32(arch + ".rope.scaling.high_freq_factor", scaling.high_freq_factor);
    add_u32(arch + ".rope.scaling.original_context_length", scaling.original_context);
  }
  if (wanted("tokenizer.ggml.tokens")) {
    std::vector<std::string> tokens;
    for (int64_t token_idx = 0; token_idx < config.n_vocab; ++token_idx) {
      tokens.push_back("tok" + std::to_string(token_idx));
    }
    writer.add_string_array("tokenizer.ggml.tokens", std::move(tokens));
  }
}

void add_tensors(GgufWriter& writer, const std::vector<TensorSpec>& specs, uint64_t seed) {
  for (size_t spec_idx = 0; spec_idx < specs.size(); ++spec_idx) {
    const TensorSpec& spec = specs[spec_idx];
    const uint64_t tensor_seed = seed * 1000003u + spec_idx;
    const bool is_f32 = spec.dtype == tensor::DType::kF32;
    writer.add_tensor(spec.name, spec.dims, spec.dtype, [tensor_seed, is_f32](uint8_t* dst, uint64_t n_bytes) {
      std::mt19937_64 rng(tensor_seed);
      if (is_f32) {
        std::uniform_real_distribution<float> dist(0.5f, 1.5f);
        for (uint64_t at = 0; at + 4 <= n_bytes; at += 4) {
          const float value = dist(rng);
          std::memcpy(dst + at, &value, 4);
        }
        return;
      }
      for (uint64_t at = 0; at < n_bytes; ++at) dst[at] = static_cast<uint8_t>(rng() >> 56);
    });
  }
}

std::string temp_path(const std::string& name) {
  static std::atomic<int> counter{0};
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string base = dir != nullptr ? dir : "/tmp";
  return base + "/hearth_model_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + "_" + name;
}

std::vector<uint8_t> read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace hearth::model::test
