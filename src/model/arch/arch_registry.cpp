#include "model/arch/arch_registry.h"

#include <array>

#include "model/arch/families.h"

namespace hearth::model {
namespace {

// Adding a family: its description file, one line here, one in families.h.
const std::array<const ArchSpec*, 8>& registry() {
  static const std::array<const ArchSpec*, 8> families = {&llama_arch(),    &qwen2_arch(),  &qwen3_arch(),
                                                          &qwen3moe_arch(), &gemma2_arch(), &gemma3_arch(),
                                                          &phi3_arch(),    &bert_arch()};
  return families;
}

}  // namespace

const ArchSpec* find_arch(std::string_view name) {
  for (const ArchSpec* spec : registry()) {
    if (spec->name == name) return spec;
  }
  return nullptr;
}

std::span<const ArchSpec* const> all_archs() { return registry(); }

std::string arch_names() {
  std::string names;
  for (const ArchSpec* spec : registry()) names += (names.empty() ? "" : ", ") + std::string(spec->name);
  return names;
}

Capabilities model_capabilities(const LlamaConfig& config) {
  // llama.cpp's pooling_type 4 (rank): a cross-encoder's classification head.
  if (config.pooling == 4) return capability_bit(Capability::kRerank);
  if (config.pooling != 0) return capability_bit(Capability::kEmbed);
  return find_arch(config.arch)->capabilities;
}

}  // namespace hearth::model
