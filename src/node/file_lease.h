// FileLease: a read lease (Linux fcntl F_SETLEASE, F_RDLCK) on a model file
// that is memory-mapped, so that overwriting the file in place (`cp new.gguf
// models/m.gguf` opens it with O_TRUNC) does not kill the server with SIGBUS.
// While the lease is held, the kernel holds any process that opens the file
// for writing or truncation (up to /proc/sys/fs/lease-break-time, 45 s by
// default) and tells this process first: a realtime signal carrying the
// descriptor, which a handler forwards to a dispatcher thread, which calls the
// lease's on_break. The writer proceeds once the lease is released, that is
// once the FileLease is destroyed: the owner stops using the mapping, unmaps
// it, then destroys the lease. Replacing a file by renaming another over it
// (`mv`) never needs this: the mapped inode lives on.
// ref: fcntl(2), "Leases"
//
//   HEARTH_ASSIGN_OR_RETURN(auto lease, FileLease::take(path, [&] { mark_stale(); }));
//   ... map and use the file; on_break: stop using it, unmap, then destroy `lease`
//
// Thread-safety: take() and the destructor may be called from any thread. An
// on_break runs on the dispatcher thread while it holds the lock that take()
// and the destructor take, so on_break must be quick, must not take or
// destroy a FileLease, and no FileLease may be taken or destroyed while
// holding a lock that an on_break takes.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "base/status.h"

namespace hearth::node {

class FileLease {
 public:
  // Opens `path` read-only and takes a read lease on it. kUnavailable when the
  // file is open for writing elsewhere (being copied: map it later, not now);
  // kFailedPrecondition saying why when leases cannot be had at all: this
  // process does not own it (and lacks CAP_LEASE), or its file system has no
  // leases (NFS, FUSE); kIo when it cannot be opened.
  static Result<std::unique_ptr<FileLease>> take(const std::string& path, std::function<void()> on_break);

  // Releases the lease (a writer held by it proceeds) and closes the file.
  ~FileLease();
  FileLease(const FileLease&) = delete;
  FileLease& operator=(const FileLease&) = delete;

  // The leased descriptor, for fstat (is the path still this file?).
  int fd() const { return fd_; }

 private:
  explicit FileLease(int fd) : fd_(fd) {}
  int fd_;
};

// Installs a SIGBUS handler that writes one plain sentence to stderr (a
// memory-mapped file was truncated while in use, most likely a model file
// overwritten in place; replace model files by renaming) before the process
// dies of the signal as it would have. For `hearth serve`: the last guard
// where a file could not be leased.
void install_sigbus_notice();

}  // namespace hearth::node
