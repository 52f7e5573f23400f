// Tiny GGUF files of any registered family for tests and the fuzz corpus: the
// tensor list a config implies (the family's list, model/arch; a test may
// edit it: drop, reshape, retype, add), the family's metadata keys, and
// deterministic tensor contents.
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

// A registered family (an unknown arch gets a config with only `arch` set
// besides the dimensions): n_embd 32, 4 heads of 8, 2 KV heads, n_ff 64,
// 2 layers, 8 tokens.
LlamaConfig tiny_config(const std::string& arch);

// The tensors a writer includes for `config` (model_tensors: no output.weight
// when tied, rope_freqs.weight for llama3 scaling); matrices in `matrix_dtype`.
std::vector<TensorSpec> llama_tensor_specs(const LlamaConfig& config, tensor::DType matrix_dtype);

// write_llama_config's keys plus tokenizer.ggml.tokens with n_vocab entries;
// keys in `skip` are left out.
void add_llama_keys(GgufWriter& writer, const LlamaConfig& config, const std::set<std::string>& skip = {});

// The "<arch>.rope.scaling.*" keys hearth wrote for llama3 scaling before it
// followed llama.cpp's rope_freqs.weight convention (old files must still load).
void add_legacy_llama3_keys(GgufWriter& writer, const std::string& arch, const RopeScaling& scaling,
                            const std::set<std::string>& skip = {});

// F32 tensors get values in [0.5, 1.5); others get bytes from a PRNG seeded with `seed`.
void add_tensors(GgufWriter& writer, const std::vector<TensorSpec>& specs, uint64_t seed);

// A fresh path under the test temp dir; `name` keeps it readable.
std::string temp_path(const std::string& name);

std::vector<uint8_t> read_file_bytes(const std::string& path);

}  // namespace hearth::model::test
