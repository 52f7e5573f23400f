// `hearth synth --shape NAME --type TYPE -o FILE`: write a random-weight model.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace hearth::cli {

// Registers the subcommand on `app`; `run` is set to its action.
void add_synth_command(CLI::App& app, std::function<int()>& run);

}  // namespace hearth::cli
