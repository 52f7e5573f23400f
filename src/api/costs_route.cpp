#include "api/costs_route.h"

#include "api/costs_json.h"
#include "api/json_output.h"
#include "api/routes.h"

namespace hearth::api {

ApiResult<ledger::UtcMonth> costs_month(std::string_view target, int64_t now_unix_ms) {
  std::optional<std::string> month;
  const size_t query_start = target.find('?');
  std::string_view query = query_start == std::string_view::npos ? std::string_view() : target.substr(query_start + 1);
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    const size_t eq = pair.find('=');
    const std::optional<std::string> name = percent_decode(pair.substr(0, eq));
    const std::optional<std::string> value =
        eq == std::string_view::npos ? std::optional<std::string>("") : percent_decode(pair.substr(eq + 1));
    if (!name || !value) return api_error(invalid_argument_error("The query string is not valid percent-encoding"));
    if (*name != "month") {
      return api_error(invalid_argument_error("Unknown query parameter '" + name->substr(0, 64) + "' (known: month)"),
                       name->substr(0, 64));
    }
    if (month) return api_error(invalid_argument_error("The query parameter 'month' is given twice"), "month");
    month = *value;
  }
  if (!month) return ledger::utc_month_containing(now_unix_ms);
  Result<ledger::UtcMonth> parsed = ledger::parse_utc_month(*month);
  if (!parsed.ok()) {
    return api_error(invalid_argument_error("month: " + parsed.status().message().substr(0, 200)), "month");
  }
  return *parsed;
}

ApiResult<std::string> costs_body(const CostsSources& sources, std::string_view target, int64_t now_unix_ms) {
  ApiResult<ledger::UtcMonth> month = costs_month(target, now_unix_ms);
  if (!month.ok()) return month.error();
  if (sources.usage == nullptr || sources.egress == nullptr || sources.settings == nullptr) {
    return api_error(unavailable_error("This server keeps no state database (hearth.db): no costs to report"));
  }
  Result<ledger::CostReport> report =
      ledger::build_cost_report(*sources.usage, *sources.egress, *sources.settings, *month);
  if (!report.ok()) return api_error(report.status());
  return dump_json(cost_report_json(*report, sources.node, *sources.settings));
}

}  // namespace hearth::api
