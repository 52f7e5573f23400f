#include "jobs/batch_store.h"

#include <array>

#include "jobs/file_store.h"

namespace hearth::jobs {
namespace {

constexpr std::array<std::string_view, 8> kStatusNames = {"validating", "failed",    "in_progress", "finalizing",
                                                          "completed",  "expired",   "cancelling",  "cancelled"};

constexpr std::string_view kColumns =
    "id, endpoint, model, input_file_id, completion_window, status, key_name, data_class, job_window, metadata, "
    "errors, output_file_id, error_file_id, n_total, n_completed, n_failed, created_at, in_progress_at, expires_at, "
    "finalizing_at, completed_at, failed_at, expired_at, cancelling_at, cancelled_at, input_tokens, cached_tokens, "
    "output_tokens";

Result<BatchRecord> read_row(const db::Statement& row) {
  BatchRecord batch;
  batch.id = row.column_text(0);
  batch.endpoint = row.column_text(1);
  batch.model = row.column_text(2);
  batch.input_file_id = row.column_text(3);
  batch.completion_window = row.column_text(4);
  const std::string status = row.column_text(5);
  const std::optional<BatchStatus> parsed = parse_batch_status(status);
  if (!parsed) return data_loss_error("the batch " + batch.id + " has an unknown status '" + status + "'");
  batch.status = *parsed;
  batch.key_name = row.column_text(6);
  batch.data_class = row.column_text(7);
  batch.job_window = row.column_text(8);
  batch.metadata_json = row.column_text(9);
  batch.errors_json = row.column_text(10);
  if (!row.is_null(11)) batch.output_file_id = row.column_text(11);
  if (!row.is_null(12)) batch.error_file_id = row.column_text(12);
  batch.n_total = row.column_int64(13);
  batch.n_completed = row.column_int64(14);
  batch.n_failed = row.column_int64(15);
  batch.created_at_s = row.column_int64(16);
  batch.in_progress_at_s = row.column_optional_int64(17);
  batch.expires_at_s = row.column_optional_int64(18);
  batch.finalizing_at_s = row.column_optional_int64(19);
  batch.completed_at_s = row.column_optional_int64(20);
  batch.failed_at_s = row.column_optional_int64(21);
  batch.expired_at_s = row.column_optional_int64(22);
  batch.cancelling_at_s = row.column_optional_int64(23);
  batch.cancelled_at_s = row.column_optional_int64(24);
  batch.tokens.input_tokens = row.column_int64(25);
  batch.tokens.cached_tokens = row.column_int64(26);
  batch.tokens.output_tokens = row.column_int64(27);
  return batch;
}

Status set_status(db::Database::Session& session, std::string_view id, BatchStatus status,
                  std::string_view time_column, int64_t now_s) {
  HEARTH_ASSIGN_OR_RETURN(db::Statement update,
                          session.prepare("UPDATE batches SET status = ?2, " + std::string(time_column) +
                                          " = COALESCE(" + std::string(time_column) + ", ?3) WHERE id = ?1"));
  HEARTH_RETURN_IF_ERROR(update.bind_text(1, id));
  HEARTH_RETURN_IF_ERROR(update.bind_text(2, batch_status_name(status)));
  HEARTH_RETURN_IF_ERROR(update.bind_int64(3, now_s));
  return update.run();
}

}  // namespace

std::string_view batch_status_name(BatchStatus status) { return kStatusNames[static_cast<size_t>(status)]; }

std::optional<BatchStatus> parse_batch_status(std::string_view name) {
  for (size_t idx = 0; idx < kStatusNames.size(); ++idx) {
    if (kStatusNames[idx] == name) return static_cast<BatchStatus>(idx);
  }
  return std::nullopt;
}

bool is_final(BatchStatus status) {
  return status == BatchStatus::kCompleted || status == BatchStatus::kFailed || status == BatchStatus::kExpired ||
         status == BatchStatus::kCancelled;
}

Result<BatchStore> BatchStore::open(db::Database& db, std::function<int64_t()> now_unix_ms) {
  db::Database::Session session = db.lock();
  HEARTH_ASSIGN_OR_RETURN(db::Statement probe, session.prepare("SELECT " + std::string(kColumns) + " FROM batches"));
  return BatchStore(db, std::move(now_unix_ms));
}

Result<BatchRecord> BatchStore::get_locked(db::Database::Session& session, std::string_view id) {
  HEARTH_ASSIGN_OR_RETURN(db::Statement select,
                          session.prepare("SELECT " + std::string(kColumns) + " FROM batches WHERE id = ?1"));
  HEARTH_RETURN_IF_ERROR(select.bind_text(1, id));
  HEARTH_ASSIGN_OR_RETURN(bool has_row, select.step());
  if (!has_row) return not_found_error("No such Batch object: " + std::string(id.substr(0, 100)));
  return read_row(select);
}

Result<BatchRecord> BatchStore::create(NewBatch&& batch) {
  const std::string id = random_object_id("batch_");
  const int64_t now_s = now_unix_ms_() / 1000;
  const bool failed = batch.errors_json != "[]";
  db::Database::Session session = db_->lock();
  HEARTH_RETURN_IF_ERROR(session.write_transaction([&]() -> Status {
    HEARTH_ASSIGN_OR_RETURN(
        db::Statement insert,
        session.prepare("INSERT INTO batches(id, endpoint, model, input_file_id, completion_window, status, key_name, "
                        "data_class, job_window, metadata, errors, n_total, created_at, in_progress_at, expires_at, "
                        "failed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"));
    HEARTH_RETURN_IF_ERROR(insert.bind_text(1, id));
    HEARTH_RETURN_IF_ERROR(insert.bind_text(2, batch.endpoint));
    HEARTH_RETURN_IF_ERROR(insert.bind_text(3, batch.model));
    HEARTH_RETURN_IF_ERROR(insert.bind_text(4, batch.input_file_id));
    HEARTH_RETURN_IF_ERROR(insert.bind_text(5, batch.completion_window));
    HEARTH_RETURN_IF_ERROR(
        insert.bind_text(6, batch_status_name(failed ? BatchStatus::kFailed : BatchStatus::kInProgress)));
    HEARTH_RETURN_IF_ERROR(insert.bind_text(7, batch.key_name));
    HEARTH_RETURN_IF_ERROR(insert.bind_text(8, batch.data_class));
    HEARTH_RETURN_IF_ERROR(insert.bind_text(9, batch.job_window));
    HEARTH_RETURN_IF_ERROR(insert.bind_text(10, batch.metadata_json));
    HEARTH_RETURN_IF_ERROR(insert.bind_text(11, batch.errors_json));
    HEARTH_RETURN_IF_ERROR(insert.bind_int64(12, failed ? 0 : static_cast<int64_t>(batch.lines.size())));
    HEARTH_RETURN_IF_ERROR(insert.bind_int64(13, now_s));
    HEARTH_RETURN_IF_ERROR(insert.bind_optional_int64(14, failed ? std::nullopt : std::optional<int64_t>(now_s)));
    HEARTH_RETURN_IF_ERROR(insert.bind_int64(15, now_s + batch.completion_window_s));
    HEARTH_RETURN_IF_ERROR(insert.bind_optional_int64(16, failed ? std::optional<int64_t>(now_s) : std::nullopt));
    HEARTH_RETURN_IF_ERROR(insert.run());
    if (failed) return ok_status();
    HEARTH_ASSIGN_OR_RETURN(
        db::Statement line,
        session.prepare("INSERT INTO batch_lines(batch_id, line_idx, custom_id, body) VALUES (?1, ?2, ?3, ?4)"));
    HEARTH_RETURN_IF_ERROR(line.bind_text(1, id));
    for (size_t idx = 0; idx < batch.lines.size(); ++idx) {
      HEARTH_RETURN_IF_ERROR(line.reset());
      HEARTH_RETURN_IF_ERROR(line.bind_int64(2, static_cast<int64_t>(idx)));
      HEARTH_RETURN_IF_ERROR(line.bind_text(3, batch.lines[idx].custom_id));
      HEARTH_RETURN_IF_ERROR(line.bind_text(4, batch.lines[idx].body));
      HEARTH_RETURN_IF_ERROR(line.run());
    }
    return ok_status();
  }));
  return get_locked(session, id);
}

Result<BatchRecord> BatchStore::get(std::string_view id) {
  db::Database::Session session = db_->lock();
  return get_locked(session, id);
}

Result<std::vector<BatchRecord>> BatchStore::list(std::string_view owner, std::string_view after, int64_t limit,
                                                  bool* has_more) {
  if (limit < 1 || limit > 100) return invalid_argument_error("limit must be 1 to 100");
  db::Database::Session session = db_->lock();
  std::string sql = "SELECT " + std::string(kColumns) + " FROM batches WHERE key_name = ?3";
  if (!after.empty()) sql += " AND rowid < (SELECT rowid FROM batches WHERE id = ?1)";
  sql += " ORDER BY rowid DESC LIMIT ?2";
  HEARTH_ASSIGN_OR_RETURN(db::Statement select, session.prepare(sql));
  if (!after.empty()) HEARTH_RETURN_IF_ERROR(select.bind_text(1, after));
  HEARTH_RETURN_IF_ERROR(select.bind_int64(2, limit + 1));
  HEARTH_RETURN_IF_ERROR(select.bind_text(3, owner));
  std::vector<BatchRecord> batches;
  while (true) {
    HEARTH_ASSIGN_OR_RETURN(bool has_row, select.step());
    if (!has_row) break;
    HEARTH_ASSIGN_OR_RETURN(BatchRecord batch, read_row(select));
    batches.push_back(std::move(batch));
  }
  *has_more = static_cast<int64_t>(batches.size()) > limit;
  if (*has_more) batches.pop_back();
  return batches;
}

Result<BatchRecord> BatchStore::request_cancel(std::string_view id) {
  const int64_t now_s = now_unix_ms_() / 1000;
  db::Database::Session session = db_->lock();
  HEARTH_RETURN_IF_ERROR(session.write_transaction([&]() -> Status {
    HEARTH_ASSIGN_OR_RETURN(BatchRecord batch, get_locked(session, id));
    if (batch.status == BatchStatus::kCancelling || batch.status == BatchStatus::kCancelled) return ok_status();
    if (batch.status != BatchStatus::kInProgress && batch.status != BatchStatus::kValidating) {
      return failed_precondition_error("Cannot cancel the batch " + batch.id + ": it is " +
                                       std::string(batch_status_name(batch.status)));
    }
    return set_status(session, id, BatchStatus::kCancelling, "cancelling_at", now_s);
  }));
  return get_locked(session, id);
}

Result<std::vector<BatchRecord>> BatchStore::active() {
  db::Database::Session session = db_->lock();
  HEARTH_ASSIGN_OR_RETURN(db::Statement select,
                          session.prepare("SELECT " + std::string(kColumns) +
                                          " FROM batches WHERE status IN ('in_progress', 'cancelling', 'finalizing') "
                                          "ORDER BY rowid ASC"));
  std::vector<BatchRecord> batches;
  while (true) {
    HEARTH_ASSIGN_OR_RETURN(bool has_row, select.step());
    if (!has_row) break;
    HEARTH_ASSIGN_OR_RETURN(BatchRecord batch, read_row(select));
    batches.push_back(std::move(batch));
  }
  return batches;
}

Result<std::vector<PendingLine>> BatchStore::pending_lines(std::string_view batch_id, int64_t after_idx,
                                                          int64_t limit) {
  db::Database::Session session = db_->lock();
  HEARTH_ASSIGN_OR_RETURN(db::Statement select,
                          session.prepare("SELECT line_idx, custom_id, body FROM batch_lines WHERE batch_id = ?1 AND "
                                          "done = 0 AND line_idx > ?2 ORDER BY line_idx LIMIT ?3"));
  HEARTH_RETURN_IF_ERROR(select.bind_text(1, batch_id));
  HEARTH_RETURN_IF_ERROR(select.bind_int64(2, after_idx));
  HEARTH_RETURN_IF_ERROR(select.bind_int64(3, limit));
  std::vector<PendingLine> lines;
  while (true) {
    HEARTH_ASSIGN_OR_RETURN(bool has_row, select.step());
    if (!has_row) break;
    lines.push_back(PendingLine{std::string(batch_id), select.column_int64(0), select.column_text(1),
                                select.column_text(2)});
  }
  return lines;
}

Result<bool> BatchStore::commit_line(std::string_view batch_id, int64_t line_idx, const LineResult& result) {
  bool committed = false;
  db::Database::Session session = db_->lock();
  HEARTH_RETURN_IF_ERROR(session.write_transaction([&]() -> Status {
    HEARTH_ASSIGN_OR_RETURN(db::Statement update,
                            session.prepare("UPDATE batch_lines SET done = ?3, result = ?4 WHERE batch_id = ?1 AND "
                                            "line_idx = ?2 AND done = 0"));
    HEARTH_RETURN_IF_ERROR(update.bind_text(1, batch_id));
    HEARTH_RETURN_IF_ERROR(update.bind_int64(2, line_idx));
    HEARTH_RETURN_IF_ERROR(update.bind_int64(3, result.success ? 1 : 2));
    HEARTH_RETURN_IF_ERROR(update.bind_text(4, result.output_line));
    HEARTH_RETURN_IF_ERROR(update.run());
    if (session.changes() == 0) {
      HEARTH_ASSIGN_OR_RETURN(db::Statement exists,
                              session.prepare("SELECT 1 FROM batch_lines WHERE batch_id = ?1 AND line_idx = ?2"));
      HEARTH_RETURN_IF_ERROR(exists.bind_text(1, batch_id));
      HEARTH_RETURN_IF_ERROR(exists.bind_int64(2, line_idx));
      HEARTH_ASSIGN_OR_RETURN(bool has_row, exists.step());
      if (!has_row) {
        return not_found_error("the batch " + std::string(batch_id) + " has no line " + std::to_string(line_idx));
      }
      return ok_status();  // done before: this result is dropped
    }
    committed = true;
    HEARTH_ASSIGN_OR_RETURN(
        db::Statement counts,
        session.prepare("UPDATE batches SET n_completed = n_completed + ?2, n_failed = n_failed + ?3, "
                        "input_tokens = input_tokens + ?4, cached_tokens = cached_tokens + ?5, "
                        "output_tokens = output_tokens + ?6 WHERE id = ?1"));
    HEARTH_RETURN_IF_ERROR(counts.bind_text(1, batch_id));
    HEARTH_RETURN_IF_ERROR(counts.bind_int64(2, result.success ? 1 : 0));
    HEARTH_RETURN_IF_ERROR(counts.bind_int64(3, result.success ? 0 : 1));
    HEARTH_RETURN_IF_ERROR(counts.bind_int64(4, result.tokens.input_tokens));
    HEARTH_RETURN_IF_ERROR(counts.bind_int64(5, result.tokens.cached_tokens));
    HEARTH_RETURN_IF_ERROR(counts.bind_int64(6, result.tokens.output_tokens));
    return counts.run();
  }));
  return committed;
}

Status BatchStore::mark_finalizing(std::string_view id) {
  const int64_t now_s = now_unix_ms_() / 1000;
  db::Database::Session session = db_->lock();
  return session.write_transaction([&]() -> Status {
    HEARTH_ASSIGN_OR_RETURN(BatchRecord batch, get_locked(session, id));
    if (batch.status == BatchStatus::kFinalizing) return ok_status();
    if (batch.status != BatchStatus::kInProgress) {
      return failed_precondition_error("the batch " + batch.id + " is " +
                                       std::string(batch_status_name(batch.status)) + ", not in_progress");
    }
    return set_status(session, id, BatchStatus::kFinalizing, "finalizing_at", now_s);
  });
}

Result<BatchOutputs> BatchStore::outputs(std::string_view id) {
  db::Database::Session session = db_->lock();
  HEARTH_ASSIGN_OR_RETURN(db::Statement select,
                          session.prepare("SELECT done, result FROM batch_lines WHERE batch_id = ?1 AND done != 0 "
                                          "ORDER BY line_idx"));
  HEARTH_RETURN_IF_ERROR(select.bind_text(1, id));
  BatchOutputs outputs;
  while (true) {
    HEARTH_ASSIGN_OR_RETURN(bool has_row, select.step());
    if (!has_row) break;
    const bool success = select.column_int64(0) == 1;
    std::string& into = success ? outputs.output : outputs.errors;
    into += select.column_text(1);
    into += '\n';
    ++(success ? outputs.n_output_lines : outputs.n_error_lines);
  }
  return outputs;
}

Status BatchStore::finish(std::string_view id, BatchStatus status, std::optional<std::string> output_file_id,
                          std::optional<std::string> error_file_id) {
  std::string_view time_column;
  switch (status) {
    case BatchStatus::kCompleted:
      time_column = "completed_at";
      break;
    case BatchStatus::kCancelled:
      time_column = "cancelled_at";
      break;
    case BatchStatus::kExpired:
      time_column = "expired_at";
      break;
    default:
      return internal_error("a batch cannot finish as " + std::string(batch_status_name(status)));
  }
  const int64_t now_s = now_unix_ms_() / 1000;
  db::Database::Session session = db_->lock();
  return session.write_transaction([&]() -> Status {
    HEARTH_RETURN_IF_ERROR(set_status(session, id, status, time_column, now_s));
    HEARTH_ASSIGN_OR_RETURN(db::Statement files,
                            session.prepare("UPDATE batches SET output_file_id = ?2, error_file_id = ?3 WHERE id = ?1"));
    HEARTH_RETURN_IF_ERROR(files.bind_text(1, id));
    if (output_file_id) {
      HEARTH_RETURN_IF_ERROR(files.bind_text(2, *output_file_id));
    } else {
      HEARTH_RETURN_IF_ERROR(files.bind_null(2));
    }
    if (error_file_id) {
      HEARTH_RETURN_IF_ERROR(files.bind_text(3, *error_file_id));
    } else {
      HEARTH_RETURN_IF_ERROR(files.bind_null(3));
    }
    return files.run();
  });
}

}  // namespace hearth::jobs
