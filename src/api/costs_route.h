// GET /hearth/v1/costs[?month=YYYY-MM]: this node's cost report for a
// calendar month (UTC; default: the current one) as api/costs_json.h renders
// it. The server first waits for the usage writer to commit what it holds
// (one transaction; ledger/usage_writer.h), so the report counts every
// request finished before this one. Reads hearth.db on the I/O thread (two indexed GROUP BY queries over one
// month's rows); a report over very many rows is better read with `hearth
// costs` on the node itself.
//
// Errors: 400 naming `month` for a malformed month, or an unknown or repeated
// query parameter; 503 when the server has no state database.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/openai_errors.h"
#include "ledger/cost_report.h"
#include "ledger/egress_ledger.h"
#include "ledger/usage_ledger.h"

namespace hearth::api {

struct CostsSources {
  ledger::UsageLedger* usage = nullptr;    // null: no hearth.db
  ledger::EgressLedger* egress = nullptr;  // null: no hearth.db
  const ledger::CostSettings* settings = nullptr;
  std::string node;
};

// The month a request target asks for: ?month=YYYY-MM, else the one holding `now_unix_ms`.
ApiResult<ledger::UtcMonth> costs_month(std::string_view target, int64_t now_unix_ms);

// The response body for `target`.
ApiResult<std::string> costs_body(const CostsSources& sources, std::string_view target, int64_t now_unix_ms);

}  // namespace hearth::api
