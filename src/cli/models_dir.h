// The models directory the commands share: `--models-dir`, else
// $HEARTH_MODELS, else $HOME/.local/share/hearth/models (the order
// `hearth serve` uses; its config file's models_dir sits between the
// environment and the default there).
#pragma once

#include <string>

#include "base/status.h"

namespace hearth::cli {

inline constexpr const char* kDefaultModelsSubdir = "/.local/share/hearth/models";

// kInvalidArgument when neither the flag, $HEARTH_MODELS nor $HOME gives a directory.
Result<std::string> resolve_models_dir(const std::string& flag_value);

}  // namespace hearth::cli
