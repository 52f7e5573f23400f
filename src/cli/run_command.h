// `hearth run --model FILE "prompt"`: generate to the terminal, the quickest
// way to see the engine work.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace hearth::cli {

void add_run_command(CLI::App& app, std::function<int()>& run);

}  // namespace hearth::cli
