#include "api/egress_route.h"

#include <nlohmann/json.hpp>

#include "api/json_output.h"
#include "api/query_params.h"

namespace hearth::api {
namespace {

ApiResult<int64_t> read_limit(std::string_view target) {
  ApiResult<QueryParams> params = read_query(target, {"limit"});
  if (!params.ok()) return params.error();
  return query_integer(*params, "limit", kEgressRecentDefault, 1, kEgressRecentMax);
}

nlohmann::json row_object(const ledger::EgressEntry& entry) {
  const ledger::EgressRecord& record = entry.record;
  return {{"id", entry.id},
          {"ts_unix_ms", record.ts_unix_ms},
          {"key", record.key_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(record.key_name)},
          {"data_class", record.data_class},
          {"provider", record.provider},
          {"model", record.model},
          {"body_sha256", record.body_sha256},
          {"prompt_tokens", entry.prompt_tokens},
          {"completion_tokens", entry.completion_tokens},
          {"cost_udollars", entry.cost_udollars},
          {"status", ledger::egress_status_name(entry.status)}};
}

}  // namespace

ApiResult<std::string> egress_body(ledger::EgressLedger* egress, std::string_view target) {
  ApiResult<int64_t> limit = read_limit(target);
  if (!limit.ok()) return limit.error();
  if (egress == nullptr) {
    return api_error(unavailable_error("This server keeps no egress ledger (it runs without hearth.db)"));
  }
  Result<std::vector<ledger::EgressEntry>> rows = egress->recent(*limit);
  if (!rows.ok()) return api_error(rows.status());
  nlohmann::json data = nlohmann::json::array();
  for (const ledger::EgressEntry& entry : *rows) data.push_back(row_object(entry));
  return dump_json({{"object", "list"}, {"data", std::move(data)}});
}

}  // namespace hearth::api
