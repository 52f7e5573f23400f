#include "jobs/file_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>
#include <set>

#include "base/quoted_text.h"
#include "base/unique_fd.h"

namespace hearth::jobs {
namespace {

std::string errno_text() { return std::strerror(errno); }

Status check_text(std::string_view what, std::string_view text, size_t max_bytes) {
  if (text.empty() || text.size() > max_bytes) {
    return invalid_argument_error("the " + std::string(what) + " must be 1 to " + std::to_string(max_bytes) +
                                  " bytes");
  }
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      return invalid_argument_error("the " + std::string(what) + " holds a control character");
    }
  }
  return ok_status();
}

Status make_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) == 0 || errno == EEXIST) {
    struct stat info {};
    if (::stat(dir.c_str(), &info) != 0 || !S_ISDIR(info.st_mode)) {
      return io_error("the files directory " + dir + " is not a directory");
    }
    return ok_status();
  }
  return io_error("cannot create the files directory " + dir + ": " + errno_text());
}

Status fsync_dir(const std::string& dir) {
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return io_error("cannot open " + dir + ": " + errno_text());
  if (::fsync(fd.get()) != 0) return io_error("cannot fsync " + dir + ": " + errno_text());
  return ok_status();
}

StoredFile read_row(const db::Statement& row) {
  StoredFile file;
  file.id = row.column_text(0);
  file.purpose = row.column_text(1);
  file.filename = row.column_text(2);
  file.bytes = row.column_int64(3);
  file.created_at_s = row.column_int64(4);
  file.owner = row.column_text(5);
  return file;
}

constexpr std::string_view kColumns = "id, purpose, filename, bytes, created_at, owner";

}  // namespace

std::string random_object_id(std::string_view prefix) {
  static constexpr std::string_view kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  thread_local std::mt19937_64 rng(std::random_device{}());
  std::uniform_int_distribution<size_t> pick(0, kChars.size() - 1);
  std::string id(prefix);
  for (int idx = 0; idx < 24; ++idx) id.push_back(kChars[pick(rng)]);
  return id;
}

bool is_safe_object_id(std::string_view id, std::string_view prefix) {
  if (id.substr(0, prefix.size()) != prefix) return false;
  const std::string_view rest = id.substr(prefix.size());
  if (rest.empty() || rest.size() > 64) return false;
  for (char c : rest) {
    const bool ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

Result<FileStore> FileStore::open(db::Database& db, std::string dir, std::function<int64_t()> now_unix_ms) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  HEARTH_RETURN_IF_ERROR(make_dir(dir));
  std::set<std::string> known;
  {
    db::Database::Session session = db.lock();
    HEARTH_ASSIGN_OR_RETURN(db::Statement select, session.prepare("SELECT id FROM files"));
    while (true) {
      HEARTH_ASSIGN_OR_RETURN(bool has_row, select.step());
      if (!has_row) break;
      known.insert(select.column_text(0));
    }
  }
  // Bytes without a row: a write or a removal that a crash cut short.
  std::unique_ptr<DIR, int (*)(DIR*)> listing(::opendir(dir.c_str()), &::closedir);
  if (!listing) return io_error("cannot read the files directory " + dir + ": " + errno_text());
  while (const dirent* entry = ::readdir(listing.get())) {
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (!known.contains(name)) (void)::unlink((dir + "/" + name).c_str());
  }
  return FileStore(db, std::move(dir), std::move(now_unix_ms));
}

Status FileStore::write_bytes(const std::string& id, std::string_view bytes) {
  const std::string tmp_path = path_of(id) + ".tmp";
  {
    UniqueFd fd(::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd.valid()) return io_error("cannot create " + tmp_path + ": " + errno_text());
    size_t written = 0;
    while (written < bytes.size()) {
      const ssize_t n_bytes = ::write(fd.get(), bytes.data() + written, bytes.size() - written);
      if (n_bytes < 0 && errno == EINTR) continue;
      if (n_bytes <= 0) {
        const std::string why = errno_text();
        (void)::unlink(tmp_path.c_str());
        return io_error("cannot write " + tmp_path + ": " + why);
      }
      written += static_cast<size_t>(n_bytes);
    }
    if (::fsync(fd.get()) != 0) {
      const std::string why = errno_text();
      (void)::unlink(tmp_path.c_str());
      return io_error("cannot fsync " + tmp_path + ": " + why);
    }
  }
  if (::rename(tmp_path.c_str(), path_of(id).c_str()) != 0) {
    const std::string why = errno_text();
    (void)::unlink(tmp_path.c_str());
    return io_error("cannot rename " + tmp_path + ": " + why);
  }
  return fsync_dir(dir_);
}

Result<StoredFile> FileStore::create(std::string_view owner, std::string_view purpose, std::string_view filename,
                                     std::string_view bytes) {
  return put(random_object_id("file-"), owner, purpose, filename, bytes);
}

Result<StoredFile> FileStore::put(std::string_view id, std::string_view owner, std::string_view purpose,
                                  std::string_view filename, std::string_view bytes) {
  if (!is_safe_object_id(id, "file-")) return invalid_argument_error(single_quoted(id) + " is not a file id");
  HEARTH_RETURN_IF_ERROR(check_text("purpose", purpose, 64));
  HEARTH_RETURN_IF_ERROR(check_text("filename", filename, kMaxFilenameBytes));
  StoredFile file{std::string(id), std::string(owner), std::string(purpose), std::string(filename),
                  static_cast<int64_t>(bytes.size()), now_unix_ms_() / 1000};
  HEARTH_RETURN_IF_ERROR(write_bytes(file.id, bytes));
  db::Database::Session session = db_->lock();
  HEARTH_ASSIGN_OR_RETURN(db::Statement insert,
                          session.prepare("INSERT OR REPLACE INTO files(id, purpose, filename, bytes, created_at, owner) "
                                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6)"));
  HEARTH_RETURN_IF_ERROR(insert.bind_text(1, file.id));
  HEARTH_RETURN_IF_ERROR(insert.bind_text(2, file.purpose));
  HEARTH_RETURN_IF_ERROR(insert.bind_text(3, file.filename));
  HEARTH_RETURN_IF_ERROR(insert.bind_int64(4, file.bytes));
  HEARTH_RETURN_IF_ERROR(insert.bind_int64(5, file.created_at_s));
  HEARTH_RETURN_IF_ERROR(insert.bind_text(6, file.owner));
  Status inserted = insert.run();
  if (!inserted.ok()) {
    (void)::unlink(path_of(file.id).c_str());
    return inserted;
  }
  return file;
}

Result<StoredFile> FileStore::get(std::string_view id, std::string_view owner) {
  db::Database::Session session = db_->lock();
  HEARTH_ASSIGN_OR_RETURN(db::Statement select, session.prepare("SELECT " + std::string(kColumns) +
                                                                 " FROM files WHERE id = ?1 AND owner = ?2"));
  HEARTH_RETURN_IF_ERROR(select.bind_text(1, id));
  HEARTH_RETURN_IF_ERROR(select.bind_text(2, owner));
  HEARTH_ASSIGN_OR_RETURN(bool has_row, select.step());
  if (!has_row) return not_found_error("No such File object: " + std::string(id.substr(0, 100)));
  return read_row(select);
}

Result<std::vector<StoredFile>> FileStore::list(const FileListQuery& query, bool* has_more) {
  if (query.limit < 1 || query.limit > 10000) return invalid_argument_error("limit must be 1 to 10000");
  db::Database::Session session = db_->lock();
  std::string sql =
      "SELECT " + std::string(kColumns) + " FROM files WHERE (?1 IS NULL OR purpose = ?1) AND owner = ?4";
  if (!query.after.empty()) {
    sql += query.ascending ? " AND rowid > (SELECT rowid FROM files WHERE id = ?2)"
                           : " AND rowid < (SELECT rowid FROM files WHERE id = ?2)";
  }
  sql += query.ascending ? " ORDER BY rowid ASC LIMIT ?3" : " ORDER BY rowid DESC LIMIT ?3";
  HEARTH_ASSIGN_OR_RETURN(db::Statement select, session.prepare(sql));
  if (query.purpose) {
    HEARTH_RETURN_IF_ERROR(select.bind_text(1, *query.purpose));
  } else {
    HEARTH_RETURN_IF_ERROR(select.bind_null(1));
  }
  if (!query.after.empty()) HEARTH_RETURN_IF_ERROR(select.bind_text(2, query.after));
  HEARTH_RETURN_IF_ERROR(select.bind_int64(3, query.limit + 1));
  HEARTH_RETURN_IF_ERROR(select.bind_text(4, query.owner));
  std::vector<StoredFile> files;
  while (true) {
    HEARTH_ASSIGN_OR_RETURN(bool has_row, select.step());
    if (!has_row) break;
    files.push_back(read_row(select));
  }
  *has_more = static_cast<int64_t>(files.size()) > query.limit;
  if (*has_more) files.pop_back();
  return files;
}

Result<std::string> FileStore::read(std::string_view id, std::string_view owner, int64_t max_bytes) {
  HEARTH_ASSIGN_OR_RETURN(StoredFile file, get(id, owner));
  if (file.bytes > max_bytes) {
    return out_of_range_error("the file " + file.id + " is " + std::to_string(file.bytes) +
                              " bytes, more than the " + std::to_string(max_bytes) + " that may be read at once");
  }
  const std::string path = path_of(file.id);
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return io_error("cannot open " + path + ": " + errno_text());
  std::string content(static_cast<size_t>(file.bytes), '\0');
  size_t n_read = 0;
  while (n_read < content.size()) {
    const ssize_t n_bytes = ::read(fd.get(), content.data() + n_read, content.size() - n_read);
    if (n_bytes < 0 && errno == EINTR) continue;
    if (n_bytes < 0) return io_error("cannot read " + path + ": " + errno_text());
    if (n_bytes == 0) return data_loss_error("the file " + path + " is shorter than its " + std::to_string(file.bytes) +
                                             " bytes");
    n_read += static_cast<size_t>(n_bytes);
  }
  return content;
}

Status FileStore::remove(std::string_view id, std::string_view owner) {
  {
    db::Database::Session session = db_->lock();
    HEARTH_ASSIGN_OR_RETURN(db::Statement remove, session.prepare("DELETE FROM files WHERE id = ?1 AND owner = ?2"));
    HEARTH_RETURN_IF_ERROR(remove.bind_text(1, id));
    HEARTH_RETURN_IF_ERROR(remove.bind_text(2, owner));
    HEARTH_RETURN_IF_ERROR(remove.run());
    if (session.changes() == 0) return not_found_error("No such File object: " + std::string(id.substr(0, 100)));
  }
  if (::unlink(path_of(id).c_str()) != 0 && errno != ENOENT) {
    return io_error("cannot remove " + path_of(id) + ": " + errno_text());
  }
  return ok_status();
}

}  // namespace hearth::jobs
