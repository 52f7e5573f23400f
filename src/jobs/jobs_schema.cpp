#include "jobs/jobs_schema.h"

namespace hearth::jobs {
namespace {

// files: one row per stored file; its bytes are <state dir>/files/<id>; owner is the key
// that uploaded it (or whose batch wrote it), '' without keys.
// batches: one row per batch; times are Unix seconds, NULL until they happen.
// batch_lines: one row per input line; `result` is the output line (a JSONL
// line without its newline), set exactly once, with `done` = 1 (success) or 2
// (error), in the transaction that commits the line.
constexpr db::Migration kMigrations[] = {
    {"jobs: create files, batches, batch_lines",
     "CREATE TABLE files ("
     "  id TEXT PRIMARY KEY,"
     "  owner TEXT NOT NULL,"
     "  purpose TEXT NOT NULL,"
     "  filename TEXT NOT NULL,"
     "  bytes INTEGER NOT NULL,"
     "  created_at INTEGER NOT NULL"
     ");"
     "CREATE TABLE batches ("
     "  id TEXT PRIMARY KEY,"
     "  endpoint TEXT NOT NULL,"
     "  model TEXT NOT NULL,"
     "  input_file_id TEXT NOT NULL,"
     "  completion_window TEXT NOT NULL,"
     "  status TEXT NOT NULL,"
     "  key_name TEXT NOT NULL,"
     "  data_class TEXT NOT NULL,"
     "  job_window TEXT NOT NULL,"
     "  metadata TEXT NOT NULL,"
     "  errors TEXT NOT NULL,"
     "  output_file_id TEXT,"
     "  error_file_id TEXT,"
     "  n_total INTEGER NOT NULL,"
     "  n_completed INTEGER NOT NULL DEFAULT 0,"
     "  n_failed INTEGER NOT NULL DEFAULT 0,"
     "  created_at INTEGER NOT NULL,"
     "  in_progress_at INTEGER, expires_at INTEGER, finalizing_at INTEGER, completed_at INTEGER,"
     "  failed_at INTEGER, expired_at INTEGER, cancelling_at INTEGER, cancelled_at INTEGER,"
     "  input_tokens INTEGER NOT NULL DEFAULT 0,"
     "  cached_tokens INTEGER NOT NULL DEFAULT 0,"
     "  output_tokens INTEGER NOT NULL DEFAULT 0"
     ");"
     "CREATE TABLE batch_lines ("
     "  batch_id TEXT NOT NULL REFERENCES batches(id) ON DELETE CASCADE,"
     "  line_idx INTEGER NOT NULL,"
     "  custom_id TEXT NOT NULL,"
     "  body TEXT NOT NULL,"
     "  done INTEGER NOT NULL DEFAULT 0,"
     "  result TEXT,"
     "  PRIMARY KEY (batch_id, line_idx)"
     ") WITHOUT ROWID;"
     // The runner asks for a batch's next pending lines on every pass: only those are indexed.
     "CREATE INDEX batch_lines_pending ON batch_lines(batch_id, line_idx) WHERE done = 0;"},
};

}  // namespace

std::span<const db::Migration> jobs_migrations() { return kMigrations; }

}  // namespace hearth::jobs
