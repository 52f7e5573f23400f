// Stored files of OpenAI's Files API: a row in hearth.db (table files) and
// the bytes in <dir>/<id> (dir is the state directory's files/). A file is
// written to a temporary name, fsynced and renamed before its row is
// committed, so a row always has its bytes; bytes without a row (a crash
// between the two) are removed by open().
//
//   HEARTH_ASSIGN_OR_RETURN(FileStore files, FileStore::open(db, state_dir + "/files", unix_now_ms));
//   HEARTH_ASSIGN_OR_RETURN(StoredFile file, files.create("alice", "batch", "in.jsonl", bytes));
//   HEARTH_ASSIGN_OR_RETURN(std::string content, files.read(file.id, "alice", limit));
//
// Owners: every file belongs to the API key that uploaded it (or whose batch
// wrote it; "" when the server takes no keys). get, read, list and remove see
// only the caller's own files: another key's file is kNotFound, as one that
// does not exist, so a key cannot read what a key of a higher data class stored.
//
// Thread-safety: any thread (rows through the Database's Session; each file's
// bytes are written once, under a name no other file has, before its row).
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

inline constexpr size_t kMaxFilenameBytes = 255;

struct StoredFile {
  std::string id;  // "file-" + 24 letters and digits
  std::string owner;
  std::string purpose;
  std::string filename;
  int64_t bytes = 0;
  int64_t created_at_s = 0;
};

struct FileListQuery {
  std::string owner;  // only this key's files
  std::optional<std::string> purpose;
  std::string after;    // a file id: list those after it in the order
  int64_t limit = 100;  // 1..10000
  bool ascending = false;  // by creation; newest first by default (OpenAI's order)
};

class FileStore {
 public:
  // Precondition: `db` holds jobs_migrations() and outlives the store. Creates
  // `dir` (0700) when missing; removes bytes no row names.
  static Result<FileStore> open(db::Database& db, std::string dir, std::function<int64_t()> now_unix_ms);

  // Stores `bytes`. kInvalidArgument for an empty or over-long filename or
  // purpose; kIo when the bytes cannot be written.
  Result<StoredFile> create(std::string_view owner, std::string_view purpose, std::string_view filename,
                            std::string_view bytes);
  // Stores `bytes` under a chosen id (a batch's output), replacing a file of
  // that id: writing it again after a crash gives the same result.
  Result<StoredFile> put(std::string_view id, std::string_view owner, std::string_view purpose,
                         std::string_view filename, std::string_view bytes);
  // kNotFound naming the id (also for another owner's file).
  Result<StoredFile> get(std::string_view id, std::string_view owner);
  // The page asked for, and whether more follow.
  Result<std::vector<StoredFile>> list(const FileListQuery& query, bool* has_more);
  // The file's bytes; kOutOfRange when it is larger than max_bytes.
  Result<std::string> read(std::string_view id, std::string_view owner, int64_t max_bytes);
  // Removes the row, then the bytes. kNotFound naming the id.
  Status remove(std::string_view id, std::string_view owner);

  const std::string& dir() const { return dir_; }

 private:
  FileStore(db::Database& db, std::string dir, std::function<int64_t()> now_unix_ms)
      : db_(&db), dir_(std::move(dir)), now_unix_ms_(std::move(now_unix_ms)) {}
  Status write_bytes(const std::string& id, std::string_view bytes);
  std::string path_of(std::string_view id) const { return dir_ + "/" + std::string(id); }

  db::Database* db_;
  std::string dir_;
  std::function<int64_t()> now_unix_ms_;
};

// A fresh id: prefix + 24 random letters and digits.
std::string random_object_id(std::string_view prefix);

// Whether `id` could be one of ours (prefix, then 1..64 letters, digits, '_' or '-'):
// ids from requests are checked before they reach a path.
bool is_safe_object_id(std::string_view id, std::string_view prefix);

}  // namespace hearth::jobs
