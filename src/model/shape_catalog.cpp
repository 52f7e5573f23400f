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

// An explicit head size (attention.key_length): Qwen3, Gemma 3, Mistral Nemo.
LlamaConfig with_head_dim(LlamaConfig config, int64_t head_dim) {
  config.head_dim = head_dim;
  return config;
}

LlamaConfig with_window(LlamaConfig config, int64_t sliding_window) {
  config.sliding_window = sliding_window;
  return config;
}

// An embedding model: llama.cpp's pooling_type value (3: the last token).
LlamaConfig with_pooling(LlamaConfig config, int64_t pooling) {
  config.pooling = pooling;
  return config;
}

LlamaConfig with_token_types(LlamaConfig config, int64_t n_token_types) {
  config.n_token_types = n_token_types;
  return config;
}

// A cross-encoder's classification head: n_cls_out outputs (rank pooling).
LlamaConfig with_classifier(LlamaConfig config, int64_t n_cls_out) {
  config.n_cls_out = n_cls_out;
  return config;
}

LlamaConfig with_experts(LlamaConfig config, int64_t n_expert, int64_t n_expert_used, int64_t n_ff_exp) {
  config.n_expert = n_expert;
  config.n_expert_used = n_expert_used;
  config.n_ff_exp = n_ff_exp;
  return config;
}

LlamaConfig with_softcaps(LlamaConfig config, float attn_softcap, float final_softcap) {
  config.attn_softcap = attn_softcap;
  config.final_softcap = final_softcap;
  return config;
}

LlamaConfig with_linear_rope(LlamaConfig config, float factor) {
  config.rope_scaling.type = RopeScalingType::kLinear;
  config.rope_scaling.factor = factor;
  return config;
}

const std::array<ModelShape, 21>& catalog() {
  static const std::array<ModelShape, 21> shapes = {{
      // A few MB: rows are multiples of 256 so every type, K-quants included, applies unchanged.
      {"tiny", "hearth test shape", "llama3",
       make_config("llama", 1024, 2048, 256, 2, 4, 2, 768, 1e-5f, 10000.0f, false)},
      // tiny's size as a qwen3 embedding model (last-token pooling), for the embedding tests.
      {"tiny-embedding", "hearth test shape", "chatml",
       with_pooling(make_config("qwen3", 1024, 2048, 256, 2, 4, 2, 768, 1e-6f, 1000000.0f, true), 3)},
      {"smollm-135m", "HuggingFaceTB/SmolLM-135M config.json", "chatml",
       make_config("llama", 49152, 2048, 576, 30, 9, 3, 1536, 1e-5f, 10000.0f, true)},
      {"qwen2.5-0.5b", "Qwen/Qwen2.5-0.5B config.json", "chatml",
       make_config("qwen2", 151936, 32768, 896, 24, 14, 2, 4864, 1e-6f, 1000000.0f, true)},
      {"llama-3.2-1b", "meta-llama/Llama-3.2-1B config.json", "llama3",
       with_llama3_rope(make_config("llama", 128256, 131072, 2048, 16, 32, 8, 8192, 1e-5f, 500000.0f, true), 32.0f)},
      {"llama-3.1-8b", "meta-llama/Llama-3.1-8B config.json", "llama3",
       with_llama3_rope(make_config("llama", 128256, 131072, 4096, 32, 32, 8, 14336, 1e-5f, 500000.0f, false), 8.0f)},
      {"qwen3-0.6b", "Qwen/Qwen3-0.6B config.json", "chatml",
       with_head_dim(make_config("qwen3", 151936, 40960, 1024, 28, 16, 8, 3072, 1e-6f, 1000000.0f, true), 128)},
      // Qwen3's 0.6B decoder as an embedding model: the last token's final hidden state, normalized.
      {"qwen3-embedding-0.6b", "Qwen/Qwen3-Embedding-0.6B config.json", "chatml",
       with_pooling(
           with_head_dim(make_config("qwen3", 151669, 32768, 1024, 28, 16, 8, 3072, 1e-6f, 1000000.0f, true), 128),
           3)},
      // BERT encoders (mean pooling: sentence-transformers/all-MiniLM-L6-v2; cls: BAAI/bge-base-en-v1.5).
      {"all-minilm-l6", "sentence-transformers/all-MiniLM-L6-v2 config.json", "wordpiece",
       with_token_types(with_pooling(make_config("bert", 30522, 512, 384, 6, 12, 12, 1536, 1e-12f, 10000.0f, false), 1),
                        2)},
      {"bge-base", "BAAI/bge-base-en-v1.5 config.json", "wordpiece",
       with_token_types(with_pooling(make_config("bert", 30522, 512, 768, 12, 12, 12, 3072, 1e-12f, 10000.0f, false), 2),
                        2)},
      // XLM-RoBERTa base with its classification head (rank pooling, one output); 514 positions
      // less RoBERTa's offset of 2. Its real tokenizer is SentencePiece Unigram: the stand-in is WordPiece.
      {"bge-reranker-base", "BAAI/bge-reranker-base config.json", "wordpiece",
       with_classifier(
           with_token_types(with_pooling(make_config("bert", 250002, 512, 768, 12, 12, 12, 3072, 1e-5f, 10000.0f, false), 4),
                            1),
           1)},
      // A few hundred KB of cross-encoder for the API tests.
      {"tiny-reranker", "hearth test shape", "wordpiece",
       with_classifier(
           with_token_types(with_pooling(make_config("bert", 1024, 128, 64, 2, 4, 4, 128, 1e-12f, 10000.0f, false), 4), 2),
           1)},
      {"qwen3-8b", "Qwen/Qwen3-8B config.json", "chatml",
       with_head_dim(make_config("qwen3", 151936, 40960, 4096, 36, 32, 8, 12288, 1e-6f, 1000000.0f, false), 128)},
      {"qwen3-14b", "Qwen/Qwen3-14B config.json", "chatml",
       with_head_dim(make_config("qwen3", 151936, 40960, 5120, 40, 40, 8, 17408, 1e-6f, 1000000.0f, false), 128)},
      // head_dim 128 while n_embd / n_head = 160: Q projects 5120 -> 4096, the output 4096 -> 5120.
      {"mistral-nemo-12b", "mistralai/Mistral-Nemo-Base-2407 config.json", "llama3",
       with_head_dim(make_config("llama", 131072, 1024000, 5120, 40, 32, 8, 14336, 1e-5f, 1000000.0f, false), 128)},
      {"gemma3-1b", "google/gemma-3-1b-it config.json", "spm",
       with_window(
           with_head_dim(make_config("gemma3", 262144, 32768, 1152, 26, 4, 1, 6912, 1e-6f, 1000000.0f, true), 256),
           512)},
      // The text model of google/gemma-3-12b-it (text_config); linear RoPE scaling 8 on the global layers.
      {"gemma3-12b", "google/gemma-3-12b-it config.json (text_config)", "spm",
       with_linear_rope(
           with_window(with_head_dim(
                           make_config("gemma3", 262208, 131072, 3840, 48, 16, 8, 15360, 1e-6f, 1000000.0f, true), 256),
                       1024),
           8.0f)},
      // A few MB of mixture of experts: 8 experts of 256, 2 per token; every row a multiple of 256.
      {"tiny-moe", "hearth test shape", "chatml",
       with_experts(with_head_dim(make_config("qwen3moe", 1024, 2048, 256, 2, 4, 2, 768, 1e-6f, 1000000.0f, false), 64),
                    8, 2, 256)},
      // 128 experts of 768, 8 per token (norm_topk_prob); intermediate_size 6144 is written, no layer is dense.
      {"qwen3-30b-a3b", "Qwen/Qwen3-30B-A3B config.json", "chatml",
       with_experts(
           with_head_dim(make_config("qwen3moe", 151936, 40960, 2048, 48, 32, 4, 6144, 1e-6f, 1000000.0f, false), 128),
           128, 8, 768)},
      // query_pre_attn_scalar 256 = head_dim; soft caps 50 (attention) and 30 (logits); window 4096 on even layers.
      {"gemma2-2b", "google/gemma-2-2b config.json", "spm",
       with_softcaps(with_window(with_head_dim(make_config("gemma2", 256000, 8192, 2304, 26, 8, 4, 9216, 1e-6f,
                                                           10000.0f, true),
                                               256),
                                 4096),
                     50.0f, 30.0f)},
      {"phi-4", "microsoft/phi-4 config.json", "chatml",
       make_config("phi3", 100352, 16384, 5120, 40, 40, 10, 17920, 1e-5f, 250000.0f, false)},
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
