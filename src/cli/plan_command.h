// `hearth plan MODEL.gguf | --shape NAME [--type T] [--ctx N] [--parallel N]
// [--machine PROFILE] [--json]`: how much memory the model needs on hearth's
// engine, whether it fits the box, the largest context and best quantization
// that fit and the decode speed bound. `--all` lists every catalog shape and
// type for the machine.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace hearth::cli {

// Registers the subcommand on `app`; `run` is set to its action.
void add_plan_command(CLI::App& app, std::function<int()>& run);

}  // namespace hearth::cli
