// Whether hearth can run a GGUF file, as `hearth models inspect` reports it:
// the family the registry has for its general.architecture (or none), and
// whether the family's config keys read and its tensor list binds.
#pragma once

#include <string>

#include "base/status.h"
#include "model/arch/arch_spec.h"
#include "model/gguf.h"

namespace hearth::model {

struct FamilySupport {
  std::string architecture;        // general.architecture as the file states it; "" when absent or not a string
  const ArchSpec* spec = nullptr;  // nullptr: no registered family
  // ok: hearth runs the file; otherwise why not (an unknown family, a bad key, a missing tensor, ...).
  Status runnable;
};

FamilySupport check_family_support(const GgufFile& file);

}  // namespace hearth::model
