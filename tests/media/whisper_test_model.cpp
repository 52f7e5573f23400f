#include "whisper_test_model.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include <unistd.h>

#include "media/whisper_vocab.h"
#include "model/gguf_writer.h"
#include "tensor/quant.h"
#include "text/byte_level.h"
#include "text/tokenizer_gguf.h"
#include "text/tokenizer_spec.h"

namespace hearth::media::testing {
namespace {

std::string utf8(uint32_t cp) {
  std::string out;
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return out;
}

// whisper_gguf.det_tensor's rule for one value.
float det_value(const std::string& name, double u) {
  if (name.find("norm") != std::string::npos) {
    return static_cast<float>(name.ends_with(".weight") ? 1.0 + u / 8.0 : u / 16.0);
  }
  if (name == "token_embd.weight") return static_cast<float>(u);
  if (name.ends_with(".bias")) return static_cast<float>(u / 32.0);
  return static_cast<float>(u / 8.0);
}

std::vector<float> det_values(const model::WhisperTensorSpec& spec) {
  int64_t n = 1;
  for (int64_t v : spec.ne) n *= v;
  std::vector<float> out(static_cast<size_t>(n));
  if (spec.name == "enc.position_embd.weight") {
    const int64_t channels = spec.ne[0];
    const int64_t length = spec.ne[1];
    const double inc = std::log(10000.0) / static_cast<double>(channels / 2 - 1);
    for (int64_t t = 0; t < length; ++t) {
      for (int64_t i = 0; i < channels / 2; ++i) {
        const double arg = static_cast<double>(t) * std::exp(-inc * static_cast<double>(i));
        out[static_cast<size_t>(t * channels + i)] = static_cast<float>(std::sin(arg));
        out[static_cast<size_t>(t * channels + channels / 2 + i)] = static_cast<float>(std::cos(arg));
      }
    }
    return out;
  }
  const uint32_t hash = fnv1a32(spec.name);
  for (int64_t idx = 0; idx < n; ++idx) {
    out[static_cast<size_t>(idx)] = det_value(spec.name, det_uniform(hash, static_cast<uint64_t>(idx)));
  }
  return out;
}

}  // namespace

uint32_t fnv1a32(std::string_view text) {
  uint32_t h = 0x811C9DC5u;
  for (unsigned char c : text) h = (h ^ c) * 0x01000193u;
  return h;
}

float det_uniform(uint32_t name_hash, uint64_t index) {
  uint64_t z = ((static_cast<uint64_t>(name_hash) << 32) | index) + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  z = z ^ (z >> 31);
  const int64_t k = static_cast<int64_t>(z >> 40);
  return static_cast<float>(static_cast<double>(k - (int64_t{1} << 23)) / static_cast<double>(int64_t{1} << 23));
}

std::string unique_temp_path(std::string_view stem) {
  return (std::filesystem::temp_directory_path() / (std::string(stem) + "_" + std::to_string(::getpid()) + ".gguf"))
      .string();
}

model::WhisperConfig tiny_parity_config() {
  model::WhisperConfig c;
  c.n_vocab = 256 + 1608;
  c.n_mels = 80;
  c.n_embd = 384;
  c.n_head = 6;
  c.n_ff = 1536;
  c.n_enc_layer = 4;
  c.n_dec_layer = 4;
  return c;
}

std::vector<std::string> whisper_test_tokens(int n_languages) {
  std::vector<std::string> tokens;
  // GPT-2's order: the printable bytes first, then the others (as bytes_to_unicode lists them).
  std::vector<bool> printable(256, false);
  for (int b = 0; b < 256; ++b) printable[static_cast<size_t>(b)] = text::byte_level_code_point(static_cast<uint8_t>(b)) == static_cast<uint32_t>(b);
  for (int b = 0; b < 256; ++b) {
    if (printable[static_cast<size_t>(b)]) tokens.push_back(utf8(static_cast<uint32_t>(b)));
  }
  for (int b = 0; b < 256; ++b) {
    if (!printable[static_cast<size_t>(b)]) tokens.push_back(utf8(text::byte_level_code_point(static_cast<uint8_t>(b))));
  }
  tokens.emplace_back("<|endoftext|>");
  tokens.emplace_back("<|startoftranscript|>");
  const auto codes = whisper_language_codes();
  for (int idx = 0; idx < n_languages; ++idx) tokens.push_back("<|" + std::string(codes[static_cast<size_t>(idx)]) + "|>");
  for (const char* t : {"<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>", "<|nospeech|>",
                        "<|notimestamps|>"}) {
    tokens.emplace_back(t);
  }
  for (int idx = 0; idx < 1501; ++idx) {
    char text[16];
    std::snprintf(text, sizeof(text), "<|%.2f|>", idx * 0.02);
    tokens.emplace_back(text);
  }
  return tokens;
}

Status write_deterministic_whisper(const std::string& path, const model::WhisperConfig& config,
                                   tensor::DType matrix_type, int n_languages) {
  HEARTH_RETURN_IF_ERROR(model::validate_whisper_config(config));
  text::TokenizerSpec spec;
  spec.model = "gpt2";
  spec.pre = "gpt2";
  spec.tokens = whisper_test_tokens(n_languages);
  if (static_cast<int64_t>(spec.tokens.size()) != config.n_vocab) {
    return invalid_argument_error("the test vocabulary has " + std::to_string(spec.tokens.size()) + " tokens, n_vocab is " +
                                  std::to_string(config.n_vocab));
  }
  spec.token_types.assign(spec.tokens.size(), static_cast<int32_t>(text::TokenType::kControl));
  for (size_t idx = 0; idx < 256; ++idx) spec.token_types[idx] = static_cast<int32_t>(text::TokenType::kNormal);
  spec.bos_id = spec.eos_id = spec.eot_id = 256;
  model::GgufWriter w;
  model::write_whisper_config(w, config);
  w.add_string("general.name", "whisper-deterministic");
  text::write_tokenizer_metadata(spec, w);
  w.add_string_array("tokenizer.ggml.merges", {});
  for (const model::WhisperTensorSpec& t : model::whisper_tensors(config)) {
    std::vector<float> values = det_values(t);
    tensor::DType dtype = tensor::DType::kF32;
    if (t.matrix && t.name != "dec.position_embd.weight" &&
        t.ne[0] % tensor::dtype_info(matrix_type).block_elems == 0) {
      dtype = matrix_type;
    }
    const int64_t n_cols = t.ne[0];
    const int64_t n_rows = static_cast<int64_t>(values.size()) / n_cols;
    std::vector<uint8_t> bytes(static_cast<size_t>(tensor::row_bytes(dtype, n_cols) * n_rows));
    if (dtype == tensor::DType::kF32) {
      std::memcpy(bytes.data(), values.data(), bytes.size());
    } else {
      for (int64_t row = 0; row < n_rows; ++row) {
        tensor::quantize_row_ref(dtype, values.data() + row * n_cols,
                                 bytes.data() + row * tensor::row_bytes(dtype, n_cols), n_cols);
      }
    }
    w.add_tensor(t.name, t.ne, dtype, std::move(bytes));
  }
  return w.write(path);
}

}  // namespace hearth::media::testing
