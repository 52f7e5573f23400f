// The cost report and the TCO as JSON: GET /hearth/v1/costs and
// `hearth costs --json` / `hearth tco --json` print the same objects (the CLI
// calls these). Money is integer micro-dollars in keys ending `_udollars`
// (exact; ledger/cost_math.h's rounding rules), with no floating-point dollars.
//
//   {"object": "hearth.costs", "month": "2026-11", "start": "2026-11-01T00:00:00.000Z",
//    "end": "2026-12-01T00:00:00.000Z", "node": "core-01",
//    "hardware": null | {"purchase_udollars", "purchase_date", "life_months", "watts_load_mw",
//                        "watts_idle_mw", "kwh_udollars", "within_life", "month_capex_udollars"},
//    "gpu_hourly_udollars": null | N,
//    "total": LINE, "by_model": [LINE...], "by_key": [LINE...], "by_node": [LINE...]}
//   LINE = {"name", "local": {"requests", "prompt_tokens", "completion_tokens", "wall_us",
//           "measured_energy_uj", "capex_udollars", "energy_udollars", "cost_udollars",
//           "cost_per_mtok_udollars" (null without tokens)},
//           "cloud": {"requests", "prompt_tokens", "completion_tokens", "spend_udollars"},
//           "counterfactual": [{"name", "cost_udollars", "savings_udollars"}...]}
//   ("name" of a key line is null for requests without a key.)
//
//   {"object": "hearth.tco", "inputs": {...}, "busy_hours_per_month", "capex_month_udollars",
//    "energy_month_udollars", "rent_month_udollars", "break_even_month", "break_even_day",
//    "break_even_within_life", "owned_life_udollars", "rented_life_udollars", "savings_life_udollars",
//    "tokens_per_month", "owned_per_mtok_udollars", "rented_per_mtok_udollars",
//    "months": [{"month", "owned_udollars", "rented_udollars"}...]}
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "ledger/cost_report.h"
#include "ledger/tco.h"

namespace hearth::api {

nlohmann::json cost_report_json(const ledger::CostReport& report, const std::string& node,
                                const ledger::CostSettings& settings);
nlohmann::json tco_json(const ledger::TcoResult& tco);

}  // namespace hearth::api
