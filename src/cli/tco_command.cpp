#include "cli/tco_command.h"

#include <cstdio>
#include <memory>
#include <string>

#include <cerrno>
#include <cstring>
#include "api/costs_json.h"
#include "base/money.h"
#include "cli/decimal_flag.h"
#include "cli/tco_svg.h"
#include "ledger/cost_config.h"
#include "ledger/tco.h"

namespace hearth::cli {
namespace {

struct TcoArgs {
  std::string capex;
  std::string life_months;
  std::string watts;
  std::string idle_watts;
  std::string kwh;
  std::string gpu_hourly;
  std::string utilization = "1";
  std::string tps;
  std::string svg_path;
  bool json = false;
};

int fail(const std::string& message) {
  std::fprintf(stderr, "hearth tco: %s\n", message.c_str());
  return 1;
}

Result<int64_t> usd_flag(std::string_view flag, const std::string& text) {
  Result<int64_t> parsed = parse_usd(text);
  if (!parsed.ok()) return invalid_argument_error(std::string(flag) + ": " + parsed.status().message());
  if (*parsed > ledger::kMaxPriceUdollars) {
    return invalid_argument_error(std::string(flag) + " must be at most 1000000 dollars");
  }
  return parsed;
}

Result<ledger::TcoInputs> read_inputs(const TcoArgs& args) {
  ledger::TcoInputs in;
  HEARTH_ASSIGN_OR_RETURN(in.capex_udollars, usd_flag("--capex", args.capex));
  HEARTH_ASSIGN_OR_RETURN(in.life_months,
                          parse_decimal_flag("--life-months", args.life_months, 0, 1, ledger::kMaxLifeMonths));
  HEARTH_ASSIGN_OR_RETURN(in.watts_load_mw, parse_decimal_flag("--watts", args.watts, 3, 0, ledger::kMaxWattsMw));
  in.watts_idle_mw = in.watts_load_mw;
  if (!args.idle_watts.empty()) {
    HEARTH_ASSIGN_OR_RETURN(in.watts_idle_mw,
                            parse_decimal_flag("--idle-watts", args.idle_watts, 3, 0, ledger::kMaxWattsMw));
  }
  HEARTH_ASSIGN_OR_RETURN(in.kwh_udollars, usd_flag("--kwh", args.kwh));
  HEARTH_ASSIGN_OR_RETURN(in.gpu_hourly_udollars, usd_flag("--gpu-hourly", args.gpu_hourly));
  HEARTH_ASSIGN_OR_RETURN(in.utilization_ppm,
                          parse_decimal_flag("--utilization", args.utilization, 6, 1, ledger::kPartsPerMillion));
  if (!args.tps.empty()) {
    HEARTH_ASSIGN_OR_RETURN(in.tps_milli, parse_decimal_flag("--tps", args.tps, 3, 1, ledger::kMaxTpsMilli));
  }
  return in;
}

// The whole text to `path` (created or truncated); kIo naming it and why otherwise.
Status write_file(const std::string& path, const std::string& text) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  if (file == nullptr) return io_error("cannot write " + path + ": " + std::strerror(errno));
  const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  const bool closed = std::fclose(file) == 0;
  if (!written || !closed) return io_error("cannot write " + path + ": " + std::strerror(errno));
  return ok_status();
}

std::string usd(int64_t udollars) { return "$" + format_usd(udollars); }

void print_text(const ledger::TcoResult& tco) {
  const ledger::TcoInputs& in = tco.inputs;
  std::printf("Owned: %s over %lld months; %s/month amortized.\n", usd(in.capex_udollars).c_str(),
              static_cast<long long>(in.life_months), usd(tco.capex_month_udollars).c_str());
  std::printf("Busy %lld.%03lld h of each 730.5 h month (utilization %lld.%06lld).\n",
              static_cast<long long>(tco.busy_hours_milli / 1000), static_cast<long long>(tco.busy_hours_milli % 1000),
              static_cast<long long>(in.utilization_ppm / 1'000'000),
              static_cast<long long>(in.utilization_ppm % 1'000'000));
  std::printf("Energy per month (owned): %s\n", usd(tco.energy_month_udollars).c_str());
  std::printf("Rented GPU per month:     %s\n", usd(tco.rent_month_udollars).c_str());
  if (!tco.break_even_month) {
    std::printf("Break-even: never (the rented GPU costs less per month than the owned box's electricity).\n");
  } else {
    std::printf("Break-even: month %lld (day %lld)%s.\n", static_cast<long long>(*tco.break_even_month),
                static_cast<long long>(*tco.break_even_day),
                tco.break_even_within_life ? "" : ", after the hardware's life");
  }
  std::printf("Over %lld months: owned %s, rented %s, savings %s.\n", static_cast<long long>(in.life_months),
              usd(tco.owned_life_udollars).c_str(), usd(tco.rented_life_udollars).c_str(),
              usd(tco.savings_life_udollars).c_str());
  if (tco.tokens_month) {
    std::printf("At %lld.%03lld tokens/s: %lld tokens/month; per 1M tokens: owned %s, rented %s.\n",
                static_cast<long long>(*in.tps_milli / 1000), static_cast<long long>(*in.tps_milli % 1000),
                static_cast<long long>(*tco.tokens_month), usd(*tco.owned_per_mtok_udollars).c_str(),
                usd(*tco.rented_per_mtok_udollars).c_str());
  }
}

int run_tco(const TcoArgs& args) {
  Result<ledger::TcoInputs> in = read_inputs(args);
  if (!in.ok()) return fail(in.status().message());
  Result<ledger::TcoResult> tco = ledger::compute_tco(*in);
  if (!tco.ok()) return fail(tco.status().message());
  if (!args.svg_path.empty()) {
    const Status written = write_file(args.svg_path, render_tco_svg(*tco));
    if (!written.ok()) return fail("--svg: " + written.message());
  }
  if (args.json) {
    std::printf("%s\n", api::tco_json(*tco).dump(2).c_str());
  } else {
    print_text(*tco);
    if (!args.svg_path.empty()) std::printf("Plot: %s\n", args.svg_path.c_str());
  }
  return 0;
}

}  // namespace

void add_tco_command(CLI::App& app, std::function<int()>& run) {
  auto args = std::make_shared<TcoArgs>();
  CLI::App* cmd =
      app.add_subcommand("tco", "Owned hardware against a rented GPU: break-even, cost per 1M tokens, plot");
  cmd->add_option("--capex", args->capex, "Purchase price in dollars, e.g. 4500")->required();
  cmd->add_option("--life-months", args->life_months, "Months the hardware is meant to serve, e.g. 48")->required();
  cmd->add_option("--watts", args->watts, "Power draw while working, in watts, e.g. 60")->required();
  cmd->add_option("--idle-watts", args->idle_watts, "Power draw the rest of the time (default: --watts)");
  cmd->add_option("--kwh", args->kwh, "Electricity price in dollars per kWh, e.g. 0.30")->required();
  cmd->add_option("--gpu-hourly", args->gpu_hourly, "A rented GPU's price in dollars per hour, e.g. 3")->required();
  cmd->add_option("--utilization", args->utilization,
                  "Share of each month the work runs, 0 < u <= 1 (default 1: 24/7); the GPU is rented only then");
  cmd->add_option("--tps", args->tps, "Throughput in tokens per second (both ways), for the cost per 1M tokens");
  cmd->add_option("--svg", args->svg_path, "Write the cumulative-cost plot to this SVG file");
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->callback([&run, args] { run = [args] { return run_tco(*args); }; });
}

}  // namespace hearth::cli
