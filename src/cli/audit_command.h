// `hearth audit egress [--since 2026-11-01|2026-11-01T10:00:00Z|24h|7d]
// [--key NAME] [--json]`: every request that left the boundary, from the
// egress ledger in hearth.db (ledger/egress_ledger.h), with totals. The
// default start is the first of this month (UTC), so the total is the month's
// cloud spend so far. Takes `--state-dir DIR` (cli/state_db.h).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace hearth::cli {

// Registers the subcommand on `app`; `run` is set to its action.
void add_audit_command(CLI::App& app, std::function<int()>& run);

}  // namespace hearth::cli
