// `hearth keys create --name N --class public|internal|confidential [--rpm N]
// [--tpm N] [--monthly-cloud-budget USD]`, `hearth keys list [--json]` and
// `hearth keys revoke NAME`: the API keys in hearth.db (gateway/api_keys.h).
// create prints the secret once; nothing can print it again. All take
// `--state-dir DIR` (cli/state_db.h).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace hearth::cli {

// Registers the subcommand on `app`; `run` is set to its action.
void add_keys_command(CLI::App& app, std::function<int()>& run);

}  // namespace hearth::cli
