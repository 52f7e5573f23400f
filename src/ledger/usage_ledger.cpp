#include "ledger/usage_ledger.h"

namespace hearth::ledger {
namespace {

constexpr db::Migration kMigrations[] = {
    {"usage: create table",
     R"sql(
CREATE TABLE usage(
  id INTEGER PRIMARY KEY,
  ts_unix_ms INTEGER NOT NULL,
  node TEXT NOT NULL,
  key_name TEXT NOT NULL,
  model TEXT NOT NULL,
  prompt_tokens INTEGER NOT NULL CHECK (prompt_tokens >= 0),
  completion_tokens INTEGER NOT NULL CHECK (completion_tokens >= 0),
  wall_us INTEGER NOT NULL CHECK (wall_us >= 0),
  energy_uj INTEGER CHECK (energy_uj IS NULL OR energy_uj >= 0)
);
CREATE INDEX usage_ts ON usage(ts_unix_ms);
)sql"},
};

constexpr std::string_view kSelectGroups =
    "SELECT node, model, key_name, count(*), sum(prompt_tokens), sum(completion_tokens), sum(wall_us), "
    "coalesce(sum(CASE WHEN energy_uj IS NULL THEN 0 ELSE wall_us END), 0), coalesce(sum(energy_uj), 0) "
    "FROM usage WHERE ts_unix_ms >= ?1 AND ts_unix_ms < ?2 GROUP BY node, model, key_name "
    "ORDER BY node, model, key_name";

struct ResetAfterUse {
  db::Statement& statement;
  ~ResetAfterUse() { (void)statement.reset(); }
};

Status check_name(const char* field, const std::string& value, size_t max_bytes, bool may_be_empty) {
  if (value.empty()) {
    if (may_be_empty) return ok_status();
    return invalid_argument_error(std::string("the usage record's ") + field + " is empty");
  }
  if (value.size() > max_bytes) {
    return invalid_argument_error(std::string("the usage record's ") + field + " is longer than " +
                                  std::to_string(max_bytes) + " bytes");
  }
  for (char ch : value) {
    if (ch < 0x20 || ch > 0x7e) {
      return invalid_argument_error(std::string("the usage record's ") + field +
                                    " holds a byte that is not printable ASCII");
    }
  }
  if (value.front() == ' ' || value.back() == ' ') {
    return invalid_argument_error(std::string("the usage record's ") + field + " starts or ends with a space");
  }
  return ok_status();
}

Status check_count(const char* field, int64_t value, int64_t max) {
  if (value >= 0 && value <= max) return ok_status();
  return invalid_argument_error(std::string("the usage record's ") + field + " must be from 0 to " +
                                std::to_string(max) + ", not " + std::to_string(value));
}

}  // namespace

UsageTotals& UsageTotals::operator+=(const UsageTotals& other) {
  n_requests += other.n_requests;
  prompt_tokens += other.prompt_tokens;
  completion_tokens += other.completion_tokens;
  wall_us += other.wall_us;
  measured_wall_us += other.measured_wall_us;
  measured_energy_uj += other.measured_energy_uj;
  return *this;
}

Status check_usage_record(const UsageRecord& record) {
  if (record.ts_unix_ms <= 0) {
    return invalid_argument_error("the usage record's time must be positive, not " + std::to_string(record.ts_unix_ms));
  }
  HEARTH_RETURN_IF_ERROR(check_name("node", record.node, kUsageNameMaxBytes, false));
  HEARTH_RETURN_IF_ERROR(check_name("key name", record.key_name, kUsageKeyNameMaxBytes, true));
  HEARTH_RETURN_IF_ERROR(check_name("model", record.model, kUsageNameMaxBytes, false));
  HEARTH_RETURN_IF_ERROR(check_count("prompt tokens", record.prompt_tokens, kUsageTokensMax));
  HEARTH_RETURN_IF_ERROR(check_count("completion tokens", record.completion_tokens, kUsageTokensMax));
  HEARTH_RETURN_IF_ERROR(check_count("wall time (us)", record.wall_us, kUsageWallMaxUs));
  if (record.energy_uj) {
    // A kilowatt for the longest wall time allowed bounds any real reading.
    HEARTH_RETURN_IF_ERROR(check_count("energy (uJ)", *record.energy_uj, kUsageWallMaxUs * 1000));
  }
  return ok_status();
}

std::span<const db::Migration> usage_migrations() { return kMigrations; }

Result<UsageLedger> UsageLedger::open(db::Database& db) {
  db::Database::Session session = db.lock();
  HEARTH_ASSIGN_OR_RETURN(db::Statement probe, session.prepare(std::string(kSelectGroups)));
  return UsageLedger(db);
}

Status UsageLedger::insert(const UsageRecord& record) {
  db::Database::Session session = db_->lock();
  return session.write_transaction([&]() -> Status { return insert(session, record); });
}

Status UsageLedger::insert(db::Database::Session& session, const UsageRecord& record) {
  HEARTH_RETURN_IF_ERROR(check_usage_record(record));
  if (!insert_) {
    HEARTH_ASSIGN_OR_RETURN(insert_, session.prepare("INSERT INTO usage(ts_unix_ms, node, key_name, model, "
                                                     "prompt_tokens, completion_tokens, wall_us, energy_uj) "
                                                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  }
  db::Statement& insert = *insert_;
  ResetAfterUse reset{insert};
  HEARTH_RETURN_IF_ERROR(insert.bind_int64(1, record.ts_unix_ms));
  HEARTH_RETURN_IF_ERROR(insert.bind_text(2, record.node));
  HEARTH_RETURN_IF_ERROR(insert.bind_text(3, record.key_name));
  HEARTH_RETURN_IF_ERROR(insert.bind_text(4, record.model));
  HEARTH_RETURN_IF_ERROR(insert.bind_int64(5, record.prompt_tokens));
  HEARTH_RETURN_IF_ERROR(insert.bind_int64(6, record.completion_tokens));
  HEARTH_RETURN_IF_ERROR(insert.bind_int64(7, record.wall_us));
  HEARTH_RETURN_IF_ERROR(insert.bind_optional_int64(8, record.energy_uj));
  return insert.run();
}

Result<std::vector<UsageGroup>> UsageLedger::groups(int64_t start_unix_ms, int64_t end_unix_ms) {
  db::Database::Session session = db_->lock();
  HEARTH_ASSIGN_OR_RETURN(db::Statement query, session.prepare(kSelectGroups));
  HEARTH_RETURN_IF_ERROR(query.bind_int64(1, start_unix_ms));
  HEARTH_RETURN_IF_ERROR(query.bind_int64(2, end_unix_ms));
  std::vector<UsageGroup> groups;
  while (true) {
    HEARTH_ASSIGN_OR_RETURN(const bool has_row, query.step());
    if (!has_row) break;
    UsageGroup group;
    group.node = query.column_text(0);
    group.model = query.column_text(1);
    group.key_name = query.column_text(2);
    group.totals.n_requests = query.column_int64(3);
    group.totals.prompt_tokens = query.column_int64(4);
    group.totals.completion_tokens = query.column_int64(5);
    group.totals.wall_us = query.column_int64(6);
    group.totals.measured_wall_us = query.column_int64(7);
    group.totals.measured_energy_uj = query.column_int64(8);
    groups.push_back(std::move(group));
  }
  return groups;
}

}  // namespace hearth::ledger
