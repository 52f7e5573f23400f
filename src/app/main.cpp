// hearth: one binary for every box of the shop. main only hands argv to the CLI.
#include "cli/cli.h"

int main(int argc, char** argv) { return hearth::cli::run_cli(argc, argv); }
