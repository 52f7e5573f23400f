// Tiny llama/qwen2 GGUF files for tests and the fuzz corpus: the tensor list a
// config implies (which a test may edit: drop, reshape, retype, add), the
// standard metadata keys, and deterministic tensor contents.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "model/gguf_writer.h"
#include "model/llama_arch.h"

namespace hearth::model::test {

struct TensorSpec {
  std::string name;
  std::vector<int64_t> dims;  // ne[0] first
  tensor::DType dtype;
};

// arch "llama" or "qwen2": n_embd 32, 4 heads of 8, 2 KV heads, n_ff 64, 2 layers, 8 tokens.
LlamaConfig tiny_config(const std::string& arch);

// Every tensor bind_llama_weights expects for `config` (no output.weight when tied).
std::vector<TensorSpec> llama_tensor_specs(const LlamaConfig& config, tensor::DType matrix_dtype);

// general.architecture and the "<arch>.*" hyper-parameter keys, plus
// tokenizer.ggml.tokens with n_vocab entries; keys in `skip` are left out.
void add_llama_keys(GgufWriter& writer, const LlamaConfig& config, const std::set<std::string>& skip = {});

// F32 tensors get values in [0.5, 1.5); others get bytes from a PRNG seeded with `seed`.
void add_tensors(GgufWriter& writer, const std::vector<TensorSpec>& specs, uint64_t seed);

// A fresh path under the test temp dir; `name` keeps it readable.
std::string temp_path(const std::string& name);

std::vector<uint8_t> read_file_bytes(const std::string& path);

}  // namespace hearth::model::test
