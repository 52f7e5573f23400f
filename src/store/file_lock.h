// An advisory lock file (flock) that keeps two processes apart: two pulls of
// one model name, or a pull's final link and an `rm`.
//
//   HEARTH_ASSIGN_OR_RETURN(FileLock lock, FileLock::try_acquire(dir + "/partial/x.lock", true));
//   ...  // exclusive until `lock` is destroyed
//
// With remove_on_release the file is unlinked while still locked, and
// acquisition checks that the locked file is still the one at the path (a
// process that waited on a file another just unlinked retries), so lock
// files do not pile up.
// Thread-safety: one FileLock per thread; flock locks belong to the open file.
#pragma once

#include <string>

#include "base/status.h"

namespace hearth::store {

class FileLock {
 public:
  // Takes the lock without waiting: kUnavailable when another process holds
  // it, kIo when the file cannot be created.
  static Result<FileLock> try_acquire(const std::string& path, bool remove_on_release);
  // Waits for the lock.
  static Result<FileLock> acquire(const std::string& path, bool remove_on_release);
  // Waits for a lock on a directory itself (no lock file to create or remove).
  static Result<FileLock> acquire_directory(const std::string& dir);

  FileLock(FileLock&& other) noexcept;
  FileLock& operator=(FileLock&& other) noexcept;
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;
  ~FileLock();

 private:
  FileLock(std::string path, int fd, bool remove_on_release)
      : path_(std::move(path)), fd_(fd), remove_on_release_(remove_on_release) {}
  static Result<FileLock> lock(const std::string& path, bool remove_on_release, bool wait);
  void release();

  std::string path_;
  int fd_ = -1;
  bool remove_on_release_ = false;
};

}  // namespace hearth::store
