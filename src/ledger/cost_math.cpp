#include "ledger/cost_math.h"

#include <limits>

namespace hearth::ledger {
namespace {

int64_t saturate(PicoDollars value) {
  if (value > std::numeric_limits<int64_t>::max()) return std::numeric_limits<int64_t>::max();
  if (value < std::numeric_limits<int64_t>::min()) return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(value);
}

}  // namespace

PicoDollars divide_round_half_up(PicoDollars num, PicoDollars den) {
  if (num < 0) return -divide_round_half_up(-num, den);
  // An exact half (even den, remainder den / 2) goes up; an odd den has no exact half.
  return (num + den / 2) / den;
}

PicoDollars energy_cost_pd(int64_t watts_mw, int64_t wall_us, int64_t kwh_udollars) {
  return divide_round_half_up(PicoDollars{watts_mw} * wall_us * kwh_udollars, PicoDollars{3'600'000'000});
}

PicoDollars measured_energy_cost_pd(int64_t energy_uj, int64_t kwh_udollars) {
  return divide_round_half_up(PicoDollars{energy_uj} * kwh_udollars, PicoDollars{3'600'000});
}

PicoDollars capex_share_pd(int64_t capex_udollars, int64_t life_months, int64_t wall_us) {
  return divide_round_half_up(PicoDollars{capex_udollars} * wall_us, PicoDollars{life_months} * kSecondsPerMonth);
}

PicoDollars cloud_cost_pd(int64_t prompt_tokens, int64_t completion_tokens, int64_t input_udollars_per_mtok,
                          int64_t output_udollars_per_mtok) {
  return PicoDollars{prompt_tokens} * input_udollars_per_mtok +
         PicoDollars{completion_tokens} * output_udollars_per_mtok;
}

PicoDollars rent_cost_pd(int64_t hourly_udollars, int64_t wall_us) {
  return divide_round_half_up(PicoDollars{hourly_udollars} * wall_us, PicoDollars{3600});
}

int64_t to_udollars(PicoDollars amount) { return saturate(divide_round_half_up(amount, kPicosPerMicro)); }

int64_t per_mtok_udollars(PicoDollars amount, int64_t tokens) {
  return saturate(divide_round_half_up(amount, PicoDollars{tokens}));
}

}  // namespace hearth::ledger
