// `hearth batch`: OpenAI batch jobs on a hearth server (the Files and Batches
// APIs, docs/batch.md), through the project's HTTP client (net/http_request.h).
//
//   hearth batch submit FILE.jsonl --model M [--window 22:00-06:00] [--wait]
//   hearth batch status ID [--wait]       # a progress bar and ETA on a terminal
//   hearth batch cancel ID
//   hearth batch results ID [-o FILE] [--errors]
//
// The server is --url (default $HEARTH_URL, else http://127.0.0.1:8770); the
// key is $HEARTH_API_KEY or --api-key. Errors are one sentence on stderr and
// exit status 1; a server's error says what the server said.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace hearth::cli {

void add_batch_command(CLI::App& app, std::function<int()>& run);

}  // namespace hearth::cli
