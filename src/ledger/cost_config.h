// The [costs] section of the config file (`hearth serve --config FILE`,
// `hearth costs --config FILE`): what this node's hardware cost, how long it
// is meant to last, what it draws and what electricity costs, the rented
// GPU's hourly price, and per-token price lists to compare against. The
// gateway's [[providers]] prices (gateway/gateway_config.h) are compared
// against too; the caller adds them as CloudPrice rows.
//
//   [costs]
//   node = "core-01"               # this box's name in usage rows (default: the host name)
//   purchase_usd = "4500"          # exact dollars, as a string
//   purchase_date = "2026-01-15"   # amortization runs life_months from here
//   life_months = 48
//   watts_load = 60                # while serving; a number of watts (decimals allowed)
//   watts_idle = 7                 # the rest of the time
//   power = "rapl"                 # measure each request's energy (Linux RAPL; default "config": the watts above)
//   kwh_usd = "0.30"
//   gpu_hourly_usd = "3"           # a rented GPU instance, per hour
//
//   [[costs.compare]]              # a price list to compare against without routing there
//   name = "frontier-api"
//   input_usd_per_mtok = "3"
//   output_usd_per_mtok = "15"
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace hearth::ledger {

inline constexpr int64_t kMaxLifeMonths = 600;                   // 50 years
inline constexpr int64_t kMaxWattsMw = 100'000'000;              // 100 kW
inline constexpr int64_t kMaxPriceUdollars = 1'000'000'000'000;  // USD 1,000,000 (purchase, per hour, per kWh, per 1M)

struct OwnedHardware {
  int64_t purchase_udollars = 0;
  int64_t purchase_unix_ms = 0;  // midnight UTC of purchase_date; 0: not given (every month is within life)
  int64_t life_months = 0;       // > 0
  int64_t watts_load_mw = 0;
  int64_t watts_idle_mw = 0;
};

// One per-token price list: a configured provider or a [[costs.compare]] entry.
struct CloudPrice {
  std::string name;
  int64_t input_udollars_per_mtok = 0;
  int64_t output_udollars_per_mtok = 0;
};

struct CostConfig {
  std::string node;                       // empty: the caller supplies the host name
  std::optional<OwnedHardware> hardware;  // set when purchase_usd is given
  int64_t kwh_udollars = 0;
  std::optional<int64_t> gpu_hourly_udollars;
  std::vector<CloudPrice> compare;  // [[costs.compare]]
  bool measure_rapl = false;        // power = "rapl" (needs kwh_usd)
};

// The top-level keys this file owns (the node's and the gateway's parsers skip them).
std::span<const std::string_view> cost_config_keys();

// Reads [costs] from the whole config text (other top-level keys are left to
// their parsers). kInvalidArgument as "FILE:LINE: what is wrong" naming the
// key: syntax errors, unknown keys, wrong types, amounts that are not exact
// dollars, purchase_usd without life_months, a date that is not YYYY-MM-DD,
// values out of range, duplicate compare names.
Result<CostConfig> parse_cost_config(std::string_view text, const std::string& source_name);

// "YYYY-MM-DD" as midnight UTC in unix ms; kInvalidArgument otherwise.
Result<int64_t> parse_utc_date(std::string_view text);

}  // namespace hearth::ledger
