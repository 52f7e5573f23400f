#include "cli/version.h"

// Set by src/cli/CMakeLists.txt on this file only, so a new commit recompiles one file.
#ifndef HEARTH_VERSION
#define HEARTH_VERSION "unknown"
#endif
#ifndef HEARTH_GIT_COMMIT
#define HEARTH_GIT_COMMIT ""
#endif

namespace hearth::cli {

std::string version_text() {
  std::string text = "hearth " HEARTH_VERSION;
  const std::string commit = HEARTH_GIT_COMMIT;
  if (!commit.empty()) text += " (git " + commit + ")";
  return text;
}

std::string version_number() { return HEARTH_VERSION; }

}  // namespace hearth::cli
