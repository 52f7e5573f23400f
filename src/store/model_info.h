// What `hearth models inspect` says about a GGUF file, read from its header
// only (no tensor data is touched): architecture, size, types, dimensions and
// tokenizer. Works for any architecture that uses GGUF's standard
// "<arch>.*" keys; a key the file lacks is left at 0 / empty.
// ref: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md (standardized key-value pairs)
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "model/gguf.h"

namespace hearth::store {

struct ModelInfo {
  std::string architecture;  // general.architecture
  std::string model_name;    // general.name
  uint32_t gguf_version = 0;
  uint64_t file_bytes = 0;
  uint64_t tensor_bytes = 0;
  int64_t n_params = 0;  // elements of every tensor
  int64_t n_tensors = 0;
  std::vector<std::pair<std::string, int64_t>> tensor_types;  // ("q8_0", count), most common first
  // general.file_type as llama.cpp names it ("Q4_K_M"); "" when the key is absent.
  std::string file_type;
  int64_t file_type_id = -1;
  // The type holding the most weight bytes ("q4_k"), for files without general.file_type.
  std::string main_tensor_type;
  int64_t n_ctx_train = 0;
  int64_t n_embd = 0;
  int64_t n_layer = 0;
  int64_t n_head = 0;
  int64_t n_head_kv = 0;
  int64_t n_ff = 0;
  std::string tokenizer_model;  // tokenizer.ggml.model ("gpt2", "llama", ...)
  int64_t n_vocab = 0;          // entries of tokenizer.ggml.tokens
  bool has_chat_template = false;
};

ModelInfo describe_model(const model::GgufFile& file);

// llama.cpp's name for a general.file_type value ("Q4_K_M"); "" for unknown ids.
// ref: llama.cpp include/llama.h, enum llama_ftype
std::string file_type_label(int64_t file_type_id);

}  // namespace hearth::store
