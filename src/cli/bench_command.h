// `hearth bench --model FILE [--threads N] [--json]`: prefill/decode tokens/s and the decode bound.
// `hearth bench-serving --model FILE`: the serving engine's concurrent decode rate and time to first token.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace hearth::cli {

void add_bench_command(CLI::App& app, std::function<int()>& run);

}  // namespace hearth::cli
