// db::Database: opening (modes, WAL, not-a-database), migrations by
// user_version (once, atomically, newer files refused), statements and their
// errors, and a second connection on the same file (visibility, busy, data_version).
#include "db/sqlite_db.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <vector>

#include "temp_dir.h"

namespace hearth::db {
namespace {

using test::TempDir;

std::unique_ptr<Database> open_or_die(const std::string& path, const DatabaseOptions& options = {}) {
  Result<std::unique_ptr<Database>> db = Database::open(path, options);
  EXPECT_TRUE(db.ok()) << db.status().to_string();
  return db.ok() ? std::move(db).value() : nullptr;
}

int64_t count_rows(Database& db, const std::string& table) {
  Database::Session session = db.lock();
  Result<Statement> query = session.prepare("SELECT count(*) FROM " + table);
  EXPECT_TRUE(query.ok()) << query.status().to_string();
  if (!query.ok()) return -1;
  Result<bool> has_row = query->step();
  EXPECT_TRUE(has_row.ok() && *has_row);
  return query->column_int64(0);
}

const Migration kSteps[] = {
    {"notes: create table", "CREATE TABLE notes(id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE);"},
    {"notes: first note", "INSERT INTO notes(text) VALUES ('first');"},
    {"notes: index", "CREATE INDEX notes_text ON notes(text);"},
};

class DatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(dir_.ok()); }
  TempDir dir_;
};

TEST_F(DatabaseTest, OpenCreatesPrivateParentDirsAndFileInWalMode) {
  const std::string path = dir_.file("state/nested/hearth.db");
  std::unique_ptr<Database> db = open_or_die(path);
  ASSERT_NE(db, nullptr);
  struct stat info {};
  ASSERT_EQ(::stat(dir_.file("state/nested").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);

  Database::Session session = db->lock();
  Result<Statement> mode = session.prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok());
  ASSERT_TRUE(*mode->step());
  EXPECT_EQ(mode->column_text(0), "wal");
  Result<Statement> foreign_keys = session.prepare("PRAGMA foreign_keys");
  ASSERT_TRUE(foreign_keys.ok());
  ASSERT_TRUE(*foreign_keys->step());
  EXPECT_EQ(foreign_keys->column_int64(0), 1);
  Result<Statement> synchronous = session.prepare("PRAGMA synchronous");
  ASSERT_TRUE(synchronous.ok());
  ASSERT_TRUE(*synchronous->step());
  EXPECT_EQ(synchronous->column_int64(0), 1);  // NORMAL
}

TEST_F(DatabaseTest, RefusesAFileThatIsNotADatabase) {
  const std::string path = dir_.file("junk.db");
  std::ofstream(path) << std::string(4096, 'x');
  Result<std::unique_ptr<Database>> db = Database::open(path);
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), ErrorCode::kDataLoss);
  EXPECT_NE(db.status().message().find("not a hearth database"), std::string::npos) << db.status().message();
}

TEST_F(DatabaseTest, RefusesAnEmptyPathAndADirectory) {
  EXPECT_EQ(Database::open("").status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(Database::open(dir_.path()).status().code(), ErrorCode::kIo);
}

TEST_F(DatabaseTest, MigrationsApplyOnceAndInOrder) {
  const std::string path = dir_.file("hearth.db");
  std::unique_ptr<Database> db = open_or_die(path);
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(*db->schema_version(), 0);
  ASSERT_TRUE(db->migrate(std::span(kSteps).first(2)).ok());
  EXPECT_EQ(*db->schema_version(), 2);
  EXPECT_EQ(count_rows(*db, "notes"), 1);

  // Again, and from a fresh connection: nothing is applied twice.
  ASSERT_TRUE(db->migrate(std::span(kSteps).first(2)).ok());
  db.reset();
  db = open_or_die(path);
  ASSERT_TRUE(db->migrate(std::span(kSteps).first(2)).ok());
  EXPECT_EQ(count_rows(*db, "notes"), 1);

  // A binary with one more step applies only that one.
  ASSERT_TRUE(db->migrate(kSteps).ok());
  EXPECT_EQ(*db->schema_version(), 3);
  EXPECT_EQ(count_rows(*db, "notes"), 1);
  EXPECT_EQ(count_rows(*db, "sqlite_master WHERE type = 'index' AND name = 'notes_text'"), 1);
}

TEST_F(DatabaseTest, ANewerDatabaseIsRefusedAndLeftAlone) {
  std::unique_ptr<Database> db = open_or_die(dir_.file("hearth.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->migrate(kSteps).ok());
  const Status refused = db->migrate(std::span(kSteps).first(1));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(refused.message().find("schema version 3, newer than this hearth knows (1)"), std::string::npos)
      << refused.message();
  EXPECT_EQ(*db->schema_version(), 3);
  EXPECT_EQ(count_rows(*db, "notes"), 1);
}

TEST_F(DatabaseTest, AFailingStepRollsBackEveryStepOfTheRun) {
  std::unique_ptr<Database> db = open_or_die(dir_.file("hearth.db"));
  ASSERT_NE(db, nullptr);
  const Migration broken[] = {
      kSteps[0],
      {"notes: broken", "INSERT INTO notes(missing_column) VALUES (1);"},
  };
  const Status failed = db->migrate(broken);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.message().find("schema step 2 (notes: broken)"), std::string::npos) << failed.message();
  EXPECT_NE(failed.message().find("INSERT INTO notes(missing_column)"), std::string::npos) << failed.message();
  EXPECT_EQ(*db->schema_version(), 0);
  EXPECT_EQ(count_rows(*db, "sqlite_master WHERE name = 'notes'"), 0);
}

TEST_F(DatabaseTest, ErrorsNameTheStatement) {
  std::unique_ptr<Database> db = open_or_die(dir_.file("hearth.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->migrate(kSteps).ok());
  Database::Session session = db->lock();

  Result<Statement> bad = session.prepare("SELECT missing_column FROM nowhere");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), ErrorCode::kInternal);
  EXPECT_NE(bad.status().message().find("`SELECT missing_column FROM nowhere`"), std::string::npos);
  EXPECT_NE(bad.status().message().find("no such table: nowhere"), std::string::npos) << bad.status().message();

  Result<Statement> insert = session.prepare("INSERT INTO notes(text) VALUES (?1)");
  ASSERT_TRUE(insert.ok());
  ASSERT_TRUE(insert->bind_text(1, "first").ok());
  const Status duplicate = insert->run();
  ASSERT_FALSE(duplicate.ok());
  EXPECT_EQ(duplicate.code(), ErrorCode::kFailedPrecondition);
  EXPECT_NE(duplicate.message().find("INSERT INTO notes(text) VALUES (?1)"), std::string::npos);
  EXPECT_NE(duplicate.message().find("UNIQUE constraint failed"), std::string::npos);

  const Status out_of_range = insert->bind_text(7, "x");
  EXPECT_EQ(out_of_range.code(), ErrorCode::kOutOfRange);
  EXPECT_NE(out_of_range.message().find("bind 7 of"), std::string::npos);

  Result<Statement> two = session.prepare("SELECT 1; SELECT 2");
  EXPECT_EQ(two.status().code(), ErrorCode::kInternal);
  EXPECT_FALSE(session.exec("CREATE TABLE notes(x)").ok());
}

TEST_F(DatabaseTest, BindsAndReadsEveryType) {
  std::unique_ptr<Database> db = open_or_die(dir_.file("hearth.db"));
  ASSERT_NE(db, nullptr);
  Database::Session session = db->lock();
  ASSERT_TRUE(session.exec("CREATE TABLE t(i INTEGER, s TEXT, b BLOB, n INTEGER)").ok());
  Result<Statement> insert = session.prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4)");
  ASSERT_TRUE(insert.ok());
  const std::string text_with_nul("a\0b", 3);
  const std::vector<uint8_t> blob = {0, 1, 255};
  ASSERT_TRUE(insert->bind_int64(1, INT64_MIN).ok());
  ASSERT_TRUE(insert->bind_text(2, text_with_nul).ok());
  ASSERT_TRUE(insert->bind_blob(3, blob).ok());
  ASSERT_TRUE(insert->bind_optional_int64(4, std::nullopt).ok());
  ASSERT_TRUE(insert->run().ok());
  EXPECT_EQ(session.changes(), 1);
  EXPECT_EQ(session.last_insert_rowid(), 1);
  ASSERT_TRUE(insert->reset().ok());
  ASSERT_TRUE(insert->bind_blob(3, {}).ok());
  ASSERT_TRUE(insert->bind_optional_int64(4, 42).ok());
  ASSERT_TRUE(insert->run().ok());

  Result<Statement> query = session.prepare("SELECT i, s, b, n, typeof(b) FROM t ORDER BY rowid");
  ASSERT_TRUE(query.ok());
  ASSERT_TRUE(*query->step());
  EXPECT_EQ(query->column_int64(0), INT64_MIN);
  EXPECT_EQ(query->column_text(1), text_with_nul);
  EXPECT_EQ(query->column_blob(2), blob);
  EXPECT_TRUE(query->is_null(3));
  EXPECT_EQ(query->column_optional_int64(3), std::nullopt);
  ASSERT_TRUE(*query->step());
  EXPECT_EQ(query->column_optional_int64(3), 42);
  EXPECT_TRUE(query->column_blob(2).empty());
  EXPECT_EQ(query->column_text(4), "blob");  // an empty blob stays a blob, not NULL
  EXPECT_FALSE(*query->step());
}

TEST_F(DatabaseTest, AFailedTransactionBodyRollsBack) {
  std::unique_ptr<Database> db = open_or_die(dir_.file("hearth.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->migrate(kSteps).ok());
  {
    Database::Session session = db->lock();
    const Status failed = session.write_transaction([&]() -> Status {
      HEARTH_RETURN_IF_ERROR(session.exec("INSERT INTO notes(text) VALUES ('second')"));
      return not_found_error("the caller changed its mind");
    });
    EXPECT_EQ(failed.code(), ErrorCode::kNotFound);
    // The connection is usable again: a new transaction begins.
    EXPECT_TRUE(
        session.write_transaction([&] { return session.exec("INSERT INTO notes(text) VALUES ('third')"); }).ok());
  }
  EXPECT_EQ(count_rows(*db, "notes WHERE text = 'second'"), 0);
  EXPECT_EQ(count_rows(*db, "notes WHERE text = 'third'"), 1);
}

TEST_F(DatabaseTest, ASecondConnectionSeesCommittedWritesAndDataVersionMoves) {
  const std::string path = dir_.file("hearth.db");
  std::unique_ptr<Database> writer = open_or_die(path);
  std::unique_ptr<Database> reader = open_or_die(path);
  ASSERT_NE(writer, nullptr);
  ASSERT_NE(reader, nullptr);
  ASSERT_TRUE(writer->migrate(kSteps).ok());
  ASSERT_TRUE(reader->migrate(kSteps).ok());  // already there: a no-op

  const int64_t reader_version = *reader->lock().data_version();
  const int64_t writer_version = *writer->lock().data_version();
  {
    Database::Session session = writer->lock();
    ASSERT_TRUE(session.exec("INSERT INTO notes(text) VALUES ('from the writer')").ok());
  }
  EXPECT_EQ(count_rows(*reader, "notes WHERE text = 'from the writer'"), 1);
  EXPECT_NE(*reader->lock().data_version(), reader_version);
  EXPECT_EQ(*writer->lock().data_version(), writer_version);  // its own commit does not count
}

TEST_F(DatabaseTest, AWriterWaitsForAnotherThenReportsUnavailable) {
  const std::string path = dir_.file("hearth.db");
  std::unique_ptr<Database> first = open_or_die(path);
  std::unique_ptr<Database> second = open_or_die(path, DatabaseOptions{std::chrono::milliseconds(50)});
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  ASSERT_TRUE(first->migrate(kSteps).ok());
  Database::Session holder = first->lock();
  const Status held = holder.write_transaction([&]() -> Status {
    HEARTH_RETURN_IF_ERROR(holder.exec("INSERT INTO notes(text) VALUES ('held')"));
    Database::Session other = second->lock();
    const Status blocked = other.exec("INSERT INTO notes(text) VALUES ('blocked')");
    EXPECT_EQ(blocked.code(), ErrorCode::kUnavailable) << blocked.to_string();
    // Readers are not blocked by the writer (WAL) and see the last commit.
    Result<Statement> query = other.prepare("SELECT count(*) FROM notes");
    EXPECT_TRUE(query.ok());
    if (query.ok()) {
      EXPECT_TRUE(*query->step());
      EXPECT_EQ(query->column_int64(0), 1);
    }
    return ok_status();
  });
  EXPECT_TRUE(held.ok()) << held.to_string();
}

}  // namespace
}  // namespace hearth::db
