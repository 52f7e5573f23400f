#include "cli/whisper_synth.h"

#include <cmath>
#include <cstdio>
#include <vector>

#include "cli/random_normal.h"
#include "media/whisper_vocab.h"
#include "model/gguf_writer.h"
#include "tensor/quant.h"
#include "text/synthetic_vocab.h"

namespace hearth::cli {
namespace {

constexpr float kWeightStddev = 0.02f;

// Whisper's special tokens after the text, in id order.
std::vector<std::string> whisper_specials(int n_languages) {
  std::vector<std::string> out = {"<|endoftext|>", "<|startoftranscript|>"};
  const auto codes = media::whisper_language_codes();
  for (int idx = 0; idx < n_languages; ++idx) out.push_back("<|" + std::string(codes[static_cast<size_t>(idx)]) + "|>");
  for (const char* t : {"<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nospeech|>",
                        "<|notimestamps|>"}) {
    out.emplace_back(t);
  }
  for (int idx = 0; idx < 1501; ++idx) {
    char text[16];
    std::snprintf(text, sizeof(text), "<|%.2f|>", idx * 0.02);
    out.emplace_back(text);
  }
  return out;
}

}  // namespace

Status synthesize_whisper(const model::WhisperShape& shape, model::FileType file_type, const std::string& out_path,
                          uint64_t seed, ThreadPool& pool, const SynthProgressFn& progress) {
  const model::WhisperConfig& c = shape.config;
  HEARTH_RETURN_IF_ERROR(model::validate_whisper_config(c));
  const std::optional<tensor::DType> matrix_type = model::whisper_matrix_type(file_type);
  if (!matrix_type) {
    return invalid_argument_error("a whisper file is f32, f16, bf16, q8_0, q4_0, q4_1, q5_0 or q5_1, not " +
                                  std::string(model::file_type_name(file_type)));
  }
  const std::vector<std::string> specials = whisper_specials(shape.n_languages);
  const int64_t n_text = c.n_vocab - static_cast<int64_t>(specials.size());
  // The text part: a synthetic byte-level BPE whose own control tokens become unused padding.
  HEARTH_ASSIGN_OR_RETURN(text::SyntheticTokenizer vocab, text::make_synthetic_tokenizer("chatml", n_text));
  text::TokenizerSpec spec = std::move(vocab.spec);
  spec.token_types.resize(spec.tokens.size(), static_cast<int32_t>(text::TokenType::kNormal));
  for (size_t idx = 0; idx < spec.tokens.size(); ++idx) {
    if (spec.token_types[idx] != static_cast<int32_t>(text::TokenType::kNormal)) {
      spec.tokens[idx] = "[PAD" + std::to_string(idx) + "]";
      spec.token_types[idx] = static_cast<int32_t>(text::TokenType::kUnused);
    }
  }
  for (const std::string& s : specials) {
    spec.tokens.push_back(s);
    spec.token_types.push_back(static_cast<int32_t>(text::TokenType::kControl));
  }
  if (!spec.scores.empty()) spec.scores.resize(spec.tokens.size(), 0.0f);
  spec.bos_id = spec.eos_id = spec.eot_id = static_cast<int32_t>(n_text);
  spec.pad_id = spec.unk_id = -1;
  spec.add_bos = spec.add_eos = false;

  model::GgufWriter writer;
  model::write_whisper_config(writer, c);
  writer.add_string("general.name", std::string(shape.name) + " (random weights)");
  writer.add_uint32("general.file_type", model::llama_ftype(file_type));
  text::write_tokenizer_metadata(spec, writer);

  const std::vector<model::WhisperTensorSpec> tensors = model::whisper_tensors(c);
  struct Planned {
    model::WhisperTensorSpec spec;
    tensor::DType dtype;
  };
  std::vector<Planned> plan;
  uint64_t total_bytes = 0;
  for (const model::WhisperTensorSpec& t : tensors) {
    tensor::DType dtype = tensor::DType::kF32;
    if (t.matrix && t.name.starts_with("enc.conv1d.")) {
      dtype = *matrix_type == tensor::DType::kF32 ? tensor::DType::kF32 : tensor::DType::kF16;
    } else if (t.matrix) {
      dtype = *matrix_type;
    }
    plan.push_back({t, dtype});
    int64_t n_rows = 1;
    for (size_t dim = 1; dim < t.ne.size(); ++dim) n_rows *= t.ne[dim];
    total_bytes += static_cast<uint64_t>(tensor::row_bytes(dtype, t.ne[0]) * n_rows);
  }
  uint64_t done_bytes = 0;
  for (size_t tensor_idx = 0; tensor_idx < plan.size(); ++tensor_idx) {
    const Planned planned = plan[tensor_idx];
    auto fill = [planned, tensor_idx, seed, &pool, &progress, total_bytes, &done_bytes](uint8_t* dst, uint64_t n_bytes) {
      const int64_t n_cols = planned.spec.ne[0];
      const int64_t row_stride = tensor::row_bytes(planned.dtype, n_cols);
      const int64_t n_rows = static_cast<int64_t>(n_bytes) / row_stride;
      pool.parallel_for(n_rows, 8, [&](int64_t row_begin, int64_t row_end, int) {
        std::vector<float> values(static_cast<size_t>(n_cols));
        for (int64_t row = row_begin; row < row_end; ++row) {
          switch (planned.spec.fill) {
            case model::WhisperFill::kOnes: std::fill(values.begin(), values.end(), 1.0f); break;
            case model::WhisperFill::kZeros: std::fill(values.begin(), values.end(), 0.0f); break;
            case model::WhisperFill::kSinusoids: {
              const double inc = std::log(10000.0) / static_cast<double>(n_cols / 2 - 1);
              for (int64_t col = 0; col < n_cols / 2; ++col) {
                const double arg = static_cast<double>(row) * std::exp(-inc * static_cast<double>(col));
                values[static_cast<size_t>(col)] = static_cast<float>(std::sin(arg));
                values[static_cast<size_t>(n_cols / 2 + col)] = static_cast<float>(std::cos(arg));
              }
              break;
            }
            case model::WhisperFill::kRandom: {
              SplitMix64 rng(seed ^ (tensor_idx * 0x9e3779b97f4a7c15ull) ^ (static_cast<uint64_t>(row) * 0xc2b2ae3d27d4eb4full));
              fill_normal(rng, kWeightStddev, values.data(), n_cols);
              break;
            }
          }
          tensor::quantize_row_ref(planned.dtype, values.data(), dst + row * row_stride, n_cols);
        }
      });
      done_bytes += n_bytes;
      if (progress) progress(done_bytes, total_bytes);
    };
    writer.add_tensor(planned.spec.name, planned.spec.ne, planned.dtype, std::move(fill));
  }
  return writer.write(out_path);
}

}  // namespace hearth::cli
