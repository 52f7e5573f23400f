// ExternalProcess with real child processes (/bin/sh): readiness, output in
// errors, a killed process restarted, stop on destruction. Readiness is a
// file the child writes (the probe is the caller's function), so no HTTP is
// involved; waits are on latches the supervisor's callbacks release.
#include "node/external_process.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>

namespace hearth::node {
namespace {

namespace fs = std::filesystem;

class ExternalProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("hearth-external-process-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A child that prints a line, marks itself ready for its port, then waits.
  ExternalProcessOptions sleeper_options() {
    ExternalProcessOptions options;
    options.name = "test engine";
    const std::string dir = dir_.string();
    options.argv = [dir](int port) -> Result<std::vector<std::string>> {
      return std::vector<std::string>{"/bin/sh", "-c",
                                      "echo started on " + std::to_string(port) + "; touch " + dir + "/ready-" +
                                          std::to_string(port) + "; exec sleep 1000"};
    };
    options.probe = [dir](int port) -> Status {
      struct stat info {};
      if (::stat((dir + "/ready-" + std::to_string(port)).c_str(), &info) == 0) return ok_status();
      return unavailable_error("not yet");
    };
    options.ready_timeout_ms = 60'000;
    options.restart_backoff_ms = 1;
    return options;
  }

  fs::path dir_;
};

TEST_F(ExternalProcessTest, StartsReadyAndStopsOnDestruction) {
  auto process = ExternalProcess::start(sleeper_options());
  ASSERT_TRUE(process.ok()) << process.status().to_string();
  const pid_t pid = (*process)->pid();
  ASSERT_GT(pid, 0);
  ASSERT_TRUE((*process)->ready_port());
  EXPECT_GT(*(*process)->ready_port(), 0);
  EXPECT_EQ((*process)->n_restarts(), 0);
  const auto anon = (*process)->resident_anon_bytes();
  ASSERT_TRUE(anon);
  EXPECT_GT(*anon, 0);
  process->reset();
  // Reaped by the destructor: the pid names no process of ours any more.
  EXPECT_NE(::kill(pid, 0), 0);
}

TEST_F(ExternalProcessTest, KilledProcessIsRestarted) {
  std::mutex mutex;
  std::condition_variable cv;
  int n_exits = 0;
  int restarted_port = 0;
  ExternalProcessOptions options = sleeper_options();
  options.on_exit = [&](const Status& why) {
    std::lock_guard lock(mutex);
    ++n_exits;
    EXPECT_EQ(why.code(), ErrorCode::kUnavailable);
    EXPECT_NE(why.message().find("killed by signal 9"), std::string::npos) << why.message();
  };
  options.on_ready = [&](int port) {
    std::lock_guard lock(mutex);
    restarted_port = port;
    cv.notify_all();
  };
  auto process = ExternalProcess::start(std::move(options));
  ASSERT_TRUE(process.ok()) << process.status().to_string();
  const pid_t first_pid = (*process)->pid();
  ASSERT_EQ(::kill(first_pid, SIGKILL), 0);
  {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return restarted_port != 0; });
    EXPECT_EQ(n_exits, 1);
  }
  EXPECT_EQ((*process)->n_restarts(), 1);
  EXPECT_NE((*process)->pid(), first_pid);
  EXPECT_EQ((*process)->ready_port(), restarted_port);
  EXPECT_NE((*process)->last_exit().find("signal 9"), std::string::npos);
}

TEST_F(ExternalProcessTest, ExitBeforeReadyQuotesItsOutput) {
  ExternalProcessOptions options = sleeper_options();
  options.argv = [](int) -> Result<std::vector<std::string>> {
    return std::vector<std::string>{"/bin/sh", "-c", "echo 'error: cannot open model file' >&2; exit 3"};
  };
  auto process = ExternalProcess::start(std::move(options));
  ASSERT_FALSE(process.ok());
  EXPECT_EQ(process.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(process.status().message().find("exited with status 3 before it was ready"), std::string::npos)
      << process.status().message();
  EXPECT_NE(process.status().message().find("cannot open model file"), std::string::npos) << process.status().message();
}

TEST_F(ExternalProcessTest, MissingExecutableIsNotFound) {
  ExternalProcessOptions options = sleeper_options();
  options.argv = [](int) -> Result<std::vector<std::string>> {
    return std::vector<std::string>{"hearth-no-such-engine-binary", "--port", "1"};
  };
  auto process = ExternalProcess::start(std::move(options));
  ASSERT_FALSE(process.ok());
  EXPECT_EQ(process.status().code(), ErrorCode::kNotFound);
  EXPECT_NE(process.status().message().find("not found on PATH"), std::string::npos) << process.status().message();
}

TEST_F(ExternalProcessTest, NotReadyInTimeIsKilled) {
  ExternalProcessOptions options = sleeper_options();
  options.probe = [](int) -> Status { return unavailable_error("never"); };
  options.ready_timeout_ms = 1;  // the first probe already fails it; no waiting on the clock
  auto process = ExternalProcess::start(std::move(options));
  ASSERT_FALSE(process.ok());
  EXPECT_EQ(process.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(process.status().message().find("was not ready within"), std::string::npos) << process.status().message();
}

TEST(FreeLoopbackPortTest, GivesAPort) {
  auto port = pick_free_loopback_port();
  ASSERT_TRUE(port.ok()) << port.status().to_string();
  EXPECT_GT(*port, 0);
  EXPECT_LT(*port, 65536);
}

}  // namespace
}  // namespace hearth::node
