// Batches of OpenAI's Batches API and their lines, in hearth.db (tables
// batches and batch_lines, jobs/jobs_schema.h). The store is the queue: the
// runner (jobs/batch_runner.h) reads pending lines from it and commits each
// finished line's output line here, exactly once (an UPDATE of a line not
// yet done, with the batch's counters, in one transaction), so a crash at
// any point loses at most lines still running, which are run again.
//
// Lifecycle (statuses as OpenAI names them):
//   create (lines checked by the caller) -> in_progress, or failed with errors
//   in_progress -> finalizing (no line pending) -> completed (output files stored)
//   in_progress -> cancelling (request_cancel) -> cancelled (finish)
//   in_progress -> expired (finish, past expires_at)
// Times are Unix seconds from the injected clock.
//
//   HEARTH_ASSIGN_OR_RETURN(BatchStore store, BatchStore::open(db, unix_now_ms));
//   HEARTH_ASSIGN_OR_RETURN(BatchRecord batch, store.create(std::move(new_batch)));
//   HEARTH_ASSIGN_OR_RETURN(auto lines, store.pending_lines(batch.id, -1, 8));
//   HEARTH_ASSIGN_OR_RETURN(bool committed, store.commit_line(batch.id, lines[0].line_idx, result));
//
// Thread-safety: any thread (every call takes the Database's Session).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "db/sqlite_db.h"

namespace hearth::jobs {

enum class BatchStatus { kValidating, kFailed, kInProgress, kFinalizing, kCompleted, kExpired, kCancelling, kCancelled };

// OpenAI's name ("in_progress", ...).
std::string_view batch_status_name(BatchStatus status);
std::optional<BatchStatus> parse_batch_status(std::string_view name);
// completed, failed, expired, cancelled: nothing will change any more.
bool is_final(BatchStatus status);

struct BatchLineInput {
  std::string custom_id;
  std::string body;  // the request body as sent (JSON text; the API layer reads it)
};

struct NewBatch {
  std::string endpoint;  // "/v1/chat/completions", "/v1/completions", "/v1/embeddings"
  std::string model;     // the first line's model (what listings show)
  std::string input_file_id;
  std::string completion_window = "24h";
  int64_t completion_window_s = 24 * 3600;
  std::string key_name;    // the key that created it; "" without one
  std::string data_class;  // the class its lines run at (gateway/data_class.h names)
  std::string job_window;  // the job's own window ("22:00-06:00"); "" for the server's
  std::string metadata_json = "null";  // opaque to the store
  // Not "[]": the input was refused; the batch is stored as failed with these
  // errors (JSON, opaque to the store) and no lines.
  std::string errors_json = "[]";
  std::vector<BatchLineInput> lines;
};

struct BatchTokens {
  int64_t input_tokens = 0;
  int64_t cached_tokens = 0;
  int64_t output_tokens = 0;
};

struct BatchRecord {
  std::string id;  // "batch_" + 24 letters and digits
  std::string endpoint;
  std::string model;
  std::string input_file_id;
  std::string completion_window;
  BatchStatus status = BatchStatus::kValidating;
  std::string key_name;
  std::string data_class;
  std::string job_window;
  std::string metadata_json;
  std::string errors_json;
  std::optional<std::string> output_file_id;
  std::optional<std::string> error_file_id;
  int64_t n_total = 0;
  int64_t n_completed = 0;
  int64_t n_failed = 0;
  int64_t created_at_s = 0;
  std::optional<int64_t> in_progress_at_s, expires_at_s, finalizing_at_s, completed_at_s, failed_at_s, expired_at_s,
      cancelling_at_s, cancelled_at_s;
  BatchTokens tokens;
};

struct PendingLine {
  std::string batch_id;
  int64_t line_idx = 0;  // 0-based position in the input file
  std::string custom_id;
  std::string body;
};

// A finished line. success: it goes to the output file, else to the error file.
struct LineResult {
  bool success = false;
  std::string output_line;  // one JSONL line, without its newline
  BatchTokens tokens;
};

// What the output and error files of a batch hold: the committed lines in
// input order, each followed by '\n'.
struct BatchOutputs {
  std::string output;
  std::string errors;
  int64_t n_output_lines = 0;
  int64_t n_error_lines = 0;
};

class BatchStore {
 public:
  // Precondition: `db` holds jobs_migrations() and outlives the store.
  static Result<BatchStore> open(db::Database& db, std::function<int64_t()> now_unix_ms);

  // Stores the batch and its lines in one transaction: in_progress (with
  // in_progress_at and expires_at), or failed when errors_json is not "[]".
  Result<BatchRecord> create(NewBatch&& batch);
  // kNotFound naming the id.
  Result<BatchRecord> get(std::string_view id);
  // The batches of key `owner` ("" without keys), newest first; `after` a batch id.
  Result<std::vector<BatchRecord>> list(std::string_view owner, std::string_view after, int64_t limit,
                                        bool* has_more);
  // in_progress -> cancelling. A batch already cancelling or cancelled is
  // returned as it is; one that completed, failed or expired is
  // kFailedPrecondition naming its status.
  Result<BatchRecord> request_cancel(std::string_view id);
  // Batches the runner has work for (in_progress, cancelling, finalizing), oldest first.
  Result<std::vector<BatchRecord>> active();
  // Up to `limit` lines not yet done with line_idx > after_idx, in order.
  Result<std::vector<PendingLine>> pending_lines(std::string_view batch_id, int64_t after_idx, int64_t limit);
  // Commits one line's result: true when this call committed it, false when it
  // was already done (it is then left as it was). kNotFound for no such line.
  Result<bool> commit_line(std::string_view batch_id, int64_t line_idx, const LineResult& result);
  // in_progress -> finalizing (finalizing_at set once); a batch already finalizing is left so.
  Status mark_finalizing(std::string_view id);
  Result<BatchOutputs> outputs(std::string_view id);
  // Ends the batch: `status` is completed, cancelled or expired; the files as stored.
  Status finish(std::string_view id, BatchStatus status, std::optional<std::string> output_file_id,
                std::optional<std::string> error_file_id);

 private:
  BatchStore(db::Database& db, std::function<int64_t()> now_unix_ms) : db_(&db), now_unix_ms_(std::move(now_unix_ms)) {}
  Result<BatchRecord> get_locked(db::Database::Session& session, std::string_view id);

  db::Database* db_;
  std::function<int64_t()> now_unix_ms_;
};

}  // namespace hearth::jobs
