// `hearth models list|inspect|pull|rm`: the local model store (store/) that
// `hearth serve` reads.
//
//   hearth models pull /mnt/nas/models/qwen2.5-0.5b-q8_0.gguf      # from the NAS mount
//   hearth models pull https://nas.local/models/x.gguf --sha256 HEX --name x
//   hearth models list [--json]
//   hearth models inspect x              # or a path to any GGUF file
//   hearth models rm x
//
// Every command takes --models-dir (default: $HEARTH_MODELS, then
// ~/.local/share/hearth/models). Errors are one sentence on stderr, exit code 1.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace hearth::cli {

// Registers the subcommand on `app`; `run` is set to its action.
void add_models_command(CLI::App& app, std::function<int()>& run);

}  // namespace hearth::cli
