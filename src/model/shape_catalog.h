// Published dimensions of real models, so hearth can synthesize random-weight
// stand-ins (and later plan memory) without downloading anything.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "model/llama_arch.h"

namespace hearth::model {

struct ModelShape {
  std::string_view name;       // "llama-3.2-1b"
  std::string_view source;     // where the dimensions come from
  std::string_view tokenizer;  // synthetic tokenizer style: "llama3", "chatml" or "spm"
  LlamaConfig config;          // n_vocab included; arch a registered family
};

std::span<const ModelShape> shape_catalog();
const ModelShape* find_shape(std::string_view name);  // nullptr when unknown

}  // namespace hearth::model
