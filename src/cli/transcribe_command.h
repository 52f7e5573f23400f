// `hearth transcribe --model FILE AUDIO.wav`: speech to text with a Whisper
// model on this machine, segments with timestamps to stdout (or --json with
// timings, the benchmark's input).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace hearth::cli {

// Registers the subcommand on `app`; `run` is set to its action.
void add_transcribe_command(CLI::App& app, std::function<int()>& run);

}  // namespace hearth::cli
