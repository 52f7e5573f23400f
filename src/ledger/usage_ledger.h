// The usage ledger: one row in hearth.db (table usage) for every generation
// request this node served on its own hardware, next to the egress ledger's
// rows for what went to the cloud. A row says which node and model served
// which key, the tokens in and out and the wall time the engine spent on it
// (submit to finish); the cost report (ledger/cost_report.h) prices them.
//
//   UsageRecord record{.ts_unix_ms = now, .node = "core-01", .key_name = "alice", .model = "qwen2.5-7b",
//                      .prompt_tokens = 120, .completion_tokens = 40, .wall_us = 2'400'000};
//   HEARTH_RETURN_IF_ERROR(ledger.insert(session, record));   // the UsageWriter batches these
//
// Thread-safety: any thread (each call takes the Database's Session, or runs
// inside the caller's); other processes may read the file at the same time (WAL).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "db/sqlite_db.h"

namespace hearth::ledger {

inline constexpr size_t kUsageNameMaxBytes = 256;    // node, model
inline constexpr size_t kUsageKeyNameMaxBytes = 64;  // as API key names
inline constexpr int64_t kUsageTokensMax = int64_t{1} << 40;
inline constexpr int64_t kUsageWallMaxUs = int64_t{366} * 24 * 3600 * 1'000'000;  // a year for one request

// One locally served request. Strings are printable ASCII without spaces at
// either end (the report prints them as they are); the ledger refuses others.
struct UsageRecord {
  int64_t ts_unix_ms = 0;  // when it finished; > 0
  std::string node;        // the serving node's name (ledger/cost_config.h: [costs] node)
  std::string key_name;    // the API key; "" for a request without one
  std::string model;       // the model id as served
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t wall_us = 0;               // the engine's wall time for this request (submit to finish)
  std::optional<int64_t> energy_uj;  // measured (RAPL) over that wall time; nullopt: not measured
};

// The sums over a set of rows.
struct UsageTotals {
  int64_t n_requests = 0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t wall_us = 0;
  // Rows with a measured energy: their wall time and energy. The others are
  // priced at the configured watts.
  int64_t measured_wall_us = 0;
  int64_t measured_energy_uj = 0;

  UsageTotals& operator+=(const UsageTotals& other);
};

// Totals of one (node, model, key) group.
struct UsageGroup {
  std::string node;
  std::string model;
  std::string key_name;
  UsageTotals totals;
};

class UsageLedger {
 public:
  // Precondition: `db` holds usage_migrations() (through the state schema)
  // and outlives the ledger. An error when the table is missing.
  static Result<UsageLedger> open(db::Database& db);

  // Inserts one row inside the caller's session (and transaction).
  // kInvalidArgument for a record the ledger will not store.
  Status insert(db::Database::Session& session, const UsageRecord& record);
  // The same in a transaction of its own.
  Status insert(const UsageRecord& record);

  // Rows with start <= ts < end, summed per (node, model, key), ordered by
  // node, model, key. Sums are exact integers (SQLite fails rather than wrap).
  Result<std::vector<UsageGroup>> groups(int64_t start_unix_ms, int64_t end_unix_ms);

  db::Database& database() { return *db_; }

 private:
  explicit UsageLedger(db::Database& db) : db_(&db) {}
  db::Database* db_;
  // Prepared on first use, used only inside a Session of db_ (whose lock guards it).
  std::optional<db::Statement> insert_;
};

// Checks a record as insert() does (the writer checks before it queues).
Status check_usage_record(const UsageRecord& record);

// The steps that make the usage table, in order (see db::Database::migrate).
std::span<const db::Migration> usage_migrations();

}  // namespace hearth::ledger
