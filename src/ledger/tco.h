// Total cost of ownership: owned hardware (bought once, powered) against a
// GPU rented by the hour for the same hours of work, month by month over
// the hardware's life. `hearth tco` prints it; docs/costs.md works the
// story's example through (a USD 4,500 Mac Studio against a USD 3/h GPU).
//
//   TcoInputs in{.capex_udollars = 4'500'000'000, .life_months = 48, .watts_load_mw = 60'000,
//                .watts_idle_mw = 60'000, .kwh_udollars = 300'000, .gpu_hourly_udollars = 3'000'000};
//   HEARTH_ASSIGN_OR_RETURN(TcoResult out, compute_tco(in));   // out.break_even_month == 3
//
// The model: the work runs `utilization` of every month (busy hours =
// 730.5 h * utilization). Owned: the purchase price at month 0, then each
// month's energy (watts_load over busy hours, watts_idle over the rest).
// Rented: the hourly price over the busy hours only (an instance rented
// exactly when there is work; at utilization 1 it runs 24/7). Amounts follow
// ledger/cost_math.h's rounding rules.
//
// Thread-safety: pure function.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "base/status.h"

namespace hearth::ledger {

inline constexpr int64_t kPartsPerMillion = 1'000'000;
inline constexpr int64_t kMaxTpsMilli = 1'000'000'000;  // a million tokens per second

struct TcoInputs {
  int64_t capex_udollars = 0;                  // >= 0
  int64_t life_months = 0;                     // 1..kMaxLifeMonths
  int64_t watts_load_mw = 0;                   // 0..kMaxWattsMw
  int64_t watts_idle_mw = 0;                   // 0..kMaxWattsMw
  int64_t kwh_udollars = 0;                    // 0..kMaxPriceUdollars
  int64_t gpu_hourly_udollars = 0;             // 0..kMaxPriceUdollars
  int64_t utilization_ppm = kPartsPerMillion;  // share of each month at work: 1..1,000,000
  std::optional<int64_t> tps_milli;            // throughput (tokens/s * 1000), both ways; 1..kMaxTpsMilli
};

// Cumulative cost at the end of month `month` (0: the day of purchase).
struct TcoMonth {
  int64_t month = 0;
  int64_t owned_udollars = 0;
  int64_t rented_udollars = 0;
};

struct TcoResult {
  TcoInputs inputs;
  int64_t busy_hours_milli = 0;       // per month, hours * 1000
  int64_t capex_month_udollars = 0;   // capex / life: the amortization per month
  int64_t energy_month_udollars = 0;  // owned hardware's electricity per month
  int64_t rent_month_udollars = 0;    // the rented GPU per month
  // First month at whose end renting has cost at least as much as owning;
  // nullopt when renting never catches up (rent per month <= energy per month).
  std::optional<int64_t> break_even_month;
  std::optional<int64_t> break_even_day;  // the day (from purchase, 30.4375-day months), rounded up
  bool break_even_within_life = false;
  int64_t owned_life_udollars = 0;    // capex + life * energy
  int64_t rented_life_udollars = 0;   // life * rent
  int64_t savings_life_udollars = 0;  // rented - owned (negative: renting is cheaper)
  // With a throughput: tokens per month and the cost per 1M tokens each way
  // (owned: (amortization + energy) per month / tokens per month; rented:
  // hourly price / tokens per hour).
  std::optional<int64_t> tokens_month;  // rounded half up
  std::optional<int64_t> owned_per_mtok_udollars;
  std::optional<int64_t> rented_per_mtok_udollars;
  std::vector<TcoMonth> months;  // 0..life_months
};

// kInvalidArgument naming the input ("life_months must be ...") when one is
// out of its range.
Result<TcoResult> compute_tco(const TcoInputs& inputs);

}  // namespace hearth::ledger
