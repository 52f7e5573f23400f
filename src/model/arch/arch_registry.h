// The registry of model families hearth knows, keyed by GGUF's
// "general.architecture" (model/arch/arch_spec.h says what a family describes).
//
//   const ArchSpec* spec = find_arch("qwen2");   // nullptr: not a family hearth knows
//   for (const ArchSpec* family : all_archs()) ...
//
// Thread-safety: immutable static data.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "model/arch/arch_spec.h"

namespace hearth::model {

const ArchSpec* find_arch(std::string_view name);
std::span<const ArchSpec* const> all_archs();

// "llama, qwen2": the registered names, for messages.
std::string arch_names();

// What an engine serves for a model of `config`: embed for a file that names
// a pooling (an embedding model built on a decoder family: Qwen3-Embedding),
// else its family's capabilities. Precondition: config.arch is registered
// (read_llama_config checked it).
Capabilities model_capabilities(const LlamaConfig& config);

}  // namespace hearth::model
