#include "api/costs_json.h"

#include <cstdio>

#include "api/access_log.h"

namespace hearth::api {
namespace {

nlohmann::json optional_int(const std::optional<int64_t>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

nlohmann::json line_json(const ledger::CostLine& line, bool is_key) {
  nlohmann::json counterfactual = nlohmann::json::array();
  for (const ledger::Counterfactual& entry : line.counterfactual) {
    counterfactual.push_back(
        {{"name", entry.name}, {"cost_udollars", entry.cost_udollars}, {"savings_udollars", entry.savings_udollars}});
  }
  return {{"name", is_key && line.name.empty() ? nlohmann::json(nullptr) : nlohmann::json(line.name)},
          {"local",
           {{"requests", line.local.n_requests},
            {"prompt_tokens", line.local.prompt_tokens},
            {"completion_tokens", line.local.completion_tokens},
            {"wall_us", line.local.wall_us},
            {"measured_energy_uj", line.local.measured_energy_uj},
            {"capex_udollars", line.local_capex_udollars},
            {"energy_udollars", line.local_energy_udollars},
            {"cost_udollars", line.local_cost_udollars},
            {"cost_per_mtok_udollars", optional_int(line.local_per_mtok_udollars)}}},
          {"cloud",
           {{"requests", line.cloud_requests},
            {"prompt_tokens", line.cloud_prompt_tokens},
            {"completion_tokens", line.cloud_completion_tokens},
            {"spend_udollars", line.cloud_spend_udollars}}},
          {"counterfactual", std::move(counterfactual)}};
}

nlohmann::json lines_json(const std::vector<ledger::CostLine>& lines, bool is_key) {
  nlohmann::json out = nlohmann::json::array();
  for (const ledger::CostLine& line : lines) out.push_back(line_json(line, is_key));
  return out;
}

}  // namespace

nlohmann::json cost_report_json(const ledger::CostReport& report, const std::string& node,
                                const ledger::CostSettings& settings) {
  nlohmann::json hardware = nullptr;
  if (settings.hardware) {
    const ledger::OwnedHardware& owned = *settings.hardware;
    hardware = {{"purchase_udollars", owned.purchase_udollars},
                {"purchase_date", owned.purchase_unix_ms == 0
                                      ? nlohmann::json(nullptr)
                                      : nlohmann::json(format_utc_ms(owned.purchase_unix_ms).substr(0, 10))},
                {"life_months", owned.life_months},
                {"watts_load_mw", owned.watts_load_mw},
                {"watts_idle_mw", owned.watts_idle_mw},
                {"kwh_udollars", settings.kwh_udollars},
                {"within_life", report.within_life},
                {"month_capex_udollars", report.month_capex_udollars}};
  }
  return {{"object", "hearth.costs"},
          {"month", report.month},
          {"start", format_utc_ms(report.range.start_unix_ms)},
          {"end", format_utc_ms(report.range.end_unix_ms)},
          {"node", node},
          {"hardware", std::move(hardware)},
          {"gpu_hourly_udollars", optional_int(settings.gpu_hourly_udollars)},
          {"total", line_json(report.total, false)},
          {"by_model", lines_json(report.by_model, false)},
          {"by_key", lines_json(report.by_key, true)},
          {"by_node", lines_json(report.by_node, false)}};
}

nlohmann::json tco_json(const ledger::TcoResult& tco) {
  const ledger::TcoInputs& in = tco.inputs;
  nlohmann::json months = nlohmann::json::array();
  for (const ledger::TcoMonth& month : tco.months) {
    months.push_back(
        {{"month", month.month}, {"owned_udollars", month.owned_udollars}, {"rented_udollars", month.rented_udollars}});
  }
  char busy_hours[32];
  std::snprintf(busy_hours, sizeof(busy_hours), "%lld.%03lld", static_cast<long long>(tco.busy_hours_milli / 1000),
                static_cast<long long>(tco.busy_hours_milli % 1000));
  return {{"object", "hearth.tco"},
          {"inputs",
           {{"capex_udollars", in.capex_udollars},
            {"life_months", in.life_months},
            {"watts_load_mw", in.watts_load_mw},
            {"watts_idle_mw", in.watts_idle_mw},
            {"kwh_udollars", in.kwh_udollars},
            {"gpu_hourly_udollars", in.gpu_hourly_udollars},
            {"utilization_ppm", in.utilization_ppm},
            {"tps_milli", optional_int(in.tps_milli)}}},
          {"busy_hours_per_month", busy_hours},
          {"capex_month_udollars", tco.capex_month_udollars},
          {"energy_month_udollars", tco.energy_month_udollars},
          {"rent_month_udollars", tco.rent_month_udollars},
          {"break_even_month", optional_int(tco.break_even_month)},
          {"break_even_day", optional_int(tco.break_even_day)},
          {"break_even_within_life", tco.break_even_within_life},
          {"owned_life_udollars", tco.owned_life_udollars},
          {"rented_life_udollars", tco.rented_life_udollars},
          {"savings_life_udollars", tco.savings_life_udollars},
          {"tokens_per_month", optional_int(tco.tokens_month)},
          {"owned_per_mtok_udollars", optional_int(tco.owned_per_mtok_udollars)},
          {"rented_per_mtok_udollars", optional_int(tco.rented_per_mtok_udollars)},
          {"months", std::move(months)}};
}

}  // namespace hearth::api
