// SQLite access for hearth's state (hearth.db: API keys, the egress ledger):
// one connection per Database, WAL, schema migrations by PRAGMA user_version,
// and a prepared-statement wrapper whose every failure is a Status naming the
// statement.
//
//   HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<Database> db, Database::open(path));
//   HEARTH_RETURN_IF_ERROR(db->migrate(steps));
//   Database::Session session = db->lock();
//   HEARTH_ASSIGN_OR_RETURN(Statement insert, session.prepare("INSERT INTO t(name) VALUES (?1)"));
//   HEARTH_RETURN_IF_ERROR(insert.bind_text(1, name));
//   HEARTH_RETURN_IF_ERROR(insert.run());
//
// Thread-safety: a Database may be shared by threads. Everything that touches
// the connection goes through a Session, which holds the Database's mutex for
// its lifetime; Statements come from a Session and must be destroyed before
// it (declare them after it in the same scope). Other processes may open the
// same file at once: WAL lets readers run beside one writer, and a writer
// waits up to busy_timeout for another's transaction before failing with
// kUnavailable.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

struct sqlite3;       // kept out of this header: only sqlite_db.cpp includes sqlite3.h
struct sqlite3_stmt;  // NOLINT

namespace hearth::db {

struct SqliteCloser {
  void operator()(sqlite3* connection) const;
};
using UniqueSqlite = std::unique_ptr<sqlite3, SqliteCloser>;

struct SqliteStmtFinalizer {
  void operator()(sqlite3_stmt* statement) const;
};
using UniqueSqliteStmt = std::unique_ptr<sqlite3_stmt, SqliteStmtFinalizer>;

// One schema step: SQL text (one or more statements) that brings the schema
// from version N to N+1. A list of steps is append-only: step i (0-based) is
// version i+1 forever; a change to a released table is a new step.
struct Migration {
  std::string_view name;  // for errors: "api_keys: create table"
  std::string_view sql;
};

struct DatabaseOptions {
  // How long a write waits for another connection's transaction to end.
  std::chrono::milliseconds busy_timeout{5000};
};

// A prepared statement. Parameters and columns are numbered as in SQLite:
// parameters from 1 (?1, ?2, ...), columns from 0.
class Statement {
 public:
  Statement(Statement&&) noexcept = default;
  Statement& operator=(Statement&&) noexcept = default;

  Status bind_int64(int index, int64_t value);
  Status bind_text(int index, std::string_view value);
  Status bind_blob(int index, std::span<const uint8_t> value);
  Status bind_null(int index);
  // NULL for nullopt.
  Status bind_optional_int64(int index, std::optional<int64_t> value);

  // Advances: true when a row is ready to read, false when the statement is done.
  Result<bool> step();
  // Steps to the end of a statement that returns no rows (INSERT, UPDATE, DDL).
  Status run();
  // Makes the statement ready to step again (bindings are kept).
  Status reset();

  // Column getters read the current row (after step() returned true). A NULL
  // reads as 0 or empty; use is_null or column_optional_int64 where NULL means something.
  int64_t column_int64(int column) const;
  std::optional<int64_t> column_optional_int64(int column) const;
  std::string column_text(int column) const;
  std::vector<uint8_t> column_blob(int column) const;
  bool is_null(int column) const;

  const std::string& sql() const { return sql_; }

 private:
  friend class Database;
  Statement(sqlite3* connection, UniqueSqliteStmt statement, std::string sql);
  Status check(int rc, std::string_view what) const;

  sqlite3* connection_;  // owned by the Database; outlives this Statement (see the header comment)
  UniqueSqliteStmt statement_;
  std::string sql_;
};

class Database {
 public:
  // Exclusive use of the connection: holds the Database's mutex until destroyed.
  class Session {
   public:
    Session(Session&&) noexcept = default;

    // kInternal for SQL that does not compile against the schema (a bug), naming the statement.
    Result<Statement> prepare(std::string_view sql);
    // Runs SQL text of one or more statements that return no rows.
    Status exec(std::string_view sql);
    // BEGIN IMMEDIATE (takes the write lock at once, so two writers cannot
    // both read and then fail to upgrade); runs `body`; COMMIT when it returns
    // ok, else ROLLBACK and its Status. Not nestable.
    Status write_transaction(const std::function<Status()>& body);
    // BEGIN DEFERRED: a consistent snapshot for several reads.
    Status read_transaction(const std::function<Status()>& body);

    int64_t last_insert_rowid() const;
    // Rows changed by the last INSERT, UPDATE or DELETE.
    int64_t changes() const;
    // PRAGMA data_version: changes whenever another connection (this process
    // or another) commits to the file; this connection's own commits leave it alone.
    Result<int64_t> data_version();

   private:
    friend class Database;
    explicit Session(Database& db);
    Status transaction(std::string_view begin_sql, const std::function<Status()>& body);

    Database* db_;
    std::unique_lock<std::mutex> lock_;
  };

  // Opens (creating it and its parent directories, mode 0700/0600, when
  // missing) the database at `path`: WAL, synchronous=NORMAL, foreign keys
  // on. kDataLoss for a file that is not a SQLite database, kIo when the
  // file or a directory cannot be made or opened, kFailedPrecondition when
  // WAL is refused (a network file system).
  static Result<std::unique_ptr<Database>> open(const std::string& path, const DatabaseOptions& options = {});

  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Applies the steps the file does not have yet, all in one transaction,
  // and sets user_version to steps.size(). kFailedPrecondition when the file
  // is at a version beyond steps.size() (written by a newer hearth): nothing
  // is changed then. Safe against another process migrating at the same time.
  Status migrate(std::span<const Migration> steps);
  // PRAGMA user_version.
  Result<int64_t> schema_version();

  Session lock() { return Session(*this); }
  const std::string& path() const { return path_; }

 private:
  Database(std::string path, UniqueSqlite connection);

  std::string path_;
  std::mutex mutex_;
  UniqueSqlite connection_;  // guarded by mutex_ (through Session)
};

}  // namespace hearth::db
