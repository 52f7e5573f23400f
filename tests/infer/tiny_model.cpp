#include "tiny_model.h"

#include <cmath>
#include <cstring>
#include <filesystem>
#include <vector>

#include <unistd.h>

#include "infer/rng.h"
#include "model/arch/arch_registry.h"
#include "model/arch/rope_factors.h"
#include "model/gguf_writer.h"
#include "tensor/quant.h"

namespace hearth::infer::testing {
namespace {

using tensor::DType;

// Uniform in [-scale, scale].
std::vector<float> random_values(Rng& rng, int64_t n, double scale) {
  std::vector<float> values(static_cast<size_t>(n));
  for (float& value : values) value = static_cast<float>((2.0 * rng.next_unit() - 1.0) * scale);
  return values;
}

std::vector<uint8_t> f32_bytes(const std::vector<float>& values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(float));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

class ModelBuilder {
 public:
  ModelBuilder(const TinyModelSpec& spec) : spec_(spec), rng_(spec.seed) {}

  // A [n_rows x n_cols] matrix with entries of standard deviation gain/sqrt(n_cols)
  // (uniform of that std), so a product with an O(1) input is O(gain).
  // n_mats such matrices stacked (ne[2]: experts); `f32` keeps it F32 whatever the spec's type (the MoE router).
  void add_matrix(const std::string& name, int64_t n_rows, int64_t n_cols, double gain, int64_t n_mats = 1,
                  bool f32 = false) {
    const double scale = gain * std::sqrt(3.0) / std::sqrt(static_cast<double>(n_cols));
    const std::vector<float> values = random_values(rng_, n_mats * n_rows * n_cols, scale);
    const DType dtype = f32 ? DType::kF32 : spec_.matrix_dtype;
    const int64_t row_bytes = tensor::row_bytes(dtype, n_cols);
    std::vector<uint8_t> bytes(static_cast<size_t>(row_bytes * n_rows * n_mats));
    for (int64_t row_idx = 0; row_idx < n_rows * n_mats; ++row_idx) {
      tensor::quantize_row_ref(dtype, values.data() + row_idx * n_cols, bytes.data() + row_idx * row_bytes, n_cols);
    }
    if (n_mats > 1) {
      writer_.add_tensor(name, {n_cols, n_rows, n_mats}, dtype, std::move(bytes));
    } else {
      writer_.add_tensor(name, {n_cols, n_rows}, dtype, std::move(bytes));
    }
  }

  // A vector around `center` (norm weights near 1, biases near 0).
  void add_vector(const std::string& name, int64_t n, double center, double spread) {
    std::vector<float> values = random_values(rng_, n, spread);
    for (float& value : values) value += static_cast<float>(center);
    writer_.add_tensor(name, {n}, DType::kF32, f32_bytes(values));
  }

  model::GgufWriter& writer() { return writer_; }

 private:
  const TinyModelSpec& spec_;
  Rng rng_;
  model::GgufWriter writer_;
};

}  // namespace

TinyModelSpec llama_gqa_llama3_spec(DType matrix_dtype) {
  TinyModelSpec spec;
  spec.arch = "llama";
  spec.matrix_dtype = matrix_dtype;
  if (matrix_dtype == DType::kQ4_K) {
    // K-quant rows are 256-value blocks.
    spec.n_embd = 256;
    spec.n_ff = 512;
  }
  // head_dim 16 (64-dim model) has frequencies base^(-2i/16), i < 8, with
  // wavelengths 6.3 .. 2.0e4 for base 1e4; original_ctx 256 puts the high and
  // low thresholds at wavelengths 64 and 256: pairs 0-2 keep their frequency,
  // pair 3 blends, pairs 4-7 are divided (Q4_K's head_dim 64 spreads likewise).
  spec.rope_scaling.type = model::RopeScalingType::kLlama3;
  spec.rope_scaling.factor = 8.0f;
  spec.rope_scaling.low_freq_factor = 1.0f;
  spec.rope_scaling.high_freq_factor = 4.0f;
  spec.rope_scaling.original_context = 256;
  spec.rope_theta = 10000.0f;
  return spec;
}

TinyModelSpec family_spec(const std::string& arch, DType matrix_dtype) {
  TinyModelSpec spec;
  spec.arch = arch;
  spec.matrix_dtype = matrix_dtype;
  spec.seed = 11;
  if (arch == "qwen3" || arch == "gemma3" || arch == "llama") spec.head_dim = 32;  // not n_embd / n_head = 16
  if (arch == "gemma3") {
    spec.n_layer = 7;  // layers 0-4 and 6 windowed, 5 global
    spec.sliding_window = 5;
    spec.tied_output = true;
    spec.rope_theta = 1000000.0f;
  }
  if (arch == "gemma2") {
    spec.n_layer = 4;  // layers 0 and 2 windowed, 1 and 3 global
    spec.sliding_window = 5;
    spec.tied_output = true;
    spec.attn_softcap = 4.0f;
    spec.final_softcap = 3.0f;
  }
  if (arch == "qwen3moe") {
    spec.head_dim = 32;
    spec.n_expert = 8;
    spec.n_expert_used = 3;
    spec.n_ff_exp = 64;
  }
  if (matrix_dtype == DType::kQ4_K) {
    spec.n_embd = 256;
    spec.n_ff = 512;
    if (spec.head_dim > 0) spec.head_dim = 128;
    if (spec.n_ff_exp > 0) spec.n_ff_exp = 256;
  }
  return spec;
}

TinyModelSpec qwen2_tied_spec(DType matrix_dtype) {
  TinyModelSpec spec;
  spec.arch = "qwen2";
  spec.matrix_dtype = matrix_dtype;
  spec.n_head = 4;
  spec.n_head_kv = 1;
  spec.tied_output = true;
  spec.rms_eps = 1e-6f;
  spec.rope_theta = 1000000.0f;
  spec.seed = 7;
  if (matrix_dtype == DType::kQ4_K) {
    spec.n_embd = 256;
    spec.n_ff = 512;
  }
  return spec;
}

std::string temp_model_path(const std::string& stem) {
  return (std::filesystem::temp_directory_path() /
          ("hearth_infer_" + stem + "_" + std::to_string(::getpid()) + ".gguf"))
      .string();
}

TinyModelSpec bert_spec(tensor::DType matrix_dtype) {
  TinyModelSpec spec;
  spec.arch = "bert";
  spec.n_vocab = 96;
  spec.n_embd = 64;
  spec.n_layer = 2;
  spec.n_head = 4;
  spec.n_head_kv = 4;
  spec.n_ff = 128;
  spec.n_ctx_train = 32;
  spec.rms_eps = 1e-12f;
  spec.pooling = 1;
  spec.n_token_types = 2;
  spec.matrix_dtype = matrix_dtype;
  return spec;
}

Status write_tiny_model(const TinyModelSpec& spec, const std::string& path) {
  // An architecture hearth has no family for gets llama's keys and tensors under its name (refusal tests).
  const model::ArchSpec* registered = model::find_arch(spec.arch);
  const model::ArchSpec* family = registered != nullptr ? registered : model::find_arch("llama");
  ModelBuilder builder(spec);
  model::GgufWriter& writer = builder.writer();
  model::LlamaConfig config = model::family_config(*family);
  config.n_vocab = spec.n_vocab;
  config.n_ctx_train = spec.n_ctx_train;
  config.n_embd = spec.n_embd;
  config.n_layer = spec.n_layer;
  config.n_head = spec.n_head;
  config.n_head_kv = spec.n_head_kv;
  config.head_dim = spec.resolved_head_dim();
  config.n_ff = spec.n_ff;
  config.rms_eps = spec.rms_eps;
  config.rope_theta = spec.rope_theta;
  config.rope_scaling = spec.rope_scaling;
  config.tied_output = spec.tied_output;
  config.sliding_window = spec.sliding_window;
  if (config.soft_capping) {
    config.attn_softcap = spec.attn_softcap;
    config.final_softcap = spec.final_softcap;
  }
  config.n_expert = spec.n_expert;
  config.n_expert_used = spec.n_expert_used;
  config.n_ff_exp = spec.n_ff_exp;
  config.pooling = spec.pooling;
  config.n_token_types = spec.n_token_types;
  HEARTH_RETURN_IF_ERROR(model::validate_llama_config(config));
  if (registered != nullptr) {
    model::write_llama_config(config, writer);
  } else {
    writer.add_string("general.architecture", spec.arch);
    model::write_llama_config(config, writer, [](const std::string& key) { return key != "general.architecture"; });
  }
  writer.add_string("general.name", "infer test model");

  // The family's tensor list, in its order (the random draws follow it).
  for (const model::ModelTensor& tensor : model::model_tensors(*family, config)) {
    const int64_t n_cols = tensor.shape.n_cols;
    switch (tensor.spec->slot) {
      case model::WeightSlot::kTokenEmbd:
        // Embedding rows of rms ~1 (the first norm rescales them anyway).
        builder.add_matrix(tensor.name, tensor.shape.n_rows, n_cols, std::sqrt(static_cast<double>(n_cols)));
        break;
      case model::WeightSlot::kOutput:
        builder.add_matrix(tensor.name, tensor.shape.n_rows, n_cols, 2.0);
        break;
      case model::WeightSlot::kAttnQ:
      case model::WeightSlot::kAttnK:
      case model::WeightSlot::kAttnQkv:
      case model::WeightSlot::kFfnGate:
        // Gain 1.5 on Q and K makes scores O(2): attention is peaked, not uniform.
        builder.add_matrix(tensor.name, tensor.shape.n_rows, n_cols, 1.5);
        break;
      case model::WeightSlot::kFfnGateInp:
        // Router logits of spread ~4: the chosen experts are clearly ahead (8-bit activations rarely reorder them), their weights far from uniform.
        builder.add_matrix(tensor.name, tensor.shape.n_rows, n_cols, 4.0, 1, /*f32=*/true);
        break;
      case model::WeightSlot::kFfnGateExps:
        builder.add_matrix(tensor.name, tensor.shape.n_rows, n_cols, 1.5, tensor.shape.n_mats);
        break;
      case model::WeightSlot::kFfnUpExps:
      case model::WeightSlot::kFfnDownExps:
        builder.add_matrix(tensor.name, tensor.shape.n_rows, n_cols, 1.0, tensor.shape.n_mats);
        break;
      case model::WeightSlot::kAttnV:
      case model::WeightSlot::kAttnOutput:
      case model::WeightSlot::kFfnUp:
      case model::WeightSlot::kFfnGateUp:
      case model::WeightSlot::kFfnDown:
      case model::WeightSlot::kCls:
      case model::WeightSlot::kClsOut:
        builder.add_matrix(tensor.name, tensor.shape.n_rows, n_cols, 1.0);
        break;
      case model::WeightSlot::kOutputNorm:
      case model::WeightSlot::kAttnNorm:
      case model::WeightSlot::kFfnNorm:
      case model::WeightSlot::kAttnQNorm:
      case model::WeightSlot::kAttnKNorm:
      case model::WeightSlot::kAttnPostNorm:
      case model::WeightSlot::kFfnPostNorm:
        builder.add_vector(tensor.name, n_cols, 1.0, 0.2);
        break;
      case model::WeightSlot::kAttnQBias:
      case model::WeightSlot::kAttnKBias:
      case model::WeightSlot::kAttnVBias:
      case model::WeightSlot::kTokenEmbdNormBias:
      case model::WeightSlot::kAttnOutputBias:
      case model::WeightSlot::kAttnOutNormBias:
      case model::WeightSlot::kFfnUpBias:
      case model::WeightSlot::kFfnDownBias:
      case model::WeightSlot::kLayerOutNormBias:
      case model::WeightSlot::kClsBias:
      case model::WeightSlot::kClsOutBias:
        builder.add_vector(tensor.name, n_cols, 0.0, 0.5);
        break;
      case model::WeightSlot::kTokenEmbdNorm:
      case model::WeightSlot::kAttnOutNorm:
      case model::WeightSlot::kLayerOutNorm:
        builder.add_vector(tensor.name, n_cols, 1.0, 0.2);
        break;
      case model::WeightSlot::kPosEmbd:
      case model::WeightSlot::kTokenTypes:
        // Position and segment rows of rms ~0.5, F32 in every file type (as llama-quantize keeps them).
        builder.add_matrix(tensor.name, tensor.shape.n_rows, n_cols, 0.5 * std::sqrt(static_cast<double>(n_cols)), 1,
                           /*f32=*/true);
        break;
      case model::WeightSlot::kRopeFreqs: {
        // llama3 scaling as llama.cpp's converter stores it; the reference restates HF's formula instead.
        std::vector<float> factors;
        for (double divisor : model::rope_freq_divisors(config)) factors.push_back(static_cast<float>(divisor));
        writer.add_tensor(tensor.name, {n_cols}, DType::kF32, f32_bytes(factors));
        break;
      }
    }
  }
  return writer.write(path);
}

Result<std::unique_ptr<LlamaModel>> load_tiny_model(const TinyModelSpec& spec, const std::string& stem) {
  const std::string path = temp_model_path(stem);
  HEARTH_RETURN_IF_ERROR(write_tiny_model(spec, path));
  auto model = LlamaModel::load(path);
  std::filesystem::remove(path);
  return model;
}

std::unique_ptr<text::Tokenizer> tiny_tokenizer(int64_t n_vocab, int32_t eos_id) {
  text::TokenizerSpec spec;
  spec.model = "llama";
  spec.tokens = {"<unk>",
                 "<s>",
                 "<0xE2>",
                 "<0x82>",
                 "<0xAC>",
                 "\xE2\x96\x81the",
                 "\xE2\x96\x81"
                 "cat",
                 "\xC3\xA9t\xC3\xA9",
                 "\xE6\x97\xA5\xE6\x9C\xAC"};
  spec.token_types = {2, 3, 6, 6, 6, 1, 1, 1, 1};
  for (char first = 'a'; static_cast<int64_t>(spec.tokens.size()) < n_vocab; ++first) {
    for (char second = 'a'; second <= 'z' && static_cast<int64_t>(spec.tokens.size()) < n_vocab; ++second) {
      spec.tokens.push_back(std::string{first, second});
      spec.token_types.push_back(1);
    }
  }
  spec.unk_id = 0;
  spec.bos_id = 1;
  spec.eos_id = eos_id;
  auto tokenizer = text::Tokenizer::create(std::move(spec));
  return tokenizer.ok() ? std::move(tokenizer).value() : nullptr;
}

}  // namespace hearth::infer::testing
