#include "ledger/cost_report.h"

#include <chrono>
#include <cstdio>
#include <map>

#include "ledger/cost_math.h"

namespace hearth::ledger {
namespace {

struct Sums {
  UsageTotals local;
  int64_t cloud_requests = 0;
  int64_t cloud_prompt_tokens = 0;
  int64_t cloud_completion_tokens = 0;
  int64_t cloud_spend_udollars = 0;

  void add(const EgressGroup& group) {
    cloud_requests += group.n_requests;
    cloud_prompt_tokens += group.prompt_tokens;
    cloud_completion_tokens += group.completion_tokens;
    cloud_spend_udollars += group.cost_udollars;
  }
};

CostLine price_line(std::string name, const Sums& sums, const CostSettings& settings, bool within_life) {
  CostLine line;
  line.name = std::move(name);
  line.local = sums.local;
  line.cloud_requests = sums.cloud_requests;
  line.cloud_prompt_tokens = sums.cloud_prompt_tokens;
  line.cloud_completion_tokens = sums.cloud_completion_tokens;
  line.cloud_spend_udollars = sums.cloud_spend_udollars;

  PicoDollars capex_pd = 0;
  PicoDollars energy_pd = 0;
  if (settings.hardware) {
    const OwnedHardware& hardware = *settings.hardware;
    if (within_life) capex_pd = capex_share_pd(hardware.purchase_udollars, hardware.life_months, sums.local.wall_us);
    energy_pd =
        measured_energy_cost_pd(sums.local.measured_energy_uj, settings.kwh_udollars) +
        energy_cost_pd(hardware.watts_load_mw, sums.local.wall_us - sums.local.measured_wall_us, settings.kwh_udollars);
  }
  const PicoDollars local_pd = capex_pd + energy_pd;
  line.local_capex_udollars = to_udollars(capex_pd);
  line.local_energy_udollars = to_udollars(energy_pd);
  line.local_cost_udollars = to_udollars(local_pd);
  const int64_t n_tokens = sums.local.prompt_tokens + sums.local.completion_tokens;
  if (n_tokens > 0) line.local_per_mtok_udollars = per_mtok_udollars(local_pd, n_tokens);

  for (const CloudPrice& price : settings.clouds) {
    const PicoDollars cloud_pd = cloud_cost_pd(sums.local.prompt_tokens, sums.local.completion_tokens,
                                               price.input_udollars_per_mtok, price.output_udollars_per_mtok);
    line.counterfactual.push_back({price.name, to_udollars(cloud_pd), to_udollars(cloud_pd - local_pd)});
  }
  if (settings.gpu_hourly_udollars) {
    const PicoDollars rent_pd = rent_cost_pd(*settings.gpu_hourly_udollars, sums.local.wall_us);
    line.counterfactual.push_back({std::string(kRentedGpuName), to_udollars(rent_pd), to_udollars(rent_pd - local_pd)});
  }
  return line;
}

std::vector<CostLine> price_lines(const std::map<std::string, Sums>& groups, const CostSettings& settings,
                                  bool within_life) {
  std::vector<CostLine> lines;
  for (const auto& [name, sums] : groups) lines.push_back(price_line(name, sums, settings, within_life));
  return lines;
}

// The first instant after `months` months from `unix_ms` (same day of month, clamped to the month's last day).
int64_t add_months(int64_t unix_ms, int64_t months) {
  using namespace std::chrono;
  const sys_days day = floor<days>(sys_time<milliseconds>{milliseconds(unix_ms)});
  const year_month_day date{day};
  year_month_day later = date + std::chrono::months(months);
  if (!later.ok()) later = later.year() / later.month() / std::chrono::last;
  const milliseconds time_of_day = milliseconds(unix_ms) - duration_cast<milliseconds>(day.time_since_epoch());
  return duration_cast<milliseconds>(sys_days{later}.time_since_epoch() + time_of_day).count();
}

}  // namespace

Result<UtcMonth> parse_utc_month(std::string_view text) {
  using namespace std::chrono;
  const auto invalid = [&] {
    // Appended, not "'" + std::string(text): GCC 12 warns (-Wrestrict) on that form.
    std::string message(1, '\'');
    message.append(text);
    message.append("' is not a month like 2026-11");
    return invalid_argument_error(std::move(message));
  };
  if (text.size() != 7 || text[4] != '-') return invalid();
  int year_number = 0;
  int month_number = 0;
  for (size_t pos = 0; pos < 7; ++pos) {
    if (pos == 4) continue;
    if (text[pos] < '0' || text[pos] > '9') return invalid();
    (pos < 4 ? year_number : month_number) = (pos < 4 ? year_number : month_number) * 10 + (text[pos] - '0');
  }
  if (year_number < 1970 || month_number < 1 || month_number > 12) return invalid();
  const sys_days first{year{year_number} / month{static_cast<unsigned>(month_number)} / 1};
  return utc_month_containing(duration_cast<milliseconds>(first.time_since_epoch()).count());
}

std::string format_utc_month(int64_t unix_ms) {
  using namespace std::chrono;
  const year_month_day date{floor<days>(sys_time<milliseconds>{milliseconds(unix_ms)})};
  char text[16];
  std::snprintf(text, sizeof(text), "%04d-%02u", static_cast<int>(date.year()), static_cast<unsigned>(date.month()));
  return text;
}

Result<CostReport> build_cost_report(UsageLedger& usage, EgressLedger& egress, const CostSettings& settings,
                                     const UtcMonth& month) {
  HEARTH_ASSIGN_OR_RETURN(const std::vector<UsageGroup> local, usage.groups(month.start_unix_ms, month.end_unix_ms));
  HEARTH_ASSIGN_OR_RETURN(const std::vector<EgressGroup> cloud, egress.groups(month.start_unix_ms, month.end_unix_ms));

  CostReport report;
  report.month = format_utc_month(month.start_unix_ms);
  report.range = month;
  report.hardware_configured = settings.hardware.has_value();
  if (settings.hardware) {
    const OwnedHardware& hardware = *settings.hardware;
    report.within_life = hardware.purchase_unix_ms == 0 ||
                         (hardware.purchase_unix_ms < month.end_unix_ms &&
                          add_months(hardware.purchase_unix_ms, hardware.life_months) > month.start_unix_ms);
    if (report.within_life) {
      report.month_capex_udollars = static_cast<int64_t>(
          divide_round_half_up(PicoDollars{hardware.purchase_udollars}, PicoDollars{hardware.life_months}));
    }
  }

  Sums total;
  std::map<std::string, Sums> by_model;
  std::map<std::string, Sums> by_key;
  std::map<std::string, Sums> by_node;
  for (const UsageGroup& group : local) {
    total.local += group.totals;
    by_model[group.model].local += group.totals;
    by_key[group.key_name].local += group.totals;
    by_node[group.node].local += group.totals;
  }
  for (const EgressGroup& group : cloud) {
    total.add(group);
    by_model[group.model].add(group);
    by_key[group.key_name].add(group);
  }
  report.total = price_line("total", total, settings, report.within_life);
  report.by_model = price_lines(by_model, settings, report.within_life);
  report.by_key = price_lines(by_key, settings, report.within_life);
  report.by_node = price_lines(by_node, settings, report.within_life);
  return report;
}

}  // namespace hearth::ledger
