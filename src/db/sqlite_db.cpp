#include "db/sqlite_db.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "base/unique_fd.h"

namespace hearth::db {
namespace {

// Statements in error messages: whole when short, else their start.
std::string quote_sql(std::string_view sql) {
  constexpr size_t kMaxShown = 160;
  std::string shown(sql.substr(0, kMaxShown));
  for (char& ch : shown) {
    if (ch == '\n' || ch == '\t') ch = ' ';
  }
  if (sql.size() > kMaxShown) shown += "...";
  return "`" + shown + "`";
}

ErrorCode error_code_for(int rc) {
  switch (rc & 0xff) {  // the primary code of an extended one
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return ErrorCode::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return ErrorCode::kDataLoss;
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_FULL:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_PROTOCOL:
      return ErrorCode::kIo;
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
      return ErrorCode::kOutOfRange;
    case SQLITE_CONSTRAINT:
      return ErrorCode::kFailedPrecondition;
    case SQLITE_NOMEM:
      return ErrorCode::kResourceExhausted;
    default:
      return ErrorCode::kInternal;  // SQL that does not fit the schema, misuse: bugs
  }
}

Status sqlite_error(sqlite3* connection, int rc, std::string_view what, std::string_view sql) {
  const char* detail = connection != nullptr ? sqlite3_errmsg(connection) : sqlite3_errstr(rc);
  return Status(error_code_for(rc), "sqlite: " + std::string(what) + " " + quote_sql(sql) + ": " + detail);
}

// Parent directories (0700: the state holds key hashes and the audit trail)
// and the file itself (0600) before SQLite opens it, which would use 0644.
Status create_file_and_dirs(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code error;
    std::filesystem::path partial;
    for (const std::filesystem::path& part : parent) {
      partial /= part;
      if (std::filesystem::exists(partial, error)) continue;
      if (::mkdir(partial.c_str(), 0700) != 0 && errno != EEXIST) {
        return io_error("cannot create directory " + partial.string() + ": " + std::strerror(errno));
      }
    }
  }
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!fd.valid()) return io_error("cannot open " + path + ": " + std::strerror(errno));
  return ok_status();
}

}  // namespace

void SqliteCloser::operator()(sqlite3* connection) const { sqlite3_close_v2(connection); }
void SqliteStmtFinalizer::operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }

// ---- Statement ----

Statement::Statement(sqlite3* connection, UniqueSqliteStmt statement, std::string sql)
    : connection_(connection), statement_(std::move(statement)), sql_(std::move(sql)) {}

Status Statement::check(int rc, std::string_view what) const {
  if (rc == SQLITE_OK) return ok_status();
  return sqlite_error(connection_, rc, what, sql_);
}

Status Statement::bind_int64(int index, int64_t value) {
  return check(sqlite3_bind_int64(statement_.get(), index, value), "bind " + std::to_string(index) + " of");
}

Status Statement::bind_text(int index, std::string_view value) {
  return check(sqlite3_bind_text64(statement_.get(), index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
               "bind " + std::to_string(index) + " of");
}

Status Statement::bind_blob(int index, std::span<const uint8_t> value) {
  // A zero-length blob with a null pointer would bind NULL; keep it a blob.
  static const uint8_t kEmpty = 0;
  const void* data = value.empty() ? &kEmpty : value.data();
  return check(sqlite3_bind_blob64(statement_.get(), index, data, value.size(), SQLITE_TRANSIENT),
               "bind " + std::to_string(index) + " of");
}

Status Statement::bind_null(int index) {
  return check(sqlite3_bind_null(statement_.get(), index), "bind " + std::to_string(index) + " of");
}

Status Statement::bind_optional_int64(int index, std::optional<int64_t> value) {
  return value ? bind_int64(index, *value) : bind_null(index);
}

Result<bool> Statement::step() {
  const int rc = sqlite3_step(statement_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  // After a failed step the statement must be reset before it runs again;
  // the error stays in sqlite3_errmsg until then.
  Status error = sqlite_error(connection_, rc, "step of", sql_);
  sqlite3_reset(statement_.get());
  return error;
}

Status Statement::run() {
  HEARTH_ASSIGN_OR_RETURN(const bool has_row, step());
  if (has_row) return internal_error("sqlite: " + quote_sql(sql_) + " returned a row where none was expected");
  return ok_status();
}

Status Statement::reset() { return check(sqlite3_reset(statement_.get()), "reset of"); }

int64_t Statement::column_int64(int column) const { return sqlite3_column_int64(statement_.get(), column); }

std::optional<int64_t> Statement::column_optional_int64(int column) const {
  if (is_null(column)) return std::nullopt;
  return column_int64(column);
}

std::string Statement::column_text(int column) const {
  const unsigned char* text = sqlite3_column_text(statement_.get(), column);
  const int n_bytes = sqlite3_column_bytes(statement_.get(), column);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(n_bytes));
}

std::vector<uint8_t> Statement::column_blob(int column) const {
  const auto* data = static_cast<const uint8_t*>(sqlite3_column_blob(statement_.get(), column));
  const int n_bytes = sqlite3_column_bytes(statement_.get(), column);
  if (data == nullptr) return {};
  return std::vector<uint8_t>(data, data + n_bytes);
}

bool Statement::is_null(int column) const { return sqlite3_column_type(statement_.get(), column) == SQLITE_NULL; }

// ---- Database::Session ----

Database::Session::Session(Database& db) : db_(&db), lock_(db.mutex_) {}

Result<Statement> Database::Session::prepare(std::string_view sql) {
  sqlite3* connection = db_->connection_.get();
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v2(connection, sql.data(), static_cast<int>(sql.size()), &raw, &tail);
  UniqueSqliteStmt statement(raw);
  if (rc != SQLITE_OK) return sqlite_error(connection, rc, "cannot prepare", sql);
  if (statement == nullptr) return internal_error("sqlite: " + quote_sql(sql) + " holds no statement");
  for (const char* rest = tail; rest != nullptr && rest < sql.data() + sql.size(); ++rest) {
    if (*rest != ' ' && *rest != '\n' && *rest != '\t' && *rest != ';') {
      return internal_error("sqlite: " + quote_sql(sql) + " holds more than one statement; use exec()");
    }
  }
  return Statement(connection, std::move(statement), std::string(sql));
}

Status Database::Session::exec(std::string_view sql) {
  sqlite3* connection = db_->connection_.get();
  const std::string text(sql);  // sqlite3_exec needs a terminated string
  const int rc = sqlite3_exec(connection, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return sqlite_error(connection, rc, "cannot run", sql);
  return ok_status();
}

Status Database::Session::transaction(std::string_view begin_sql, const std::function<Status()>& body) {
  HEARTH_RETURN_IF_ERROR(exec(begin_sql));
  Status status = body();
  if (status.ok()) status = exec("COMMIT");
  // A failed COMMIT (SQLITE_BUSY) leaves the transaction open; end it either way.
  if (!status.ok() && !sqlite3_get_autocommit(db_->connection_.get())) {
    (void)exec("ROLLBACK");  // the body's error is the one to report
  }
  return status;
}

Status Database::Session::write_transaction(const std::function<Status()>& body) {
  return transaction("BEGIN IMMEDIATE", body);
}

Status Database::Session::read_transaction(const std::function<Status()>& body) {
  return transaction("BEGIN DEFERRED", body);
}

int64_t Database::Session::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_->connection_.get()); }

int64_t Database::Session::changes() const { return sqlite3_changes64(db_->connection_.get()); }

Result<int64_t> Database::Session::data_version() {
  HEARTH_ASSIGN_OR_RETURN(Statement query, prepare("PRAGMA data_version"));
  HEARTH_ASSIGN_OR_RETURN(const bool has_row, query.step());
  if (!has_row) return internal_error("sqlite: PRAGMA data_version returned no row");
  return query.column_int64(0);
}

// ---- Database ----

Database::Database(std::string path, UniqueSqlite connection)
    : path_(std::move(path)), connection_(std::move(connection)) {}

Result<std::unique_ptr<Database>> Database::open(const std::string& path, const DatabaseOptions& options) {
  if (path.empty()) return invalid_argument_error("the database path is empty");
  HEARTH_RETURN_IF_ERROR(create_file_and_dirs(path));
  sqlite3* raw = nullptr;
  // NOMUTEX: Database's own mutex serializes the connection (see Session).
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  UniqueSqlite connection(raw);
  if (rc != SQLITE_OK) {
    return Status(error_code_for(rc), "cannot open the database " + path + ": " +
                                          (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, static_cast<int>(options.busy_timeout.count()));
  std::unique_ptr<Database> db(new Database(path, std::move(connection)));  // private constructor

  Session session = db->lock();
  // The first statement reads the header: a file that is not a database fails here.
  Result<Statement> journal = session.prepare("PRAGMA journal_mode=WAL");
  Result<bool> has_row = journal.ok() ? journal->step() : Result<bool>(journal.status());
  if (!has_row.ok()) {
    if (has_row.status().code() == ErrorCode::kDataLoss) {
      return data_loss_error(path + " is not a hearth database (SQLite refused it: " + has_row.status().message() +
                             ")");
    }
    return has_row.status();
  }
  if (!*has_row || journal->column_text(0) != "wal") {
    return failed_precondition_error("SQLite cannot use WAL for " + path +
                                     " (a network file system?); keep hearth's state on a local disk");
  }
  HEARTH_RETURN_IF_ERROR(session.exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"));
  return db;
}

Result<int64_t> Database::schema_version() {
  Session session = lock();
  HEARTH_ASSIGN_OR_RETURN(Statement query, session.prepare("PRAGMA user_version"));
  HEARTH_ASSIGN_OR_RETURN(const bool has_row, query.step());
  if (!has_row) return internal_error("sqlite: PRAGMA user_version returned no row");
  return query.column_int64(0);
}

Status Database::migrate(std::span<const Migration> steps) {
  const auto n_known = static_cast<int64_t>(steps.size());
  Session session = lock();
  return session.write_transaction([&]() -> Status {
    // Read under the write lock: a process migrating at the same time has finished or not begun.
    HEARTH_ASSIGN_OR_RETURN(Statement query, session.prepare("PRAGMA user_version"));
    HEARTH_ASSIGN_OR_RETURN(const bool has_row, query.step());
    if (!has_row) return internal_error("sqlite: PRAGMA user_version returned no row");
    const int64_t version = query.column_int64(0);
    if (version > n_known) {
      return failed_precondition_error(path_ + " is at schema version " + std::to_string(version) +
                                       ", newer than this hearth knows (" + std::to_string(n_known) +
                                       "); run a newer hearth, or use another state directory");
    }
    if (version < 0) return data_loss_error(path_ + " has a negative schema version " + std::to_string(version));
    for (int64_t step_idx = version; step_idx < n_known; ++step_idx) {
      const Migration& step = steps[static_cast<size_t>(step_idx)];
      Status applied = session.exec(step.sql);
      if (!applied.ok()) {
        return Status(applied.code(), "schema step " + std::to_string(step_idx + 1) + " (" + std::string(step.name) +
                                          ") failed: " + applied.message());
      }
    }
    if (version == n_known) return ok_status();
    // PRAGMA takes no parameters; the value is an integer this code made.
    return session.exec("PRAGMA user_version=" + std::to_string(n_known));
  });
}

}  // namespace hearth::db
