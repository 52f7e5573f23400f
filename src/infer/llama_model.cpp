#include "infer/llama_model.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <utility>

namespace hearth::infer {

Result<std::unique_ptr<LlamaModel>> LlamaModel::load(const std::string& path, bool repack) {
  HEARTH_ASSIGN_OR_RETURN(model::GgufFile file, model::GgufFile::open(path));
  return from(std::move(file), repack);
}

Result<std::unique_ptr<LlamaModel>> LlamaModel::from(model::GgufFile&& file, bool repack) {
  auto loaded = std::make_unique<LlamaModel>(ConstructionKey(), std::move(file));
  HEARTH_ASSIGN_OR_RETURN(loaded->config_, model::read_llama_config(loaded->file_));
  HEARTH_ASSIGN_OR_RETURN(loaded->weights_, model::bind_llama_weights(loaded->file_, loaded->config_));
  if (repack) loaded->repack_weights();
  return loaded;
}

int64_t LlamaModel::packed_bytes() const {
  int64_t n_bytes = 0;
  for (const tensor::PackedWeights& packed : packed_) n_bytes += packed.n_bytes();
  return n_bytes;
}

void LlamaModel::repack_weights() {
  const uintptr_t page_bytes = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  for (model::LlamaLayerWeights& layer : weights_.layers) {
    for (tensor::WeightView* view : {&layer.wq, &layer.wk, &layer.wv, &layer.wo, &layer.w_gate, &layer.w_up,
                                     &layer.w_down, &layer.w_qkv, &layer.w_gate_up}) {
      if (view->data == nullptr || !tensor::packing_pays(view->dtype)) continue;
      packed_.push_back(tensor::PackedWeights::pack(*view));
      if (file_.is_mapped()) {
        // The packed copy replaces the mapped tensor: drop the pages wholly
        // inside it from this process (the page cache keeps them for others).
        const auto begin = reinterpret_cast<uintptr_t>(view->data);
        const uintptr_t end = begin + static_cast<uintptr_t>(tensor::row_bytes(view->dtype, view->n_cols) * view->n_rows);
        const uintptr_t first_page = (begin + page_bytes - 1) / page_bytes * page_bytes;
        const uintptr_t last_page = end / page_bytes * page_bytes;
        if (last_page > first_page) {
          ::madvise(reinterpret_cast<void*>(first_page), last_page - first_page, MADV_DONTNEED);
        }
      }
      *view = packed_.back().view();
    }
  }
}

}  // namespace hearth::infer
