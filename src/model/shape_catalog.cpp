#include "model/shape_catalog.h"

#include <array>

#include "model/arch/arch_registry.h"

namespace hearth::model {
namespace {

LlamaConfig make_config(std::string_view arch, int64_t n_vocab, int64_t n_ctx_train, int64_t n_embd, int64_t n_layer,
                        int64_t n_head, int64_t n_head_kv, int64_t n_ff, float rms_eps, float rope_theta,
                        bool tied_output) {
  LlamaConfig config = family_config(*find_arch(arch));  // every catalog arch is registered (CatalogShapesAreValid)
  config.n_vocab = n_vocab;
  config.n_ctx_train = n_ctx_train;
  config.n_embd = n_embd;
  config.n_layer = n_layer;
  config.n_head = n_head;
  config.n_head_kv = n_head_kv;
  config.head_dim = n_embd / n_head;
  config.n_ff = n_ff;
  config.rms_eps = rms_eps;
  config.rope_theta = rope_theta;
  config.tied_output = tied_output;
  return config;
}

LlamaConfig with_llama3_rope(LlamaConfig config, float factor) {
  config.rope_scaling.type = RopeScalingType::kLlama3;
  config.rope_scaling.factor = factor;
  config.rope_scaling.low_freq_factor = 1.0f;
  config.rope_scaling.high_freq_factor = 4.0f;
  config.rope_scaling.original_context = 8192;
  return config;
}

const std::array<ModelShape, 5>& catalog() {
  static const std::array<ModelShape, 5> shapes = {{
      // A few MB: rows are multiples of 256 so every type, K-quants included, applies unchanged.
      {"tiny", "hearth test shape", "llama3",
       make_config("llama", 1024, 2048, 256, 2, 4, 2, 768, 1e-5f, 10000.0f, false)},
      {"smollm-135m", "HuggingFaceTB/SmolLM-135M config.json", "chatml",
       make_config("llama", 49152, 2048, 576, 30, 9, 3, 1536, 1e-5f, 10000.0f, true)},
      {"qwen2.5-0.5b", "Qwen/Qwen2.5-0.5B config.json", "chatml",
       make_config("qwen2", 151936, 32768, 896, 24, 14, 2, 4864, 1e-6f, 1000000.0f, true)},
      {"llama-3.2-1b", "meta-llama/Llama-3.2-1B config.json", "llama3",
       with_llama3_rope(make_config("llama", 128256, 131072, 2048, 16, 32, 8, 8192, 1e-5f, 500000.0f, true), 32.0f)},
      {"llama-3.1-8b", "meta-llama/Llama-3.1-8B config.json", "llama3",
       with_llama3_rope(make_config("llama", 128256, 131072, 4096, 32, 32, 8, 14336, 1e-5f, 500000.0f, false), 8.0f)},
  }};
  return shapes;
}

}  // namespace

std::span<const ModelShape> shape_catalog() { return catalog(); }

const ModelShape* find_shape(std::string_view name) {
  for (const ModelShape& shape : catalog()) {
    if (shape.name == name) return &shape;
  }
  return nullptr;
}

}  // namespace hearth::model
