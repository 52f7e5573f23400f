#include "infer/llama_model.h"

#include <utility>

namespace hearth::infer {

Result<std::unique_ptr<LlamaModel>> LlamaModel::load(const std::string& path) {
  HEARTH_ASSIGN_OR_RETURN(model::GgufFile file, model::GgufFile::open(path));
  return from(std::move(file));
}

Result<std::unique_ptr<LlamaModel>> LlamaModel::from(model::GgufFile&& file) {
  auto loaded = std::make_unique<LlamaModel>(ConstructionKey(), std::move(file));
  HEARTH_ASSIGN_OR_RETURN(loaded->config_, model::read_llama_config(loaded->file_));
  HEARTH_ASSIGN_OR_RETURN(loaded->weights_, model::bind_llama_weights(loaded->file_, loaded->config_));
  return loaded;
}

}  // namespace hearth::infer
