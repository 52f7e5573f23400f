#include "cli/models_dir.h"

#include <cstdlib>

namespace hearth::cli {

Result<std::string> resolve_models_dir(const std::string& flag_value) {
  if (!flag_value.empty()) return flag_value;
  const char* from_env = std::getenv("HEARTH_MODELS");
  if (from_env != nullptr && from_env[0] != '\0') return std::string(from_env);
  const char* home = std::getenv("HOME");
  if (home == nullptr || home[0] == '\0') {
    return invalid_argument_error("HOME is not set: name the models directory with --models-dir or $HEARTH_MODELS");
  }
  return std::string(home) + kDefaultModelsSubdir;
}

}  // namespace hearth::cli
