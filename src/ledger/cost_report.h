// A month's costs (`hearth costs --month 2026-11`, GET /hearth/v1/costs):
// the tokens this node served on its own hardware and what they cost (the
// purchase price amortized over the hardware's life for the wall time they
// took, plus energy), the month's cloud spend from the egress ledger, and the
// counterfactual: what the same local tokens would have cost at each
// configured per-token price list and on a GPU rented by the hour at the
// measured throughput (for the same wall time). Totals, per model, per key,
// per node. Amounts follow ledger/cost_math.h's rounding rules: each line is
// priced from its summed usage, so every figure is rounded once.
//
//   HEARTH_ASSIGN_OR_RETURN(UtcMonth month, parse_utc_month("2026-11"));
//   HEARTH_ASSIGN_OR_RETURN(CostReport report, build_cost_report(usage, egress, settings, month));
//
// Wall time is per request: requests that ran at the same time in one batch
// each count their full wall time, so on a busy node the local cost and the
// rented-GPU counterfactual are upper bounds (docs/costs.md).
//
// Thread-safety: build_cost_report reads through the ledgers (any thread).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "ledger/cost_config.h"
#include "ledger/egress_ledger.h"
#include "ledger/usage_ledger.h"

namespace hearth::ledger {

inline constexpr std::string_view kRentedGpuName = "rented-gpu";

// What the report prices with: [costs] (ledger/cost_config.h) and the price lists.
struct CostSettings {
  std::optional<OwnedHardware> hardware;
  int64_t kwh_udollars = 0;
  std::optional<int64_t> gpu_hourly_udollars;
  std::vector<CloudPrice> clouds;  // the gateway's providers, then [[costs.compare]]
};

struct Counterfactual {
  std::string name;              // a CloudPrice's name, or kRentedGpuName
  int64_t cost_udollars = 0;     // the local tokens (or wall time) at that price
  int64_t savings_udollars = 0;  // cost - local cost (negative: the cloud would have been cheaper)
};

struct CostLine {
  std::string name;  // the model, the key ("" for requests without one), the node, or "total"
  UsageTotals local;
  int64_t local_capex_udollars = 0;
  int64_t local_energy_udollars = 0;
  int64_t local_cost_udollars = 0;                 // capex + energy, rounded once
  std::optional<int64_t> local_per_mtok_udollars;  // per 1M tokens in + out; nullopt without tokens
  int64_t cloud_requests = 0;
  int64_t cloud_prompt_tokens = 0;
  int64_t cloud_completion_tokens = 0;
  int64_t cloud_spend_udollars = 0;
  std::vector<Counterfactual> counterfactual;  // one per CloudPrice, then the rented GPU when configured
};

struct CostReport {
  std::string month;  // "2026-11"
  UtcMonth range;
  bool hardware_configured = false;
  // Whether the month overlaps [purchase_date, purchase_date + life_months):
  // outside it the hardware carries no capex (not yet bought, or paid off).
  bool within_life = false;
  int64_t month_capex_udollars = 0;  // purchase / life_months when within life: the month's amortization
  CostLine total;
  std::vector<CostLine> by_model;  // local model ids and cloud model names, sorted
  std::vector<CostLine> by_key;
  std::vector<CostLine> by_node;  // local rows only
};

// "YYYY-MM" (1970-01 .. 9999-12) as its UTC range; kInvalidArgument otherwise.
Result<UtcMonth> parse_utc_month(std::string_view text);
// "YYYY-MM" of the month holding `unix_ms`.
std::string format_utc_month(int64_t unix_ms);

Result<CostReport> build_cost_report(UsageLedger& usage, EgressLedger& egress, const CostSettings& settings,
                                     const UtcMonth& month);

}  // namespace hearth::ledger
