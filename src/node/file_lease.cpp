#include "node/file_lease.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

namespace hearth::node {
namespace {

// A realtime signal: queued rather than merged, and its siginfo carries the
// descriptor whose lease is being broken. SIGRTMIN itself is left to others.
int lease_signal() { return SIGRTMIN + 2; }

// The signal handler's only state, so necessarily process-wide: the write end
// of the dispatcher's pipe, set once before the handler is installed.
std::atomic<int> g_break_pipe_write{-1};

// Async-signal-safe: forwards the descriptor to the dispatcher thread. The
// write end is non-blocking; a full pipe (thousands of pending breaks) drops
// the message, and the writer then waits out lease-break-time.
void on_lease_signal(int, siginfo_t* info, void*) {
  const int saved_errno = errno;
  const int fd = info->si_fd;
  const int pipe_fd = g_break_pipe_write.load(std::memory_order_relaxed);
  if (pipe_fd >= 0 && ::write(pipe_fd, &fd, sizeof fd) < 0) {
    // Nothing safe to do here: see above.
  }
  errno = saved_errno;
}

// Calls the on_break of the lease whose descriptor the handler forwarded. One
// per process (the signal's handler is), created on first use and never
// destroyed: its thread runs for the life of the process.
class BreakDispatcher {
 public:
  static Result<BreakDispatcher*> get() {
    static Result<BreakDispatcher*> instance = create();
    return instance;
  }

  void add(int fd, std::function<void()> on_break) {
    std::lock_guard lock(mutex_);
    callbacks_[fd] = std::move(on_break);
  }

  void remove(int fd) {
    std::lock_guard lock(mutex_);
    callbacks_.erase(fd);
  }

 private:
  explicit BreakDispatcher(int read_fd) : read_fd_(read_fd) {}

  static Result<BreakDispatcher*> create() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) return io_error(std::string("cannot create a pipe: ") + std::strerror(errno));
    ::fcntl(fds[1], F_SETFL, ::fcntl(fds[1], F_GETFL) | O_NONBLOCK);
    g_break_pipe_write.store(fds[1]);
    struct sigaction action {};
    action.sa_sigaction = on_lease_signal;
    action.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&action.sa_mask);
    if (::sigaction(lease_signal(), &action, nullptr) != 0) {
      return io_error(std::string("cannot install the lease signal handler: ") + std::strerror(errno));
    }
    // Never destroyed: the handler and the thread may run until the process exits.
    auto* dispatcher = new BreakDispatcher(fds[0]);
    std::thread([dispatcher] { dispatcher->run(); }).detach();
    return dispatcher;
  }

  void run() {
    for (;;) {
      int fd = -1;
      const ssize_t n_read = ::read(read_fd_, &fd, sizeof fd);
      if (n_read < 0 && errno == EINTR) continue;
      if (n_read != sizeof fd) return;  // the pipe is never closed; a short read is a bug
      std::lock_guard lock(mutex_);
      auto it = callbacks_.find(fd);
      if (it == callbacks_.end()) continue;
      // The descriptor may have been closed and reused by a newer lease since
      // the signal: only a lease with a break pending reads as F_UNLCK.
      if (::fcntl(fd, F_GETLEASE) != F_UNLCK) continue;
      it->second();
    }
  }

  const int read_fd_;
  std::mutex mutex_;
  std::map<int, std::function<void()>> callbacks_;  // guarded by mutex_; by leased descriptor
};

void on_sigbus(int) {
  static constexpr char kMessage[] =
      "hearth: fatal: SIGBUS: a memory-mapped file was truncated while in use, most likely a model file "
      "overwritten in place (e.g. cp onto it) while it was loaded and not protected by a lease. Replace model "
      "files by renaming a new file over them (mv), which is safe.\n";
  if (::write(STDERR_FILENO, kMessage, sizeof kMessage - 1) < 0) {
    // Dying anyway.
  }
  // SA_RESETHAND restored the default action: the faulting access runs again
  // and the process dies of SIGBUS, as it would have.
}

std::string lease_refusal(int error) {
  switch (error) {
    case EAGAIN:
      return "it is open for writing by another process";
    case EACCES:
    case EPERM:
      return "this process does not own it and lacks CAP_LEASE";
    case EINVAL:
      return "its file system does not support leases";
    default:
      return std::strerror(error);
  }
}

}  // namespace

Result<std::unique_ptr<FileLease>> FileLease::take(const std::string& path, std::function<void()> on_break) {
  HEARTH_ASSIGN_OR_RETURN(BreakDispatcher * dispatcher, BreakDispatcher::get());
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return io_error("cannot open " + path + ": " + std::strerror(errno));
  // Registered before the lease exists, so that no break is missed.
  dispatcher->add(fd, std::move(on_break));
  if (::fcntl(fd, F_SETOWN, ::getpid()) != 0 || ::fcntl(fd, F_SETSIG, lease_signal()) != 0 ||
      ::fcntl(fd, F_SETLEASE, F_RDLCK) != 0) {
    const int error = errno;
    dispatcher->remove(fd);
    ::close(fd);
    if (error == EAGAIN) {
      // Mapping it now would map a file that is still being written, unprotected
      // against the next truncation: the caller should wait, not go on.
      return unavailable_error(path + " is being written by another process; retry once the copy is done");
    }
    return failed_precondition_error("cannot lease " + path + ": " + lease_refusal(error));
  }
  return std::unique_ptr<FileLease>(new FileLease(fd));
}

FileLease::~FileLease() {
  if (auto dispatcher = BreakDispatcher::get(); dispatcher.ok()) (*dispatcher)->remove(fd_);
  ::fcntl(fd_, F_SETLEASE, F_UNLCK);
  ::close(fd_);
}

void install_sigbus_notice() {
  struct sigaction action {};
  action.sa_handler = on_sigbus;
  action.sa_flags = SA_RESETHAND;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGBUS, &action, nullptr);
}

}  // namespace hearth::node
