#include "ledger/egress_ledger.h"

#include <chrono>

#include "store/sha256.h"

namespace hearth::ledger {
namespace {

// Makes a reused statement ready for its next use however this one ends (the
// error of a failed step was already reported by that step).
struct ResetAfterUse {
  db::Statement& statement;
  ~ResetAfterUse() { (void)statement.reset(); }
};

constexpr db::Migration kMigrations[] = {
    {"egress: create table",
     R"sql(
CREATE TABLE egress(
  id INTEGER PRIMARY KEY,
  ts_unix_ms INTEGER NOT NULL,
  key_name TEXT NOT NULL,
  data_class TEXT NOT NULL,
  provider TEXT NOT NULL,
  model TEXT NOT NULL,
  prompt_tokens INTEGER NOT NULL DEFAULT 0 CHECK (prompt_tokens >= 0),
  completion_tokens INTEGER NOT NULL DEFAULT 0 CHECK (completion_tokens >= 0),
  cost_udollars INTEGER NOT NULL DEFAULT 0 CHECK (cost_udollars >= 0),
  body_sha256 TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('sent', 'ok', 'error', 'cancelled'))
);
CREATE INDEX egress_key_ts ON egress(key_name, ts_unix_ms);
CREATE INDEX egress_ts ON egress(ts_unix_ms);
)sql"},
};

constexpr std::string_view kSelectColumns =
    "SELECT id, ts_unix_ms, key_name, data_class, provider, model, body_sha256, prompt_tokens, completion_tokens, "
    "cost_udollars, status FROM egress";

// Printable ASCII without spaces at either end: what the audit can print as it is.
Status check_name(const char* field, std::string_view value, size_t max_bytes, bool may_be_empty) {
  if (value.empty()) {
    if (may_be_empty) return ok_status();
    return invalid_argument_error(std::string("the egress record's ") + field + " is empty");
  }
  if (value.size() > max_bytes) {
    return invalid_argument_error(std::string("the egress record's ") + field + " is longer than " +
                                  std::to_string(max_bytes) + " bytes");
  }
  for (char ch : value) {
    if (ch < 0x20 || ch > 0x7e) {
      return invalid_argument_error(std::string("the egress record's ") + field +
                                    " holds a byte that is not printable ASCII");
    }
  }
  if (value.front() == ' ' || value.back() == ' ') {
    return invalid_argument_error(std::string("the egress record's ") + field + " starts or ends with a space");
  }
  return ok_status();
}

Status check_count(const char* field, int64_t value, int64_t max) {
  if (value < 0 || value > max) {
    return invalid_argument_error(std::string(field) + " must be between 0 and " + std::to_string(max) + ", not " +
                                  std::to_string(value));
  }
  return ok_status();
}

Result<EgressEntry> read_entry(const db::Statement& row) {
  EgressEntry entry;
  entry.id = row.column_int64(0);
  entry.record.ts_unix_ms = row.column_int64(1);
  entry.record.key_name = row.column_text(2);
  entry.record.data_class = row.column_text(3);
  entry.record.provider = row.column_text(4);
  entry.record.model = row.column_text(5);
  entry.record.body_sha256 = row.column_text(6);
  entry.prompt_tokens = row.column_int64(7);
  entry.completion_tokens = row.column_int64(8);
  entry.cost_udollars = row.column_int64(9);
  const std::string status = row.column_text(10);
  const std::optional<EgressStatus> parsed = parse_egress_status(status);
  if (!parsed) {
    return data_loss_error("egress row " + std::to_string(entry.id) + " has an unknown status '" + status + "'");
  }
  entry.status = *parsed;
  return entry;
}

}  // namespace

std::string_view egress_status_name(EgressStatus status) {
  switch (status) {
    case EgressStatus::kSent:
      return "sent";
    case EgressStatus::kOk:
      return "ok";
    case EgressStatus::kError:
      return "error";
    case EgressStatus::kCancelled:
      return "cancelled";
  }
  return "sent";
}

std::optional<EgressStatus> parse_egress_status(std::string_view name) {
  for (EgressStatus status : {EgressStatus::kSent, EgressStatus::kOk, EgressStatus::kError, EgressStatus::kCancelled}) {
    if (name == egress_status_name(status)) return status;
  }
  return std::nullopt;
}

UtcMonth utc_month_containing(int64_t unix_ms) {
  using namespace std::chrono;
  const sys_time<milliseconds> instant{milliseconds(unix_ms)};
  const year_month_day day{floor<days>(instant)};
  const sys_days first{day.year() / day.month() / 1};
  const sys_days next{(day.year() / day.month() + months(1)) / 1};
  return {duration_cast<milliseconds>(first.time_since_epoch()).count(),
          duration_cast<milliseconds>(next.time_since_epoch()).count()};
}

std::span<const db::Migration> egress_migrations() { return kMigrations; }

Result<EgressLedger> EgressLedger::open(db::Database& db) {
  // Compiles a statement over every column: a missing table or column fails here, not on the first request.
  db::Database::Session session = db.lock();
  HEARTH_ASSIGN_OR_RETURN(db::Statement probe, session.prepare(std::string(kSelectColumns) + " LIMIT 0"));
  return EgressLedger(db);
}

Result<int64_t> EgressLedger::begin(const EgressRecord& record) {
  db::Database::Session session = db_->lock();
  return begin(session, record);
}

Result<int64_t> EgressLedger::begin(db::Database::Session& session, const EgressRecord& record) {
  if (record.ts_unix_ms <= 0) {
    return invalid_argument_error("the egress record's time must be positive, not " +
                                  std::to_string(record.ts_unix_ms));
  }
  HEARTH_RETURN_IF_ERROR(check_name("key name", record.key_name, kEgressKeyNameMaxBytes, /*may_be_empty=*/true));
  HEARTH_RETURN_IF_ERROR(check_name("data class", record.data_class, kEgressNameMaxBytes, false));
  HEARTH_RETURN_IF_ERROR(check_name("provider", record.provider, kEgressNameMaxBytes, false));
  HEARTH_RETURN_IF_ERROR(check_name("model", record.model, kEgressNameMaxBytes, false));
  HEARTH_ASSIGN_OR_RETURN(const std::string body_sha256, store::normalize_sha256_hex(record.body_sha256));
  if (!insert_) {
    HEARTH_ASSIGN_OR_RETURN(
        insert_, session.prepare("INSERT INTO egress(ts_unix_ms, key_name, data_class, provider, model, body_sha256, "
                                 "status) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'sent')"));
  }
  db::Statement& insert = *insert_;
  ResetAfterUse reset_insert{insert};
  HEARTH_RETURN_IF_ERROR(insert.bind_int64(1, record.ts_unix_ms));
  HEARTH_RETURN_IF_ERROR(insert.bind_text(2, record.key_name));
  HEARTH_RETURN_IF_ERROR(insert.bind_text(3, record.data_class));
  HEARTH_RETURN_IF_ERROR(insert.bind_text(4, record.provider));
  HEARTH_RETURN_IF_ERROR(insert.bind_text(5, record.model));
  HEARTH_RETURN_IF_ERROR(insert.bind_text(6, body_sha256));
  HEARTH_RETURN_IF_ERROR(insert.run());
  return session.last_insert_rowid();
}

Status EgressLedger::finish(int64_t id, int64_t prompt_tokens, int64_t completion_tokens, int64_t cost_udollars,
                            EgressStatus status) {
  db::Database::Session session = db_->lock();
  return session.write_transaction(
      [&]() -> Status { return finish(session, id, prompt_tokens, completion_tokens, cost_udollars, status); });
}

Status EgressLedger::finish(db::Database::Session& session, int64_t id, int64_t prompt_tokens,
                            int64_t completion_tokens, int64_t cost_udollars, EgressStatus status) {
  if (status == EgressStatus::kSent)
    return invalid_argument_error("an egress request finishes as ok, error or cancelled");
  HEARTH_RETURN_IF_ERROR(check_count("prompt tokens", prompt_tokens, kEgressTokensMax));
  HEARTH_RETURN_IF_ERROR(check_count("completion tokens", completion_tokens, kEgressTokensMax));
  HEARTH_RETURN_IF_ERROR(check_count("cost (micro-dollars)", cost_udollars, kEgressCostMaxUdollars));
  if (!update_) {
    HEARTH_ASSIGN_OR_RETURN(update_,
                            session.prepare("UPDATE egress SET prompt_tokens = ?1, completion_tokens = ?2, "
                                            "cost_udollars = ?3, status = ?4 WHERE id = ?5 AND status = 'sent'"));
  }
  db::Statement& update = *update_;
  ResetAfterUse reset_update{update};
  HEARTH_RETURN_IF_ERROR(update.bind_int64(1, prompt_tokens));
  HEARTH_RETURN_IF_ERROR(update.bind_int64(2, completion_tokens));
  HEARTH_RETURN_IF_ERROR(update.bind_int64(3, cost_udollars));
  HEARTH_RETURN_IF_ERROR(update.bind_text(4, egress_status_name(status)));
  HEARTH_RETURN_IF_ERROR(update.bind_int64(5, id));
  HEARTH_RETURN_IF_ERROR(update.run());
  if (session.changes() == 1) return ok_status();
  HEARTH_ASSIGN_OR_RETURN(db::Statement existing, session.prepare("SELECT status FROM egress WHERE id = ?1"));
  HEARTH_RETURN_IF_ERROR(existing.bind_int64(1, id));
  HEARTH_ASSIGN_OR_RETURN(const bool found, existing.step());
  if (!found) return not_found_error("no egress request has id " + std::to_string(id));
  return failed_precondition_error("egress request " + std::to_string(id) + " already finished as " +
                                   existing.column_text(0));
}

Result<int64_t> EgressLedger::month_spend_udollars(std::string_view key_name, int64_t now_unix_ms) {
  const UtcMonth month = utc_month_containing(now_unix_ms);
  db::Database::Session session = db_->lock();
  // Served by the index egress_key_ts. sum() stays an exact integer (and
  // fails rather than wrap, at 9 million rows of the per-request cap).
  HEARTH_ASSIGN_OR_RETURN(db::Statement query,
                          session.prepare("SELECT coalesce(sum(cost_udollars), 0) FROM egress "
                                          "WHERE key_name = ?1 AND ts_unix_ms >= ?2 AND ts_unix_ms < ?3"));
  HEARTH_RETURN_IF_ERROR(query.bind_text(1, key_name));
  HEARTH_RETURN_IF_ERROR(query.bind_int64(2, month.start_unix_ms));
  HEARTH_RETURN_IF_ERROR(query.bind_int64(3, month.end_unix_ms));
  HEARTH_ASSIGN_OR_RETURN(const bool has_row, query.step());
  if (!has_row) return internal_error("the month's spend query returned no row");
  return query.column_int64(0);
}

Result<std::vector<EgressGroup>> EgressLedger::groups(int64_t start_unix_ms, int64_t end_unix_ms) {
  db::Database::Session session = db_->lock();
  HEARTH_ASSIGN_OR_RETURN(
      db::Statement query,
      session.prepare("SELECT provider, model, key_name, count(*), sum(prompt_tokens), sum(completion_tokens), "
                      "sum(cost_udollars) FROM egress WHERE ts_unix_ms >= ?1 AND ts_unix_ms < ?2 "
                      "GROUP BY provider, model, key_name ORDER BY provider, model, key_name"));
  HEARTH_RETURN_IF_ERROR(query.bind_int64(1, start_unix_ms));
  HEARTH_RETURN_IF_ERROR(query.bind_int64(2, end_unix_ms));
  std::vector<EgressGroup> groups;
  while (true) {
    HEARTH_ASSIGN_OR_RETURN(const bool has_row, query.step());
    if (!has_row) break;
    EgressGroup group;
    group.provider = query.column_text(0);
    group.model = query.column_text(1);
    group.key_name = query.column_text(2);
    group.n_requests = query.column_int64(3);
    group.prompt_tokens = query.column_int64(4);
    group.completion_tokens = query.column_int64(5);
    group.cost_udollars = query.column_int64(6);
    groups.push_back(std::move(group));
  }
  return groups;
}

Result<std::vector<EgressEntry>> EgressLedger::query(int64_t since_unix_ms,
                                                     const std::optional<std::string>& key_name) {
  db::Database::Session session = db_->lock();
  const std::string sql = std::string(kSelectColumns) + " WHERE ts_unix_ms >= ?1" +
                          (key_name ? " AND key_name = ?2" : "") + " ORDER BY ts_unix_ms, id";
  HEARTH_ASSIGN_OR_RETURN(db::Statement query, session.prepare(sql));
  HEARTH_RETURN_IF_ERROR(query.bind_int64(1, since_unix_ms));
  if (key_name) HEARTH_RETURN_IF_ERROR(query.bind_text(2, *key_name));
  std::vector<EgressEntry> entries;
  while (true) {
    HEARTH_ASSIGN_OR_RETURN(const bool has_row, query.step());
    if (!has_row) break;
    HEARTH_ASSIGN_OR_RETURN(EgressEntry entry, read_entry(query));
    entries.push_back(std::move(entry));
  }
  return entries;
}

Result<std::vector<EgressEntry>> EgressLedger::recent(int64_t limit) {
  if (limit <= 0) return std::vector<EgressEntry>();
  db::Database::Session session = db_->lock();
  HEARTH_ASSIGN_OR_RETURN(db::Statement query,
                          session.prepare(std::string(kSelectColumns) + " ORDER BY id DESC LIMIT ?1"));
  HEARTH_RETURN_IF_ERROR(query.bind_int64(1, limit));
  std::vector<EgressEntry> entries;
  while (true) {
    HEARTH_ASSIGN_OR_RETURN(const bool has_row, query.step());
    if (!has_row) break;
    HEARTH_ASSIGN_OR_RETURN(EgressEntry entry, read_entry(query));
    entries.push_back(std::move(entry));
  }
  return entries;
}

}  // namespace hearth::ledger
