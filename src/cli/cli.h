// The `hearth` command line: parses argv and runs one subcommand.
// Errors are one plain sentence on stderr and a non-zero exit code.
#pragma once

namespace hearth::cli {

int run_cli(int argc, char** argv);

}  // namespace hearth::cli
