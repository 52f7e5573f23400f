#include "cli/synth.h"

#include <algorithm>
#include <string>
#include <vector>

#include "cli/random_normal.h"
#include "model/gguf_writer.h"
#include "tensor/quant.h"
#include "text/synthetic_vocab.h"

namespace hearth::cli {
namespace {

using model::TensorRole;
using tensor::DType;

constexpr float kWeightStddev = 0.02f;

struct PlannedTensor {
  std::string name;
  std::vector<int64_t> dims;  // ne[0] first
  DType dtype;
  enum class Fill { kNormal, kOnes } fill;
  float stddev;
};

uint64_t mix_seed(uint64_t seed, uint64_t tensor_idx, uint64_t row_idx) {
  SplitMix64 mixer(seed ^ (tensor_idx * 0x9e3779b97f4a7c15ull) ^ (row_idx * 0xc2b2ae3d27d4eb4full));
  return mixer.next();
}

std::vector<PlannedTensor> plan_tensors(const model::LlamaConfig& config, model::FileType file_type) {
  const int64_t n_embd = config.n_embd;
  const int64_t q_dim = config.n_head * config.head_dim;
  const int64_t kv_dim = config.n_head_kv * config.head_dim;
  auto pick = [&](TensorRole role, int64_t layer_idx, int64_t n_cols) {
    return model::pick_tensor_type(file_type, role, layer_idx, config.n_layer, n_cols, config.tied_output);
  };
  std::vector<PlannedTensor> plan;
  auto matrix = [&](std::string name, TensorRole role, int64_t layer_idx, int64_t n_cols, int64_t n_rows) {
    plan.push_back({std::move(name),
                    {n_cols, n_rows},
                    pick(role, layer_idx, n_cols),
                    PlannedTensor::Fill::kNormal,
                    kWeightStddev});
  };
  auto vector = [&](std::string name, int64_t n, PlannedTensor::Fill fill) {
    plan.push_back({std::move(name), {n}, DType::kF32, fill, kWeightStddev});
  };

  matrix("token_embd.weight", TensorRole::kTokenEmbedding, 0, n_embd, config.n_vocab);
  for (int64_t layer_idx = 0; layer_idx < config.n_layer; ++layer_idx) {
    const std::string prefix = "blk." + std::to_string(layer_idx) + ".";
    vector(prefix + "attn_norm.weight", n_embd, PlannedTensor::Fill::kOnes);
    matrix(prefix + "attn_q.weight", TensorRole::kAttnQ, layer_idx, n_embd, q_dim);
    matrix(prefix + "attn_k.weight", TensorRole::kAttnK, layer_idx, n_embd, kv_dim);
    matrix(prefix + "attn_v.weight", TensorRole::kAttnV, layer_idx, n_embd, kv_dim);
    if (config.has_qkv_bias) {
      vector(prefix + "attn_q.bias", q_dim, PlannedTensor::Fill::kNormal);
      vector(prefix + "attn_k.bias", kv_dim, PlannedTensor::Fill::kNormal);
      vector(prefix + "attn_v.bias", kv_dim, PlannedTensor::Fill::kNormal);
    }
    matrix(prefix + "attn_output.weight", TensorRole::kAttnOutput, layer_idx, q_dim, n_embd);
    vector(prefix + "ffn_norm.weight", n_embd, PlannedTensor::Fill::kOnes);
    matrix(prefix + "ffn_gate.weight", TensorRole::kFfnGate, layer_idx, n_embd, config.n_ff);
    matrix(prefix + "ffn_up.weight", TensorRole::kFfnUp, layer_idx, n_embd, config.n_ff);
    matrix(prefix + "ffn_down.weight", TensorRole::kFfnDown, layer_idx, config.n_ff, n_embd);
  }
  vector("output_norm.weight", n_embd, PlannedTensor::Fill::kOnes);
  if (!config.tied_output) matrix("output.weight", TensorRole::kOutput, 0, n_embd, config.n_vocab);
  return plan;
}

void add_hparams(const model::ModelShape& shape, model::FileType file_type, model::GgufWriter& writer) {
  model::write_llama_config(shape.config, writer);
  writer.add_string("general.name", std::string(shape.name) + " (random weights, " +
                                        std::string(model::file_type_name(file_type)) + ")");
  writer.add_string("general.source.url", std::string(shape.source));
}

}  // namespace

Status synthesize_model(const SynthOptions& options, ThreadPool& pool, const SynthProgressFn& progress) {
  if (options.shape == nullptr) return invalid_argument_error("no model shape given");
  if (options.out_path.empty()) return invalid_argument_error("no output path given");
  const model::ModelShape& shape = *options.shape;

  model::GgufWriter writer;
  add_hparams(shape, options.file_type, writer);
  HEARTH_ASSIGN_OR_RETURN(text::SyntheticTokenizer vocab,
                          text::make_synthetic_tokenizer(shape.tokenizer, shape.config.n_vocab));
  text::write_tokenizer_metadata(vocab.spec, writer);
  writer.add_string("tokenizer.chat_template", vocab.chat_template);

  const std::vector<PlannedTensor> plan = plan_tensors(shape.config, options.file_type);
  uint64_t total_bytes = 0;
  for (const PlannedTensor& planned : plan) {
    int64_t n_rows = 1;
    for (size_t dim_idx = 1; dim_idx < planned.dims.size(); ++dim_idx) n_rows *= planned.dims[dim_idx];
    total_bytes += static_cast<uint64_t>(tensor::row_bytes(planned.dtype, planned.dims[0]) * n_rows);
  }

  // The writer calls the fill callbacks one after another, inside write() below.
  uint64_t done_bytes = 0;
  for (size_t tensor_idx = 0; tensor_idx < plan.size(); ++tensor_idx) {
    const PlannedTensor planned = plan[tensor_idx];
    const uint64_t seed = options.seed;
    auto fill = [planned, tensor_idx, seed, &pool, &progress, total_bytes, &done_bytes](uint8_t* dst,
                                                                                        uint64_t n_bytes) {
      const int64_t n_cols = planned.dims[0];
      const int64_t n_rows = static_cast<int64_t>(n_bytes) / tensor::row_bytes(planned.dtype, n_cols);
      const int64_t row_stride = tensor::row_bytes(planned.dtype, n_cols);
      pool.parallel_for(n_rows, 8, [&](int64_t row_begin, int64_t row_end, int) {
        std::vector<float> values(static_cast<size_t>(n_cols));
        for (int64_t row_idx = row_begin; row_idx < row_end; ++row_idx) {
          if (planned.fill == PlannedTensor::Fill::kOnes) {
            std::fill(values.begin(), values.end(), 1.0f);
          } else {
            SplitMix64 rng(mix_seed(seed, tensor_idx, static_cast<uint64_t>(row_idx)));
            fill_normal(rng, planned.stddev, values.data(), n_cols);
          }
          tensor::quantize_row_ref(planned.dtype, values.data(), dst + row_idx * row_stride, n_cols);
        }
      });
      done_bytes += n_bytes;
      if (progress) progress(done_bytes, total_bytes);
    };
    writer.add_tensor(planned.name, planned.dims, planned.dtype, std::move(fill));
  }
  return writer.write(options.out_path);
}

}  // namespace hearth::cli
