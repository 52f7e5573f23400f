// The exact arithmetic behind every cost hearth reports: what owned hardware
// costs for a stretch of wall time (amortized purchase price and energy),
// what the same tokens cost at a cloud provider's per-token prices, and what
// the same wall time costs on a GPU rented by the hour. Integers only.
//
// Units and rounding rules (docs/costs.md works examples through):
// - Inputs: money in micro-dollars (base/money.h), power in milliwatts, time
//   in microseconds, energy in microjoules, prices per 1M tokens and per kWh
//   and per hour in micro-dollars.
// - A month is 1/12 of a 365.25-day year: kSecondsPerMonth = 2,629,800 s
//   (730.5 hours), for amortization and for "per month" figures.
// - Each formula is computed exactly in 128-bit integers and rounded ONCE to
//   the pico-dollar (1e-12 USD, type PicoDollars), half up. Amounts are summed
//   in pico-dollars; a reported amount is that sum rounded to the micro-dollar,
//   half up (away from zero for negatives). So a total is computed from exact
//   parts, and may differ from the sum of its rounded lines by under one
//   micro-dollar per line.
// - A rate per 1M tokens is (amount in pico-dollars) / tokens, rounded half up
//   to the micro-dollar: pico-dollars per token are micro-dollars per 1M tokens.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>

namespace hearth::ledger {

__extension__ typedef __int128 PicoDollars;  // 1e-12 USD; __extension__: GCC's 128-bit integer under -pedantic

inline constexpr int64_t kSecondsPerMonth = 2'629'800;  // 365.25 * 24 * 3600 / 12
inline constexpr int64_t kMicrosPerMonth = kSecondsPerMonth * 1'000'000;
inline constexpr PicoDollars kPicosPerMicro = 1'000'000;

// num / den rounded to the nearest integer, halves away from zero. den > 0.
PicoDollars divide_round_half_up(PicoDollars num, PicoDollars den);

// Energy at a constant draw: watts_mw * wall_us * kwh_udollars / 3.6e9 pico-dollars
// (mW * us = 1e-9 J; 1 kWh = 3.6e6 J).
PicoDollars energy_cost_pd(int64_t watts_mw, int64_t wall_us, int64_t kwh_udollars);
// Energy measured in microjoules: energy_uj * kwh_udollars / 3.6e6 pico-dollars.
PicoDollars measured_energy_cost_pd(int64_t energy_uj, int64_t kwh_udollars);
// The purchase price spread evenly over `life_months` months of wall time:
// capex_udollars * wall_us / (life_months * kSecondsPerMonth) pico-dollars. life_months > 0.
PicoDollars capex_share_pd(int64_t capex_udollars, int64_t life_months, int64_t wall_us);
// Tokens at per-1M-token prices: prompt * input + completion * output pico-dollars (exact).
PicoDollars cloud_cost_pd(int64_t prompt_tokens, int64_t completion_tokens, int64_t input_udollars_per_mtok,
                          int64_t output_udollars_per_mtok);
// Wall time on a GPU rented by the hour: hourly_udollars * wall_us / 3600 pico-dollars.
PicoDollars rent_cost_pd(int64_t hourly_udollars, int64_t wall_us);

// Rounded half up to micro-dollars; saturates at the int64 range (inputs
// within the config's limits never come near it).
int64_t to_udollars(PicoDollars amount);
// Micro-dollars per 1M tokens: amount / tokens rounded half up. tokens > 0.
int64_t per_mtok_udollars(PicoDollars amount, int64_t tokens);

}  // namespace hearth::ledger
