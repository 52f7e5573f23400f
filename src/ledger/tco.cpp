#include "ledger/tco.h"

#include "ledger/cost_config.h"
#include "ledger/cost_math.h"

namespace hearth::ledger {
namespace {

Status check_range(const char* name, int64_t value, int64_t min, int64_t max) {
  if (value >= min && value <= max) return ok_status();
  return invalid_argument_error(std::string(name) + " must be from " + std::to_string(min) + " to " +
                                std::to_string(max) + ", not " + std::to_string(value));
}

PicoDollars ceil_div(PicoDollars num, PicoDollars den) { return (num + den - 1) / den; }

}  // namespace

Result<TcoResult> compute_tco(const TcoInputs& in) {
  HEARTH_RETURN_IF_ERROR(check_range("capex (micro-dollars)", in.capex_udollars, 0, kMaxPriceUdollars));
  HEARTH_RETURN_IF_ERROR(check_range("life_months", in.life_months, 1, kMaxLifeMonths));
  HEARTH_RETURN_IF_ERROR(check_range("watts_load (milliwatts)", in.watts_load_mw, 0, kMaxWattsMw));
  HEARTH_RETURN_IF_ERROR(check_range("watts_idle (milliwatts)", in.watts_idle_mw, 0, kMaxWattsMw));
  HEARTH_RETURN_IF_ERROR(check_range("kwh price (micro-dollars)", in.kwh_udollars, 0, kMaxPriceUdollars));
  HEARTH_RETURN_IF_ERROR(check_range("gpu hourly price (micro-dollars)", in.gpu_hourly_udollars, 0, kMaxPriceUdollars));
  HEARTH_RETURN_IF_ERROR(check_range("utilization (parts per million)", in.utilization_ppm, 1, kPartsPerMillion));
  if (in.tps_milli) HEARTH_RETURN_IF_ERROR(check_range("tokens per second (x1000)", *in.tps_milli, 1, kMaxTpsMilli));

  TcoResult out;
  out.inputs = in;
  // Busy microseconds per month: kMicrosPerMonth * ppm / 1e6, exact.
  const int64_t busy_us = kSecondsPerMonth * in.utilization_ppm;
  const int64_t idle_us = kMicrosPerMonth - busy_us;
  out.busy_hours_milli = static_cast<int64_t>(divide_round_half_up(PicoDollars{busy_us}, PicoDollars{3'600'000}));

  const PicoDollars capex_pd = PicoDollars{in.capex_udollars} * kPicosPerMicro;
  const PicoDollars energy_pd = energy_cost_pd(in.watts_load_mw, busy_us, in.kwh_udollars) +
                                energy_cost_pd(in.watts_idle_mw, idle_us, in.kwh_udollars);
  const PicoDollars rent_pd = rent_cost_pd(in.gpu_hourly_udollars, busy_us);
  out.capex_month_udollars = to_udollars(divide_round_half_up(capex_pd, PicoDollars{in.life_months}));
  out.energy_month_udollars = to_udollars(energy_pd);
  out.rent_month_udollars = to_udollars(rent_pd);

  for (int64_t month = 0; month <= in.life_months; ++month) {
    out.months.push_back({month, to_udollars(capex_pd + energy_pd * month), to_udollars(rent_pd * month)});
  }
  const PicoDollars owned_life = capex_pd + energy_pd * in.life_months;
  const PicoDollars rented_life = rent_pd * in.life_months;
  out.owned_life_udollars = to_udollars(owned_life);
  out.rented_life_udollars = to_udollars(rented_life);
  out.savings_life_udollars = to_udollars(rented_life - owned_life);

  if (rent_pd > energy_pd) {
    // rent * m >= capex + energy * m  <=>  m >= capex / (rent - energy)
    const PicoDollars gain_per_month = rent_pd - energy_pd;
    const int64_t month = static_cast<int64_t>(capex_pd == 0 ? 1 : ceil_div(capex_pd, gain_per_month));
    out.break_even_month = month < 1 ? 1 : month;
    // Days: capex / gain months of 30.4375 days (= kSecondsPerMonth / 86400 = 304375 / 10000).
    out.break_even_day = static_cast<int64_t>(ceil_div(capex_pd * 304'375, gain_per_month * 10'000));
    out.break_even_within_life = *out.break_even_month <= in.life_months;
  }

  if (in.tps_milli) {
    // Tokens per month = tps_milli / 1000 * busy_us / 1e6.
    const PicoDollars tokens_den = PicoDollars{1'000'000'000};
    out.tokens_month = static_cast<int64_t>(divide_round_half_up(PicoDollars{*in.tps_milli} * busy_us, tokens_den));
    // Owned per 1M tokens = (capex / life + energy) / tokens_month, in pico-dollars per token
    //                     = (capex + life * energy) * 1e9 / (life * tps_milli * busy_us).
    out.owned_per_mtok_udollars = static_cast<int64_t>(divide_round_half_up(
        (capex_pd + energy_pd * in.life_months) * tokens_den, PicoDollars{in.life_months} * *in.tps_milli * busy_us));
    // Rented per 1M tokens = hourly / (tokens per hour) * 1e6 = hourly_ud * 1e6 * 1000 / (tps_milli * 3600).
    out.rented_per_mtok_udollars = static_cast<int64_t>(
        divide_round_half_up(PicoDollars{in.gpu_hourly_udollars} * 1'000'000'000, PicoDollars{*in.tps_milli} * 3600));
  }
  return out;
}

}  // namespace hearth::ledger
