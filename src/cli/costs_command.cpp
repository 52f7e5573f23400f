#include "cli/costs_command.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "api/costs_json.h"
#include "base/clock.h"
#include "base/money.h"
#include "cli/config_file.h"
#include "cli/state_db.h"
#include "ledger/cost_report.h"

namespace hearth::cli {
namespace {

struct CostsArgs {
  std::string month;  // empty: this month (UTC)
  std::string config_path;
  std::string state_dir;
  bool json = false;
};

int fail(const std::string& message) {
  std::fprintf(stderr, "hearth costs: %s\n", message.c_str());
  return 1;
}

std::string usd(int64_t udollars) { return format_usd(udollars); }

std::string printable(const std::string& text) {
  std::string shown = text;
  for (char& ch : shown) {
    if (ch < 0x20 || ch > 0x7e) ch = '?';
  }
  return shown;
}

void print_lines(const char* title, const std::vector<ledger::CostLine>& lines, const ledger::CostSettings& settings) {
  if (lines.empty()) return;
  std::vector<std::string> header = {title,       "req local", "tokens in", "tokens out",
                                     "local USD", "cloud req", "cloud USD"};
  for (const ledger::CloudPrice& price : settings.clouds) header.push_back("at " + price.name);
  if (settings.gpu_hourly_udollars) header.push_back("at " + std::string(ledger::kRentedGpuName));
  std::vector<std::vector<std::string>> rows;
  for (const ledger::CostLine& line : lines) {
    std::vector<std::string> row = {line.name.empty() ? "(no key)" : printable(line.name),
                                    std::to_string(line.local.n_requests),
                                    std::to_string(line.local.prompt_tokens),
                                    std::to_string(line.local.completion_tokens),
                                    usd(line.local_cost_udollars),
                                    std::to_string(line.cloud_requests),
                                    usd(line.cloud_spend_udollars)};
    for (const ledger::Counterfactual& entry : line.counterfactual) row.push_back(usd(entry.cost_udollars));
    rows.push_back(std::move(row));
  }
  std::vector<size_t> widths(header.size());
  for (size_t column = 0; column < header.size(); ++column) {
    widths[column] = header[column].size();
    for (const auto& row : rows) widths[column] = std::max(widths[column], row[column].size());
  }
  const auto print_row = [&](const std::vector<std::string>& row) {
    std::string text;
    for (size_t column = 0; column < row.size(); ++column) {
      const std::string pad(widths[column] - row[column].size(), ' ');
      if (column > 0) text += "  ";
      text += column == 0 ? row[column] + pad : pad + row[column];
    }
    std::printf("%s\n", text.c_str());
  };
  std::printf("\n");
  print_row(header);
  for (const auto& row : rows) print_row(row);
}

void print_text(const ledger::CostReport& report, const std::string& node, const ledger::CostSettings& settings,
                const std::string& db_path) {
  const ledger::CostLine& total = report.total;
  std::printf("Costs for %s (UTC) on node %s (ledger: %s)\n\n", report.month.c_str(), printable(node).c_str(),
              db_path.c_str());
  std::printf("Local:  %lld requests, %lld tokens in, %lld tokens out, %.3f s wall\n",
              static_cast<long long>(total.local.n_requests), static_cast<long long>(total.local.prompt_tokens),
              static_cast<long long>(total.local.completion_tokens), static_cast<double>(total.local.wall_us) / 1e6);
  if (!settings.hardware) {
    std::printf("        cost unknown: the config has no [costs] purchase_usd/life_months (docs/costs.md)\n");
  } else {
    std::printf("        cost USD %s (capex share %s + energy %s)", usd(total.local_cost_udollars).c_str(),
                usd(total.local_capex_udollars).c_str(), usd(total.local_energy_udollars).c_str());
    if (total.local_per_mtok_udollars)
      std::printf(", USD %s per 1M tokens", usd(*total.local_per_mtok_udollars).c_str());
    std::printf("\n        this month's amortization: USD %s%s\n", usd(report.month_capex_udollars).c_str(),
                report.within_life ? "" : " (outside the hardware's life)");
  }
  std::printf("Cloud:  %lld requests, USD %s spent\n", static_cast<long long>(total.cloud_requests),
              usd(total.cloud_spend_udollars).c_str());
  if (total.counterfactual.empty()) {
    std::printf("No prices to compare against: add [[providers]] prices, [[costs.compare]] or gpu_hourly_usd.\n");
  }
  for (const ledger::Counterfactual& entry : total.counterfactual) {
    std::printf("The local tokens at %s: USD %s (savings USD %s)\n", entry.name.c_str(),
                usd(entry.cost_udollars).c_str(), usd(entry.savings_udollars).c_str());
  }
  print_lines("model", report.by_model, settings);
  print_lines("key", report.by_key, settings);
}

int run_costs(const CostsArgs& args) {
  HearthConfig config;
  if (!args.config_path.empty()) {
    const char* home = std::getenv("HOME");
    Result<HearthConfig> loaded = load_hearth_config(args.config_path, home == nullptr ? "" : home);
    if (!loaded.ok()) return fail(loaded.status().message());
    config = std::move(loaded).value();
  }
  const ledger::CostSettings settings = cost_settings(config);
  const std::string node = node_name(config.costs);
  Result<ledger::UtcMonth> month = ledger::utc_month_containing(unix_now_ms());
  if (!args.month.empty()) {
    month = ledger::parse_utc_month(args.month);
    if (!month.ok()) return fail("--month: " + month.status().message());
  }
  Result<std::string> db_path = resolve_state_db_path(args.state_dir);
  if (!db_path.ok()) return fail(db_path.status().message());
  struct stat info {};
  // Like `hearth audit`, a report does not create the state file.
  if (::stat(db_path->c_str(), &info) != 0) return fail("no state database at " + *db_path + " (--state-dir)");
  Result<std::unique_ptr<db::Database>> db = open_state_db(*db_path);
  if (!db.ok()) return fail(db.status().message());
  Result<ledger::UsageLedger> usage = ledger::UsageLedger::open(**db);
  if (!usage.ok()) return fail(usage.status().message());
  Result<ledger::EgressLedger> egress = ledger::EgressLedger::open(**db);
  if (!egress.ok()) return fail(egress.status().message());
  Result<ledger::CostReport> report = ledger::build_cost_report(*usage, *egress, settings, *month);
  if (!report.ok()) return fail(report.status().message());
  if (args.json) {
    std::printf("%s\n", api::cost_report_json(*report, node, settings)
                            .dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
                            .c_str());
  } else {
    print_text(*report, node, settings, *db_path);
  }
  return 0;
}

}  // namespace

void add_costs_command(CLI::App& app, std::function<int()>& run) {
  auto args = std::make_shared<CostsArgs>();
  CLI::App* cmd = app.add_subcommand("costs",
                                     "A month's costs: local tokens and their cost, cloud spend, "
                                     "what the same tokens would have cost in the cloud");
  cmd->add_option("--month", args->month, "The month, e.g. 2026-11 (UTC; default: this month)");
  cmd->add_option("--config", args->config_path, "The config file with [costs] and providers' prices");
  cmd->add_option("--state-dir", args->state_dir,
                  "Where hearth.db is (default: $HEARTH_STATE_DIR, else ~/.local/share/hearth/state)");
  cmd->add_flag("--json", args->json, "Print JSON (what GET /hearth/v1/costs returns)");
  cmd->callback([&run, args] { run = [args] { return run_costs(*args); }; });
}

}  // namespace hearth::cli
