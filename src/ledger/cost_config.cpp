#include "ledger/cost_config.h"

#include <toml++/toml.h>

#include <chrono>
#include <cmath>
#include <set>

#include "base/money.h"

namespace hearth::ledger {
namespace {

constexpr std::string_view kKeys[] = {"costs"};
constexpr std::string_view kCostsKeys =
    "node, purchase_usd, purchase_date, life_months, watts_load, watts_idle, power, kwh_usd, gpu_hourly_usd, "
    "compare";

Status config_error(const std::string& source_name, const toml::source_region& where, const std::string& message) {
  return invalid_argument_error(source_name + ":" + std::to_string(where.begin.line) + ": " + message);
}

// Reads one table's keys with their types, refusing keys nobody read.
class CostTableReader {
 public:
  CostTableReader(const toml::table& table, const std::string& source_name, std::string what)
      : table_(table), source_name_(source_name), what_(std::move(what)) {}

  const toml::node* get(std::string_view key) {
    known_.insert(std::string(key));
    return table_.get(key);
  }

  Status text(std::string_view key, std::string* out) {
    const toml::node* value = get(key);
    if (value == nullptr) return ok_status();
    const auto* text = value->as_string();
    if (text == nullptr || text->get().empty() || text->get().size() > 256) {
      return error(*value, key, "must be a non-empty string of at most 256 bytes");
    }
    for (char ch : text->get()) {
      if (ch < 0x21 || ch > 0x7e) return error(*value, key, "must be printable ASCII without spaces");
    }
    *out = text->get();
    return ok_status();
  }

  Status usd(std::string_view key, std::optional<int64_t>* out) {
    const toml::node* value = get(key);
    if (value == nullptr) return ok_status();
    const auto* text = value->as_string();
    if (text == nullptr) return error(*value, key, "must be a string of dollars like \"0.30\" (exact, not a float)");
    auto parsed = parse_usd(text->get());
    if (!parsed.ok()) return error(*value, key, "is wrong: " + parsed.status().message());
    if (*parsed > kMaxPriceUdollars) return error(*value, key, "must be at most 1000000 dollars");
    *out = *parsed;
    return ok_status();
  }

  Status integer(std::string_view key, std::optional<int64_t>* out, int64_t min, int64_t max) {
    const toml::node* value = get(key);
    if (value == nullptr) return ok_status();
    const auto* number = value->as_integer();
    if (number == nullptr || number->get() < min || number->get() > max) {
      return error(*value, key, "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
    }
    *out = number->get();
    return ok_status();
  }

  // Watts as a TOML integer or float (a measurement, not money), kept in milliwatts.
  Status watts(std::string_view key, std::optional<int64_t>* out_mw) {
    const toml::node* value = get(key);
    if (value == nullptr) return ok_status();
    const auto* integer = value->as_integer();
    const auto* floating = value->as_floating_point();
    const double watts = integer != nullptr    ? static_cast<double>(integer->get())
                         : floating != nullptr ? floating->get()
                                               : -1.0;
    if ((integer == nullptr && floating == nullptr) || !std::isfinite(watts) || watts < 0.0 ||
        watts * 1000.0 > static_cast<double>(kMaxWattsMw)) {
      return error(*value, key, "must be a number of watts from 0 to 100000");
    }
    *out_mw = std::llround(watts * 1000.0);
    return ok_status();
  }

  Status reject_unknown(std::string_view known_list) const {
    for (const auto& [key, value] : table_) {
      if (known_.count(std::string(key.str())) == 0) {
        return config_error(
            source_name_, key.source(),
            "unknown key '" + std::string(key.str()) + "' in " + what_ + " (known: " + std::string(known_list) + ")");
      }
    }
    return ok_status();
  }

  Status error(const toml::node& value, std::string_view key, const std::string& what) const {
    return config_error(source_name_, value.source(), what_ + " " + std::string(key) + " " + what);
  }

 private:
  const toml::table& table_;
  const std::string& source_name_;
  std::string what_;
  std::set<std::string> known_;
};

Status read_compare(const toml::node& value, const std::string& source_name, CostConfig* config) {
  const auto* array = value.as_array();
  if (array == nullptr) {
    return config_error(source_name, value.source(),
                        "costs.compare must be an array of tables: write [[costs.compare]]");
  }
  for (const toml::node& element : *array) {
    const auto* table = element.as_table();
    if (table == nullptr)
      return config_error(source_name, element.source(), "each costs.compare entry must be a table");
    CostTableReader reader(*table, source_name, "[[costs.compare]]");
    CloudPrice price;
    std::optional<int64_t> input;
    std::optional<int64_t> output;
    HEARTH_RETURN_IF_ERROR(reader.text("name", &price.name));
    HEARTH_RETURN_IF_ERROR(reader.usd("input_usd_per_mtok", &input));
    HEARTH_RETURN_IF_ERROR(reader.usd("output_usd_per_mtok", &output));
    HEARTH_RETURN_IF_ERROR(reader.reject_unknown("name, input_usd_per_mtok, output_usd_per_mtok"));
    if (price.name.empty()) return config_error(source_name, table->source(), "[[costs.compare]] needs 'name'");
    if (!input || !output) {
      return config_error(source_name, table->source(),
                          "[[costs.compare]] '" + price.name + "' needs input_usd_per_mtok and output_usd_per_mtok");
    }
    for (const CloudPrice& other : config->compare) {
      if (other.name == price.name) {
        return config_error(source_name, table->source(),
                            "two [[costs.compare]] entries are named '" + price.name + "'");
      }
    }
    price.input_udollars_per_mtok = *input;
    price.output_udollars_per_mtok = *output;
    config->compare.push_back(std::move(price));
  }
  return ok_status();
}

}  // namespace

std::span<const std::string_view> cost_config_keys() { return kKeys; }

Result<int64_t> parse_utc_date(std::string_view text) {
  using namespace std::chrono;
  auto digits = [&](size_t from, size_t count) -> int {
    int value = 0;
    for (size_t pos = from; pos < from + count; ++pos) {
      if (text[pos] < '0' || text[pos] > '9') return -1;
      value = value * 10 + (text[pos] - '0');
    }
    return value;
  };
  const auto invalid = [&] {
    // Appended, not "'" + std::string(text): GCC 12 warns (-Wrestrict) on that form.
    std::string message(1, '\'');
    message.append(text);
    message.append("' is not a date like 2026-01-15");
    return invalid_argument_error(std::move(message));
  };
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return invalid();
  const int year_number = digits(0, 4);
  const int month_number = digits(5, 2);
  const int day_number = digits(8, 2);
  if (year_number < 1970 || month_number < 1 || day_number < 1) return invalid();
  const year_month_day date{year{year_number}, month{static_cast<unsigned>(month_number)},
                            day{static_cast<unsigned>(day_number)}};
  if (!date.ok()) return invalid();
  return duration_cast<milliseconds>(sys_days{date}.time_since_epoch()).count();
}

Result<CostConfig> parse_cost_config(std::string_view text, const std::string& source_name) {
  toml::table root;
  try {
    root = toml::parse(text, source_name);
  } catch (const toml::parse_error& error) {
    return config_error(source_name, error.source(), std::string(error.description()));
  }
  CostConfig config;
  const toml::node* costs_node = root.get("costs");
  if (costs_node == nullptr) return config;
  const auto* costs = costs_node->as_table();
  if (costs == nullptr) return config_error(source_name, costs_node->source(), "costs must be a table: write [costs]");

  CostTableReader reader(*costs, source_name, "[costs]");
  std::optional<int64_t> purchase;
  std::optional<int64_t> life;
  std::optional<int64_t> load_mw;
  std::optional<int64_t> idle_mw;
  std::optional<int64_t> kwh;
  std::string date;
  std::string power;
  HEARTH_RETURN_IF_ERROR(reader.text("node", &config.node));
  HEARTH_RETURN_IF_ERROR(reader.usd("purchase_usd", &purchase));
  HEARTH_RETURN_IF_ERROR(reader.text("purchase_date", &date));
  HEARTH_RETURN_IF_ERROR(reader.integer("life_months", &life, 1, kMaxLifeMonths));
  HEARTH_RETURN_IF_ERROR(reader.watts("watts_load", &load_mw));
  HEARTH_RETURN_IF_ERROR(reader.watts("watts_idle", &idle_mw));
  HEARTH_RETURN_IF_ERROR(reader.text("power", &power));
  HEARTH_RETURN_IF_ERROR(reader.usd("kwh_usd", &kwh));
  HEARTH_RETURN_IF_ERROR(reader.usd("gpu_hourly_usd", &config.gpu_hourly_udollars));
  if (const toml::node* compare = reader.get("compare"))
    HEARTH_RETURN_IF_ERROR(read_compare(*compare, source_name, &config));
  HEARTH_RETURN_IF_ERROR(reader.reject_unknown(kCostsKeys));

  const bool any_hardware = purchase || life || load_mw || idle_mw || !date.empty();
  if (any_hardware) {
    if (!purchase || !life) {
      return config_error(source_name, costs->source(),
                          "[costs] describes owned hardware: it needs both purchase_usd and life_months");
    }
    OwnedHardware hardware;
    hardware.purchase_udollars = *purchase;
    hardware.life_months = *life;
    hardware.watts_load_mw = load_mw.value_or(0);
    hardware.watts_idle_mw = idle_mw.value_or(0);
    if (!date.empty()) {
      auto parsed = parse_utc_date(date);
      if (!parsed.ok()) {
        return config_error(source_name, reader.get("purchase_date")->source(),
                            "[costs] purchase_date is wrong: " + parsed.status().message());
      }
      hardware.purchase_unix_ms = *parsed;
    }
    config.hardware = hardware;
  }
  if (!power.empty()) {
    if (power != "rapl" && power != "config") {
      return config_error(source_name, reader.get("power")->source(),
                          "[costs] power must be \"rapl\" (measured) or \"config\" (watts_load), not '" + power + "'");
    }
    config.measure_rapl = power == "rapl";
    if (config.measure_rapl && !kwh) {
      return config_error(source_name, costs->source(),
                          "[costs] power = \"rapl\" needs kwh_usd (the electricity price)");
    }
  }
  if (kwh) {
    if (!load_mw && !config.measure_rapl) {
      return config_error(source_name, costs->source(),
                          "[costs] kwh_usd needs watts_load (the draw while serving) or power = \"rapl\"");
    }
    config.kwh_udollars = *kwh;
  } else if (load_mw || idle_mw) {
    return config_error(source_name, costs->source(),
                        "[costs] watts_load and watts_idle need kwh_usd (the electricity price)");
  }
  return config;
}

}  // namespace hearth::ledger
