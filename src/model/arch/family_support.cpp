#include "model/arch/family_support.h"

#include "model/arch/arch_registry.h"

namespace hearth::model {

FamilySupport check_family_support(const GgufFile& file) {
  FamilySupport support;
  if (Result<std::string_view> arch = file.get_string("general.architecture"); arch.ok()) {
    support.architecture = std::string(arch->substr(0, 64));
    support.spec = find_arch(*arch);
  }
  Result<LlamaConfig> config = read_llama_config(file);
  if (!config.ok()) {
    support.runnable = config.status();
    return support;
  }
  support.runnable = bind_llama_weights(file, *config).status();
  return support;
}

}  // namespace hearth::model
