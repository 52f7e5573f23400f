#include "store/file_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace hearth::store {

Result<FileLock> FileLock::lock(const std::string& path, bool remove_on_release, bool wait) {
  // Bounded: each retry means another process removed the file between our
  // open and our flock; it cannot go on forever without that process looping too.
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return io_error("cannot create the lock file " + path + ": " + std::strerror(errno));
    int rc = 0;
    do {
      rc = ::flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB));
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
      const int saved = errno;
      ::close(fd);
      if (saved == EWOULDBLOCK) return unavailable_error("another process holds " + path);
      return io_error("cannot lock " + path + ": " + std::strerror(saved));
    }
    struct stat locked {};
    struct stat current {};
    if (::fstat(fd, &locked) == 0 && ::stat(path.c_str(), &current) == 0 && locked.st_dev == current.st_dev &&
        locked.st_ino == current.st_ino) {
      return FileLock(path, fd, remove_on_release);
    }
    ::close(fd);  // the file we locked was unlinked by its previous holder: lock the new one
  }
  return unavailable_error("the lock file " + path + " keeps being replaced");
}

Result<FileLock> FileLock::try_acquire(const std::string& path, bool remove_on_release) {
  return lock(path, remove_on_release, false);
}

Result<FileLock> FileLock::acquire(const std::string& path, bool remove_on_release) {
  return lock(path, remove_on_release, true);
}

Result<FileLock> FileLock::acquire_directory(const std::string& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open the directory " + dir + ": " + std::strerror(errno));
  int rc = 0;
  do {
    rc = ::flock(fd, LOCK_EX);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    const int saved = errno;
    ::close(fd);
    return io_error("cannot lock " + dir + ": " + std::strerror(saved));
  }
  return FileLock(dir, fd, false);
}

FileLock::FileLock(FileLock&& other) noexcept
    : path_(std::move(other.path_)), fd_(std::exchange(other.fd_, -1)), remove_on_release_(other.remove_on_release_) {}

FileLock& FileLock::operator=(FileLock&& other) noexcept {
  if (this != &other) {
    release();
    path_ = std::move(other.path_);
    fd_ = std::exchange(other.fd_, -1);
    remove_on_release_ = other.remove_on_release_;
  }
  return *this;
}

FileLock::~FileLock() { release(); }

void FileLock::release() {
  if (fd_ < 0) return;
  if (remove_on_release_) ::unlink(path_.c_str());  // still locked: no one else holds this inode
  ::close(fd_);                                     // drops the lock
  fd_ = -1;
}

}  // namespace hearth::store
