#include "node/external_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>

#include "base/log.h"
#include "base/unique_fd.h"

namespace hearth::node {

namespace {

constexpr size_t kRecentLines = 20;
constexpr size_t kMaxLineBytes = 4096;
constexpr int64_t kProbeIntervalMs = 100;
constexpr int64_t kStopGraceMs = 10'000;

int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// argv[0] as execv wants it: a path with a slash as given, else the first
// executable of that name on PATH.
Result<std::string> resolve_executable(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    if (::access(name.c_str(), X_OK) != 0) return not_found_error(name + " is not an executable file");
    return name;
  }
  const char* path_env = std::getenv("PATH");
  const std::string path = path_env != nullptr ? path_env : "/usr/local/bin:/usr/bin:/bin";
  size_t pos = 0;
  while (pos <= path.size()) {
    size_t end = path.find(':', pos);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(pos, end - pos);
    if (dir.empty()) dir.assign(1, '.');  // not `= "."`: GCC 12's -Wrestrict false positive
    std::string candidate = dir + "/" + name;
    struct stat info {};
    if (::stat(candidate.c_str(), &info) == 0 && S_ISREG(info.st_mode) && ::access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
    pos = end + 1;
  }
  return not_found_error(name + " was not found on PATH (" + path + "); install it or give its full path in command");
}

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return "was killed by signal " + std::to_string(WTERMSIG(status));
  return "stopped (wait status " + std::to_string(status) + ")";
}

void close_inherited_descriptors() {
#if defined(__linux__) && defined(SYS_close_range)
  if (::syscall(SYS_close_range, 3U, ~0U, 0U) == 0) return;
#endif
  const long n_max = ::sysconf(_SC_OPEN_MAX);
  for (int fd = 3; fd < (n_max > 0 && n_max < 65536 ? n_max : 65536); ++fd) ::close(fd);
}

}  // namespace

Result<int> pick_free_loopback_port() {
#if defined(__linux__)
  UniqueFd socket_fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
#else
  UniqueFd socket_fd(::socket(AF_INET, SOCK_STREAM, 0));
#endif
  if (!socket_fd.valid()) return Status(ErrorCode::kIo, std::string("socket(): ") + std::strerror(errno));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(socket_fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    return Status(ErrorCode::kIo, std::string("bind(127.0.0.1:0): ") + std::strerror(errno));
  }
  socklen_t length = sizeof(address);
  if (::getsockname(socket_fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return Status(ErrorCode::kIo, std::string("getsockname(): ") + std::strerror(errno));
  }
  return static_cast<int>(ntohs(address.sin_port));
}

Result<std::unique_ptr<ExternalProcess>> ExternalProcess::start(ExternalProcessOptions&& options) {
  std::unique_ptr<ExternalProcess> process(new ExternalProcess(std::move(options)));
  HEARTH_RETURN_IF_ERROR(process->launch());
  process->supervisor_ = std::thread([raw = process.get()] { raw->supervise(); });
  return process;
}

Status ExternalProcess::launch() {
  HEARTH_ASSIGN_OR_RETURN(const int port, pick_free_loopback_port());
  HEARTH_ASSIGN_OR_RETURN(std::vector<std::string> argv, options_.argv(port));
  if (argv.empty()) return invalid_argument_error(options_.name + ": the engine command is empty");
  HEARTH_ASSIGN_OR_RETURN(const std::string executable, resolve_executable(argv.front()));

  // Everything the child needs is prepared before fork: after it, only
  // async-signal-safe calls.
  std::vector<char*> argv_pointers;
  for (std::string& argument : argv) argv_pointers.push_back(argument.data());
  argv_pointers.push_back(nullptr);
  int pipe_fds[2];
#if defined(__linux__)
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return Status(ErrorCode::kIo, std::string("pipe2(): ") + std::strerror(errno));
#else
  if (::pipe(pipe_fds) != 0) return Status(ErrorCode::kIo, std::string("pipe(): ") + std::strerror(errno));
  ::fcntl(pipe_fds[0], F_SETFD, FD_CLOEXEC);
  ::fcntl(pipe_fds[1], F_SETFD, FD_CLOEXEC);
#endif
  const pid_t parent = ::getpid();
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    return Status(ErrorCode::kIo, std::string("fork(): ") + std::strerror(errno));
  }
  if (child == 0) {
    ::setpgid(0, 0);
#if defined(__linux__)
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(126);  // hearth died before prctl
#else
    (void)parent;
#endif
    const int null_fd = ::open("/dev/null", O_RDONLY);
    if (null_fd >= 0) ::dup2(null_fd, 0);
    ::dup2(pipe_fds[1], 1);
    ::dup2(pipe_fds[1], 2);
    close_inherited_descriptors();
    ::execv(executable.c_str(), argv_pointers.data());
    static constexpr char kExecFailed[] = "exec failed\n";
    [[maybe_unused]] const ssize_t n_written = ::write(2, kExecFailed, sizeof(kExecFailed) - 1);
    ::_exit(127);
  }
  ::setpgid(child, child);  // also here, so that the group exists before any signal
  ::close(pipe_fds[1]);
  if (output_reader_.joinable()) output_reader_.join();
  {
    std::lock_guard lock(mutex_);
    pid_ = child;
    port_ = port;
    ready_ = false;
  }
  output_reader_ = std::thread([this, fd = pipe_fds[0]] { read_output(fd); });
  std::string command_line;
  for (const std::string& argument : argv) command_line += (command_line.empty() ? "" : " ") + argument;
  HEARTH_LOG(kInfo, options_.name + ": started pid " + std::to_string(child) + ": " + command_line);

  // Ready when the probe answers; failed when it exits first or takes too long.
  const int64_t deadline_ms = steady_ms() + options_.ready_timeout_ms;
  auto give_up = [&](const std::string& why) -> Status {
    ::kill(-child, SIGKILL);
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (output_reader_.joinable()) output_reader_.join();
    {
      std::lock_guard lock(mutex_);
      pid_ = 0;
      cv_.notify_all();
    }
    const std::string output = recent_output();
    return unavailable_error(options_.name + " " + why +
                             (output.empty() ? std::string(" (it printed nothing)") : "; its last output:\n" + output));
  };
  while (true) {
    int status = 0;
    const pid_t waited = ::waitpid(child, &status, WNOHANG);
    if (waited == child) {
      if (output_reader_.joinable()) output_reader_.join();
      {
        std::lock_guard lock(mutex_);
        pid_ = 0;
        last_exit_ = describe_wait_status(status);
        cv_.notify_all();
      }
      ::kill(-child, SIGKILL);  // whatever it left behind in its group
      const std::string output = recent_output();
      return unavailable_error(
          options_.name + " " + describe_wait_status(status) + " before it was ready" +
          (output.empty() ? std::string(" (it printed nothing)") : "; its last output:\n" + output));
    }
    bool stopping = false;
    {
      std::lock_guard lock(mutex_);
      stopping = stopping_;
    }
    if (stopping) return give_up("was stopped before it was ready");
    if (options_.probe(port).ok()) break;
    if (steady_ms() >= deadline_ms) {
      return give_up("was not ready within " + std::to_string(options_.ready_timeout_ms / 1000) + " s");
    }
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, std::chrono::milliseconds(kProbeIntervalMs), [this] { return stopping_; });
  }
  std::lock_guard lock(mutex_);
  ready_ = true;
  HEARTH_LOG(kInfo, options_.name + ": ready on 127.0.0.1:" + std::to_string(port));
  return ok_status();
}

void ExternalProcess::read_output(int fd) {
  UniqueFd owned(fd);
  std::string pending;
  char buffer[4096];
  auto emit = [&](std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    HEARTH_LOG(kInfo, options_.name + ": " + line);
    std::lock_guard lock(mutex_);
    recent_lines_.push_back(std::move(line));
    if (recent_lines_.size() > kRecentLines) recent_lines_.pop_front();
  };
  while (true) {
    const ssize_t n_read = ::read(fd, buffer, sizeof(buffer));
    if (n_read < 0 && errno == EINTR) continue;
    if (n_read <= 0) break;
    pending.append(buffer, static_cast<size_t>(n_read));
    size_t newline = 0;
    while ((newline = pending.find('\n')) != std::string::npos) {
      emit(pending.substr(0, std::min(newline, kMaxLineBytes)));
      pending.erase(0, newline + 1);
    }
    if (pending.size() > kMaxLineBytes) {
      emit(pending.substr(0, kMaxLineBytes));
      pending.clear();
    }
  }
  if (!pending.empty()) emit(pending.substr(0, kMaxLineBytes));
}

std::string ExternalProcess::recent_output() const {
  std::lock_guard lock(mutex_);
  std::string out;
  for (const std::string& line : recent_lines_) out += line + "\n";
  return out;
}

void ExternalProcess::supervise() {
  int64_t backoff_ms = options_.restart_backoff_ms;
  while (true) {
    pid_t pid = 0;
    {
      std::lock_guard lock(mutex_);
      pid = pid_;
    }
    if (pid > 0) {
      int status = 0;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      ::kill(-pid, SIGKILL);  // the rest of its group, if any
      if (output_reader_.joinable()) output_reader_.join();
      std::string why;
      {
        std::lock_guard lock(mutex_);
        pid_ = 0;
        ready_ = false;
        last_exit_ = describe_wait_status(status);
        cv_.notify_all();
        if (stopping_) return;
        why = options_.name + " " + last_exit_;
      }
      HEARTH_LOG(kWarn, why + "; restarting it");
      if (options_.on_exit) options_.on_exit(unavailable_error(why + "; it is being restarted"));
    }
    // Down: start it again after the backoff.
    {
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, std::chrono::milliseconds(backoff_ms), [this] { return stopping_; });
      if (stopping_) return;
    }
    Status launched = launch();
    if (launched.ok()) {
      int port = 0;
      {
        std::lock_guard lock(mutex_);
        ++n_restarts_;
        port = port_;
      }
      backoff_ms = options_.restart_backoff_ms;
      if (options_.on_ready) options_.on_ready(port);
      continue;
    }
    {
      std::lock_guard lock(mutex_);
      if (stopping_) return;
    }
    HEARTH_LOG(kWarn, options_.name + ": restart failed: " + launched.message());
    backoff_ms = std::min(backoff_ms * 2, options_.restart_backoff_max_ms);
  }
}

void ExternalProcess::signal_child(int signal) const {
  std::lock_guard lock(mutex_);
  if (pid_ > 0) ::kill(-pid_, signal);
}

ExternalProcess::~ExternalProcess() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    cv_.notify_all();
  }
  bool running = false;
  {
    std::lock_guard lock(mutex_);
    running = pid_ > 0;
  }
  signal_child(SIGTERM);
  {
    std::unique_lock lock(mutex_);
    if (!cv_.wait_for(lock, std::chrono::milliseconds(kStopGraceMs), [this] { return pid_ == 0; })) {
      HEARTH_LOG(kWarn, options_.name + ": did not stop within 10 s of SIGTERM; killing it");
      if (pid_ > 0) ::kill(-pid_, SIGKILL);
    }
  }
  if (supervisor_.joinable()) supervisor_.join();
  if (output_reader_.joinable()) output_reader_.join();
  if (running) HEARTH_LOG(kInfo, options_.name + ": stopped");
}

std::optional<int> ExternalProcess::ready_port() const {
  std::lock_guard lock(mutex_);
  if (!ready_ || pid_ == 0) return std::nullopt;
  return port_;
}

pid_t ExternalProcess::pid() const {
  std::lock_guard lock(mutex_);
  return pid_;
}

int32_t ExternalProcess::n_restarts() const {
  std::lock_guard lock(mutex_);
  return n_restarts_;
}

std::string ExternalProcess::last_exit() const {
  std::lock_guard lock(mutex_);
  return last_exit_;
}

std::optional<int64_t> ExternalProcess::resident_anon_bytes() const {
#if defined(__linux__)
  const pid_t pid = this->pid();
  if (pid <= 0) return std::nullopt;
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("RssAnon:", 0) != 0) continue;
    const long long kib = std::strtoll(line.c_str() + 8, nullptr, 10);
    if (kib < 0) return std::nullopt;
    return static_cast<int64_t>(kib) * 1024;
  }
#endif
  return std::nullopt;
}

}  // namespace hearth::node
