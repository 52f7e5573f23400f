// `hearth serve`: the OpenAI-compatible HTTP server over every model of the
// models directory (or the files named with --model). Prints exactly one
// line to stdout once it accepts connections,
//   hearth: listening on http://127.0.0.1:8770
// logs to stderr (one JSON access-log line per request), and exits 0 after a
// graceful shutdown on SIGTERM/SIGINT.
//
// Models directory, first found: --models-dir, $HEARTH_MODELS, models_dir in
// --config FILE, ~/.local/share/hearth/models.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace hearth::cli {

void add_serve_command(CLI::App& app, std::function<int()>& run);

}  // namespace hearth::cli
