// LlamaModel: a loaded llama-family model (the GGUF mapping, its config and
// its bound weights), immutable after load and shared by every InferContext
// that runs it.
//
//   HEARTH_ASSIGN_OR_RETURN(auto model, LlamaModel::load("model.gguf"));
//   InferContext ctx(*model, 4096, pool);
//
// Thread-safety: const after load; any number of contexts may read it.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "model/gguf.h"
#include "model/llama_arch.h"
#include "tensor/packed_weights.h"

namespace hearth::infer {

class LlamaModel {
 public:
  // Maps and validates the file: config, then every tensor's shape and type.
  // Layer matrices whose type has a faster interleaved kernel on this CPU
  // (tensor::packing_pays: Q4_0 and Q8_0 on AVX2 / AVX-512) are repacked into
  // heap memory of the same size and their mapped pages are dropped, so the
  // resident weights stay the file's tensor bytes (the planner's number);
  // token_embd and output stay mapped (row lookups, one-row products).
  // repack = false keeps every matrix mapped in GGUF's layout (benchmarks: A/B).
  static Result<std::unique_ptr<LlamaModel>> load(const std::string& path, bool repack = true);
  static Result<std::unique_ptr<LlamaModel>> from(model::GgufFile&& file, bool repack = true);

  // Only load()/from() can make the key: a model is always fully bound.
  class ConstructionKey {
    friend class LlamaModel;
    ConstructionKey() = default;
  };
  LlamaModel(ConstructionKey, model::GgufFile&& file) : file_(std::move(file)) {}
  LlamaModel(const LlamaModel&) = delete;
  LlamaModel& operator=(const LlamaModel&) = delete;

  const model::GgufFile& file() const { return file_; }
  const model::LlamaConfig& config() const { return config_; }
  const model::LlamaWeights& weights() const { return weights_; }
  // Bytes of the repacked matrices (held on the heap instead of the mapping).
  int64_t packed_bytes() const;

 private:
  // Weights point into file_'s mapping, so file_ never moves once bound
  // (LlamaModel lives behind a unique_ptr and is not movable).
  model::GgufFile file_;
  model::LlamaConfig config_;
  model::LlamaWeights weights_;
  // Owners of the repacked matrices weights_ points into.
  std::vector<tensor::PackedWeights> packed_;

  void repack_weights();
};

}  // namespace hearth::infer
