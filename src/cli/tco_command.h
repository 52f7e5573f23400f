// `hearth tco --capex 4500 --life-months 48 --watts 60 --kwh 0.30 --gpu-hourly 3
// [--idle-watts W] [--utilization 0.5] [--tps 30] [--json] [--svg FILE]`:
// owned hardware against a GPU rented for the same hours (ledger/tco.h):
// monthly figures, the break-even month and day, the totals over the life,
// cost per 1M tokens each way at --tps, and the cumulative plot as SVG.
// --idle-watts defaults to --watts (the box draws its load figure all month).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace hearth::cli {

void add_tco_command(CLI::App& app, std::function<int()>& run);

}  // namespace hearth::cli
