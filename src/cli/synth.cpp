#include "cli/synth.h"

#include <algorithm>
#include <string>
#include <vector>

#include "cli/random_normal.h"
#include "model/arch/arch_registry.h"
#include "model/arch/rope_factors.h"
#include "model/gguf_writer.h"
#include "tensor/quant.h"
#include "text/synthetic_vocab.h"

namespace hearth::cli {
namespace {

using tensor::DType;

constexpr float kWeightStddev = 0.02f;

struct PlannedTensor {
  std::string name;
  std::vector<int64_t> dims;  // ne[0] first
  DType dtype;
  model::TensorFill fill;
  std::vector<float> values;  // kRopeFactors: the whole tensor
};

uint64_t mix_seed(uint64_t seed, uint64_t tensor_idx, uint64_t row_idx) {
  SplitMix64 mixer(seed ^ (tensor_idx * 0x9e3779b97f4a7c15ull) ^ (row_idx * 0xc2b2ae3d27d4eb4full));
  return mixer.next();
}

// The family's tensor list for this shape (model/arch), with the type each gets in a file of `file_type`.
std::vector<PlannedTensor> plan_tensors(const model::ArchSpec& spec, const model::LlamaConfig& config,
                                        model::FileType file_type) {
  std::vector<PlannedTensor> plan;
  for (const model::ModelTensor& tensor : model::model_tensors(spec, config)) {
    PlannedTensor planned{tensor.name, {tensor.shape.n_cols}, DType::kF32, tensor.spec->fill, {}};
    if (tensor.spec->form == model::TensorForm::kMatrix) {
      planned.dims.push_back(tensor.shape.n_rows);
      if (model::is_expert_slot(tensor.spec->slot)) planned.dims.push_back(tensor.shape.n_mats);
      planned.dtype = model::tensor_type_in(file_type, tensor, config);
    }
    if (planned.fill == model::TensorFill::kRopeFactors) {
      for (double divisor : model::rope_freq_divisors(config)) planned.values.push_back(static_cast<float>(divisor));
    }
    plan.push_back(std::move(planned));
  }
  return plan;
}

// Only standard keys (ref: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md, "General metadata").
void add_hparams(const model::ModelShape& shape, model::FileType file_type, model::GgufWriter& writer) {
  model::write_llama_config(shape.config, writer);
  writer.add_string("general.name", std::string(shape.name) + " (random weights, " +
                                        std::string(model::file_type_name(file_type)) + ")");
  writer.add_uint32("general.file_type", model::llama_ftype(file_type));
  writer.add_string("general.source.url", std::string(shape.source));
}

}  // namespace

Status synthesize_model(const SynthOptions& options, ThreadPool& pool, const SynthProgressFn& progress) {
  if (options.shape == nullptr) return invalid_argument_error("no model shape given");
  if (options.out_path.empty()) return invalid_argument_error("no output path given");
  const model::ModelShape& shape = *options.shape;
  HEARTH_RETURN_IF_ERROR(model::validate_llama_config(shape.config));

  model::GgufWriter writer;
  add_hparams(shape, options.file_type, writer);
  HEARTH_ASSIGN_OR_RETURN(text::SyntheticTokenizer vocab,
                          text::make_synthetic_tokenizer(shape.tokenizer, shape.config.n_vocab));
  text::write_tokenizer_metadata(vocab.spec, writer);
  const std::string chat_template = options.chat_template.value_or(vocab.chat_template);
  if (!chat_template.empty()) writer.add_string("tokenizer.chat_template", chat_template);

  const model::ArchSpec* spec = model::find_arch(shape.config.arch);
  if (spec == nullptr) return invalid_argument_error("the shape's architecture '" + shape.config.arch + "' is unknown");
  const std::vector<PlannedTensor> plan = plan_tensors(*spec, shape.config, options.file_type);
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
          if (planned.fill == model::TensorFill::kOnes) {
            std::fill(values.begin(), values.end(), 1.0f);
          } else if (planned.fill == model::TensorFill::kRopeFactors) {
            values = planned.values;
          } else {
            SplitMix64 rng(mix_seed(seed, tensor_idx, static_cast<uint64_t>(row_idx)));
            fill_normal(rng, kWeightStddev, values.data(), n_cols);
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
