// `hearth costs [--month 2026-11] [--json] [--config FILE] [--state-dir DIR]`:
// this node's cost report for a month (ledger/cost_report.h) from hearth.db,
// priced by the config's [costs] and providers (cli/config_file.h): local
// tokens and their cost, cloud spend, the counterfactuals and savings, per
// model and per key. --json prints what GET /hearth/v1/costs returns.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace hearth::cli {

void add_costs_command(CLI::App& app, std::function<int()>& run);

}  // namespace hearth::cli
