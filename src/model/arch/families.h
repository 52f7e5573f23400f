// The registered families' descriptions, one function per src/model/arch/<family>.cpp.
// Only arch_registry.cpp includes this; everything else asks the registry.
#pragma once

#include "model/arch/arch_spec.h"

namespace hearth::model {

const ArchSpec& llama_arch();
const ArchSpec& qwen2_arch();
const ArchSpec& qwen3_arch();
const ArchSpec& qwen3moe_arch();
const ArchSpec& gemma2_arch();
const ArchSpec& gemma3_arch();
const ArchSpec& phi3_arch();
const ArchSpec& bert_arch();

}  // namespace hearth::model
