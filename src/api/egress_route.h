// GET /hearth/v1/egress[?limit=N]: the most recent rows of the egress ledger
// (ledger/egress_ledger.h), newest first: what the dashboard shows as recent
// egress. `hearth audit egress` prints the whole ledger.
//
//   {"object": "list",
//    "data": [{"id", "ts_unix_ms", "key": null | "name", "data_class", "provider", "model",
//              "body_sha256", "prompt_tokens", "completion_tokens", "cost_udollars",
//              "status": "sent" | "ok" | "error" | "cancelled"}, ...]}
//
// A row still "sent" is a request in flight (or one whose end was never
// recorded). Errors: 400 naming `limit` unless it is an integer in
// [1, kEgressRecentMax] (default kEgressRecentDefault), or for another query
// parameter; 503 when the server has no state database.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/openai_errors.h"
#include "ledger/egress_ledger.h"

namespace hearth::api {

inline constexpr int64_t kEgressRecentDefault = 20;
inline constexpr int64_t kEgressRecentMax = 500;

// The response body for `target`; `egress` null: no hearth.db.
ApiResult<std::string> egress_body(ledger::EgressLedger* egress, std::string_view target);

}  // namespace hearth::api
