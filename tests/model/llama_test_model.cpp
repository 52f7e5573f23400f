#include "llama_test_model.h"

#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>

#include "model/arch/arch_registry.h"

namespace hearth::model::test {

LlamaConfig tiny_config(const std::string& arch) {
  LlamaConfig config;
  config.arch = arch;
  if (const ArchSpec* spec = find_arch(arch); spec != nullptr) config = family_config(*spec);
  config.n_vocab = 8;
  config.n_ctx_train = 128;
  config.n_embd = 32;
  config.n_layer = 2;
  config.n_head = 4;
  config.n_head_kv = 2;
  config.head_dim = 8;
  config.n_ff = 64;
  config.rms_eps = 1e-5f;
  config.rope_theta = config.rope_neox ? 1000000.0f : 10000.0f;
  if (config.global_layer_period > 0) config.sliding_window = 4;  // gemma2/3 require their window
  if (config.soft_capping) {
    config.attn_softcap = 50.0f;
    config.final_softcap = 30.0f;
  }
  if (const ArchSpec* spec = find_arch(arch); spec != nullptr && find_tensor_spec(*spec, WeightSlot::kFfnGateExps)) {
    config.n_expert = 4;
    config.n_expert_used = 2;
    config.n_ff_exp = 32;
  }
  if (config.encoder) {  // bert: an embedder needs its pooling and token types
    config.pooling = 1;
    config.n_token_types = 2;
  }
  return config;
}

std::vector<TensorSpec> llama_tensor_specs(const LlamaConfig& config, tensor::DType matrix_dtype) {
  std::vector<TensorSpec> specs;
  for (const ModelTensor& tensor : model_tensors(*find_arch(config.arch), config)) {
    if (tensor.spec->form == TensorForm::kMatrix && tensor.shape.n_mats > 1) {
      specs.push_back({tensor.name, {tensor.shape.n_cols, tensor.shape.n_rows, tensor.shape.n_mats}, matrix_dtype});
    } else if (tensor.spec->form == TensorForm::kMatrix) {
      specs.push_back({tensor.name, {tensor.shape.n_cols, tensor.shape.n_rows}, matrix_dtype});
    } else {
      specs.push_back({tensor.name, {tensor.shape.n_cols}, tensor::DType::kF32});
    }
  }
  return specs;
}

void add_llama_keys(GgufWriter& writer, const LlamaConfig& config, const std::set<std::string>& skip) {
  write_llama_config(config, writer, [&](const std::string& key) { return skip.count(key) == 0; });
  if (skip.count("tokenizer.ggml.tokens") == 0) {
    std::vector<std::string> tokens;
    for (int64_t token_idx = 0; token_idx < config.n_vocab; ++token_idx) {
      tokens.push_back("tok" + std::to_string(token_idx));
    }
    writer.add_string_array("tokenizer.ggml.tokens", std::move(tokens));
  }
}

void add_legacy_llama3_keys(GgufWriter& writer, const std::string& arch, const RopeScaling& scaling,
                            const std::set<std::string>& skip) {
  const std::string prefix = arch + ".rope.scaling.";
  if (skip.count(prefix + "type") == 0) writer.add_string(prefix + "type", "llama3");
  const auto add_f32 = [&](const std::string& key, float value) {
    if (skip.count(key) == 0) writer.add_float32(key, value);
  };
  add_f32(prefix + "factor", scaling.factor);
  add_f32(prefix + "low_freq_factor", scaling.low_freq_factor);
  add_f32(prefix + "high_freq_factor", scaling.high_freq_factor);
  if (skip.count(prefix + "original_context_length") == 0) {
    writer.add_uint32(prefix + "original_context_length", static_cast<uint32_t>(scaling.original_context));
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
