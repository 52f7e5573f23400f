// The egress ledger: one row for every request that leaves the shop's
// boundary (to a cloud provider), written BEFORE it leaves and completed when
// it ends, in hearth.db (table egress). It records who sent what class of data
// where, the token counts and cost, and the SHA-256 of the body as sent, never
// the body. `hearth audit egress` prints it; the gateway reads a key's spend
// this month against its budget.
//
//   EgressRecord record;  // ts, key, class, provider, model, body hash
//   HEARTH_ASSIGN_OR_RETURN(int64_t id, ledger.begin(record));  // refuse to send if this fails
//   ... send, stream ...
//   HEARTH_RETURN_IF_ERROR(ledger.finish(id, prompt_tokens, completion_tokens, cost_udollars, EgressStatus::kOk));
//
// A row left at "sent" means the request left and its end was never recorded
// (the process died): it stays, as evidence, with zero tokens and cost.
//
// Thread-safety: an EgressLedger may be used by any number of threads (each
// call takes the Database's Session); other processes may read the file at
// the same time (WAL).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "db/sqlite_db.h"

namespace hearth::ledger {

enum class EgressStatus { kSent, kOk, kError, kCancelled };

// "sent", "ok", "error", "cancelled".
std::string_view egress_status_name(EgressStatus status);
std::optional<EgressStatus> parse_egress_status(std::string_view name);

inline constexpr size_t kEgressNameMaxBytes = 256;    // provider, model
inline constexpr size_t kEgressKeyNameMaxBytes = 64;  // as API key names
inline constexpr int64_t kEgressTokensMax = int64_t{1} << 40;
inline constexpr int64_t kEgressCostMaxUdollars = 1'000'000'000'000;  // USD 1,000,000 for one request

// What is known before the request leaves. Strings are printable ASCII (the
// audit prints them); the caller has checked them, the ledger refuses others.
struct EgressRecord {
  int64_t ts_unix_ms = 0;   // when it is sent; > 0
  std::string key_name;     // the API key; "" when the gateway has no keys configured
  std::string data_class;   // gateway::data_class_name() of the request (ledger/ is below gateway/)
  std::string provider;     // the configured provider's name
  std::string model;        // the upstream model name as sent
  std::string body_sha256;  // 64 hex digits over the request body as sent
};

// A row: the record and, once finished, its outcome.
struct EgressEntry {
  int64_t id = 0;
  EgressRecord record;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cost_udollars = 0;
  EgressStatus status = EgressStatus::kSent;
};

// The sums of the egress rows of one (provider, model, key) group.
struct EgressGroup {
  std::string provider;
  std::string model;
  std::string key_name;
  int64_t n_requests = 0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cost_udollars = 0;
};

// [start, end) of the calendar month (UTC) that holds `unix_ms`.
struct UtcMonth {
  int64_t start_unix_ms = 0;
  int64_t end_unix_ms = 0;
};
UtcMonth utc_month_containing(int64_t unix_ms);

class EgressLedger {
 public:
  // Precondition: `db` holds egress_migrations() (through the state schema)
  // and outlives the ledger. kInternal when the table is missing.
  static Result<EgressLedger> open(db::Database& db);

  // Records a request about to leave, status "sent"; its id for finish().
  // kInvalidArgument for a record the ledger will not store (empty or
  // non-printable names, a body hash that is not 64 hex digits, ts <= 0).
  Result<int64_t> begin(const EgressRecord& record);
  // Records how it ended. `status` is kOk, kError or kCancelled; counts and
  // cost are what was used even when it failed (0 when unknown).
  // kNotFound for an unknown id, kFailedPrecondition when already finished.
  Status finish(int64_t id, int64_t prompt_tokens, int64_t completion_tokens, int64_t cost_udollars,
                EgressStatus status);

  // The cost recorded for `key_name` in the calendar month (UTC) holding
  // `now_unix_ms`. Requests still in flight count 0 until finished.
  Result<int64_t> month_spend_udollars(std::string_view key_name, int64_t now_unix_ms);
  db::Database& database() { return *db_; }

  // The same two steps inside the caller's session and transaction (the
  // EgressWriter batches many into one transaction). `session` must be of
  // this ledger's Database.
  Result<int64_t> begin(db::Database::Session& session, const EgressRecord& record);
  Status finish(db::Database::Session& session, int64_t id, int64_t prompt_tokens, int64_t completion_tokens,
                int64_t cost_udollars, EgressStatus status);

  // Rows with start <= ts < end summed per (provider, model, key), in that
  // order; rows still at "sent" count as requests with zero tokens and cost.
  Result<std::vector<EgressGroup>> groups(int64_t start_unix_ms, int64_t end_unix_ms);

  // Rows with ts >= since_unix_ms (of one key when given), oldest first.
  Result<std::vector<EgressEntry>> query(int64_t since_unix_ms, const std::optional<std::string>& key_name);

  // The `limit` most recent rows (by id: the order they were begun), newest
  // first; the dashboard's "recent egress". One indexed read of `limit` rows.
  Result<std::vector<EgressEntry>> recent(int64_t limit);

 private:
  explicit EgressLedger(db::Database& db) : db_(&db) {}
  db::Database* db_;
  // Prepared once, on first use, and reused: used only inside a Session of
  // db_, whose lock guards them. Finalized with the ledger, before the Database.
  std::optional<db::Statement> insert_;
  std::optional<db::Statement> update_;
};

// The steps that make the egress table, in order (see db::Database::migrate).
std::span<const db::Migration> egress_migrations();

}  // namespace hearth::ledger
