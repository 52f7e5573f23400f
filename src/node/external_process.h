// ExternalProcess: one engine process that hearth starts, watches and stops
// (llama-server, mlx_lm.server, ...). It listens on a free loopback port
// picked at each start; its stdout and stderr go to hearth's log line by line
// (the last lines are kept for error messages); it is ready once its probe
// answers. When it exits on its own, on_exit is told and it is started again
// after a backoff that doubles up to a cap (reset once a start got ready);
// meanwhile ready_port() is empty. Destroying it stops the process (SIGTERM to
// its process group, SIGKILL after 10 s) and waits for it.
//
//   ExternalProcessOptions options;
//   options.name = "model 'qwen' (llama-server)";
//   options.argv = [&](int port) { return expand_external_command(config, launch_at(port)); };
//   options.probe = [&](int port) { return client.probe(port, "/health", 2000); };
//   HEARTH_ASSIGN_OR_RETURN(auto process, ExternalProcess::start(std::move(options)));
//   if (auto port = process->ready_port()) { ...send requests to 127.0.0.1:*port... }
//
// The child gets its own process group, closes every inherited descriptor
// but 0-2 and, on Linux, is sent SIGTERM if hearth dies (PR_SET_PDEATHSIG).
// Thread-safety: every method may be called from any thread.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"

namespace hearth::node {

struct ExternalProcessOptions {
  std::string name;  // prefixes its log lines and errors
  // The command for a start listening on `port`.
  std::function<Result<std::vector<std::string>>(int port)> argv;
  // One readiness check (must return within a few seconds): ok when ready.
  std::function<Status(int port)> probe;
  int64_t ready_timeout_ms = 300'000;
  int64_t restart_backoff_ms = 500;
  int64_t restart_backoff_max_ms = 30'000;
  // Called (on the supervisor thread) when a ready process exits unasked,
  // with why; requests on it fail by themselves (their connections break).
  std::function<void(const Status&)> on_exit;
  // Called (on the supervisor thread) after a restart got ready, with its port.
  std::function<void(int port)> on_ready;
};

class ExternalProcess {
 public:
  // Starts the process and waits for readiness. Errors: kNotFound (argv[0]
  // not found), kUnavailable (it exited before it was ready, or was not ready
  // within ready_timeout_ms; the message quotes its last output lines), the
  // argv function's errors.
  static Result<std::unique_ptr<ExternalProcess>> start(ExternalProcessOptions&& options);

  ExternalProcess(const ExternalProcess&) = delete;
  ExternalProcess& operator=(const ExternalProcess&) = delete;
  ~ExternalProcess();

  // The port of the running, ready process; nullopt while it is restarting.
  std::optional<int> ready_port() const;
  pid_t pid() const;  // 0 while none runs
  int32_t n_restarts() const;
  // The last exit's description (empty: none yet).
  std::string last_exit() const;
  // The process's resident anonymous memory (its heap, not its mapped files)
  // from /proc/PID/status; nullopt where it cannot be read (not Linux, gone).
  std::optional<int64_t> resident_anon_bytes() const;

 private:
  explicit ExternalProcess(ExternalProcessOptions&& options) : options_(std::move(options)) {}

  // Spawns and waits until ready; kills what it spawned on failure.
  Status launch();
  // Reads the child's output until EOF (its own thread).
  void read_output(int fd);
  std::string recent_output() const;
  void supervise();
  // Sends `signal` to the running child's process group.
  void signal_child(int signal) const;

  ExternalProcessOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;            // stopping_ set (wakes a backoff wait)
  pid_t pid_ = 0;                         // guarded by mutex_
  int port_ = 0;                          // guarded by mutex_
  bool ready_ = false;                    // guarded by mutex_
  bool stopping_ = false;                 // guarded by mutex_
  int32_t n_restarts_ = 0;                // guarded by mutex_
  std::string last_exit_;                 // guarded by mutex_
  std::deque<std::string> recent_lines_;  // guarded by mutex_; the last output lines
  std::thread output_reader_;             // the current child's output
  std::thread supervisor_;
};

// A port on 127.0.0.1 that was free a moment ago (bound to port 0, then closed).
Result<int> pick_free_loopback_port();

}  // namespace hearth::node
