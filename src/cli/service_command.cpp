#include "cli/service_command.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "base/file_text.h"
#include "cli/serve_command.h"
#include "cli/service_unit.h"

#if defined(__APPLE__)
#include <mach-o/dyld.h>
#endif

namespace hearth::cli {
namespace {

enum class Platform { kSystemd, kLaunchd };

struct ServiceArgs {
  std::string platform;  // "systemd" or "launchd"; empty: this system's
  std::string dir;       // where the file goes; empty: the platform's per-user place
  std::string binary;    // empty: this executable
  bool no_start = false;
  std::vector<std::string> serve_args;
};

int fail(const std::string& message) {
  std::fprintf(stderr, "hearth service: %s\n", message.c_str());
  return 1;
}

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

Result<Platform> platform_of(const ServiceArgs& args) {
  if (args.platform == "systemd") return Platform::kSystemd;
  if (args.platform == "launchd") return Platform::kLaunchd;
  if (!args.platform.empty()) {
    return invalid_argument_error("--platform must be systemd or launchd, got '" + args.platform + "'");
  }
#if defined(__APPLE__)
  return Platform::kLaunchd;
#else
  return Platform::kSystemd;
#endif
}

Result<std::string> service_path(const ServiceArgs& args, Platform platform) {
  std::string dir = args.dir;
  if (dir.empty()) {
    const std::string home = env_or_empty("HOME");
    if (home.empty()) return invalid_argument_error("HOME is not set; give --dir");
    if (platform == Platform::kLaunchd) {
      dir = home + "/Library/LaunchAgents";
    } else {
      const std::string config = env_or_empty("XDG_CONFIG_HOME");
      dir = (config.empty() ? home + "/.config" : config) + "/systemd/user";
    }
  }
  const std::string file =
      platform == Platform::kSystemd ? std::string(kSystemdUnitName) : std::string(kLaunchdLabel) + ".plist";
  return dir + "/" + file;
}

Result<std::string> this_executable() {
#if defined(__APPLE__)
  uint32_t size = 0;
  _NSGetExecutablePath(nullptr, &size);
  std::string path(size, '\0');
  if (_NSGetExecutablePath(path.data(), &size) != 0) return io_error("cannot find this executable's path");
  path.resize(std::strlen(path.c_str()));
#else
  const std::string path = "/proc/self/exe";
#endif
  std::error_code error;
  const std::filesystem::path resolved = std::filesystem::canonical(path, error);
  if (error) return io_error("cannot resolve this executable's path: " + error.message());
  return resolved.string();
}

// The serve arguments parsed as `hearth serve` would parse them (nothing runs).
Status check_serve_args(const std::vector<std::string>& serve_args) {
  CLI::App app("hearth");
  std::function<int()> ignored;
  add_serve_command(app, ignored);
  std::vector<std::string> reversed = {serve_args.rbegin(), serve_args.rend()};
  reversed.push_back("serve");
  try {
    app.parse(reversed);
  } catch (const CLI::CallForHelp&) {
    return invalid_argument_error("the serve arguments ask for --help");
  } catch (const CLI::ParseError& error) {
    return invalid_argument_error("the arguments after -- are not valid for `hearth serve`: " +
                                  std::string(error.what()));
  }
  return ok_status();
}

// Runs a command (no shell) and waits; its exit status, or -1 when it could not start.
int run_command(const std::vector<std::string>& argv) {
  std::vector<char*> pointers;
  for (const std::string& arg : argv) pointers.push_back(const_cast<char*>(arg.c_str()));
  pointers.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    ::execvp(pointers[0], pointers.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string joined(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& arg : argv) out += (out.empty() ? "" : " ") + arg;
  return out;
}

// The commands that start (or stop) the service the file describes.
std::vector<std::vector<std::string>> start_commands(Platform platform, const std::string& path) {
  if (platform == Platform::kSystemd) {
    return {{"systemctl", "--user", "daemon-reload"}, {"systemctl", "--user", "enable", "--now", std::string(kSystemdUnitName)}};
  }
  const std::string domain = "gui/" + std::to_string(::getuid());
  return {{"launchctl", "bootstrap", domain, path}};
}

std::vector<std::vector<std::string>> stop_commands(Platform platform) {
  if (platform == Platform::kSystemd) {
    return {{"systemctl", "--user", "disable", "--now", std::string(kSystemdUnitName)}};
  }
  return {{"launchctl", "bootout", "gui/" + std::to_string(::getuid()) + "/" + std::string(kLaunchdLabel)}};
}

Status write_file_atomically(const std::string& path, const std::string& text) {
  std::error_code error;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), error);
  if (error) return io_error("cannot create the directory of " + path + ": " + error.message());
  const std::string temp = path + ".tmp";
  {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) return io_error("cannot write " + temp);
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(temp.c_str());
    return io_error("cannot rename " + temp + " to " + path + ": " + why);
  }
  return ok_status();
}

int run_install(const ServiceArgs& args) {
  Result<Platform> platform = platform_of(args);
  if (!platform.ok()) return fail(platform.status().message());
  Result<std::string> path = service_path(args, *platform);
  if (!path.ok()) return fail(path.status().message());
  if (Status valid = check_serve_args(args.serve_args); !valid.ok()) return fail(valid.message());
  ServiceSpec spec;
  if (!args.binary.empty()) {
    spec.binary = args.binary;
  } else {
    Result<std::string> binary = this_executable();
    if (!binary.ok()) return fail(binary.status().message());
    spec.binary = *binary;
  }
  spec.serve_args = args.serve_args;
  std::error_code error;
  spec.working_dir = std::filesystem::current_path(error).string();
  if (error) return fail("cannot read the current directory: " + error.message());
  spec.home = env_or_empty("HOME");
  Result<std::string> text =
      *platform == Platform::kSystemd ? render_systemd_unit(spec) : render_launchd_plist(spec);
  if (!text.ok()) return fail(text.status().message());
  if (Status written = write_file_atomically(*path, *text); !written.ok()) return fail(written.message());
  std::printf("wrote %s\n", path->c_str());
  const std::vector<std::vector<std::string>> commands = start_commands(*platform, *path);
  if (args.no_start) {
    std::printf("not started (--no-start); to start it now and at every login:\n");
    for (const auto& command : commands) std::printf("  %s\n", joined(command).c_str());
    if (*platform == Platform::kSystemd) {
      std::printf("  loginctl enable-linger $USER   # optional: keep it running without a login session\n");
    }
    return 0;
  }
  for (const auto& command : commands) {
    const int status = run_command(command);
    if (status != 0) {
      return fail("`" + joined(command) + "` failed (" + (status < 0 ? std::string("could not run it")
                                                                      : "exit " + std::to_string(status)) +
                  "); the file is written, run it yourself once the problem is fixed");
    }
  }
  std::printf("started; `hearth service status` shows it\n");
  return 0;
}

int run_uninstall(const ServiceArgs& args) {
  Result<Platform> platform = platform_of(args);
  if (!platform.ok()) return fail(platform.status().message());
  Result<std::string> path = service_path(args, *platform);
  if (!path.ok()) return fail(path.status().message());
  if (!std::filesystem::exists(*path)) return fail("no service is installed: " + *path + " does not exist");
  if (!args.no_start) {
    // Stopping a service that does not run fails harmlessly; the file goes either way.
    for (const auto& command : stop_commands(*platform)) (void)run_command(command);
  }
  if (::unlink(path->c_str()) != 0) return fail("cannot remove " + *path + ": " + std::strerror(errno));
  std::printf("removed %s\n", path->c_str());
  if (*platform == Platform::kSystemd && !args.no_start) (void)run_command({"systemctl", "--user", "daemon-reload"});
  return 0;
}

int run_status(const ServiceArgs& args) {
  Result<Platform> platform = platform_of(args);
  if (!platform.ok()) return fail(platform.status().message());
  Result<std::string> path = service_path(args, *platform);
  if (!path.ok()) return fail(path.status().message());
  if (!std::filesystem::exists(*path)) {
    std::printf("not installed (%s does not exist)\n", path->c_str());
    return 3;  // systemctl's "not running" status
  }
  Result<std::string> text = read_text_file(*path, 1 << 20);
  if (!text.ok()) return fail(text.status().message());
  std::printf("installed: %s\n", path->c_str());
  const std::string marker = *platform == Platform::kSystemd ? "ExecStart=" : "<key>ProgramArguments</key>";
  if (const size_t at = text->find(marker); *platform == Platform::kSystemd && at != std::string::npos) {
    std::printf("runs: %s\n", text->substr(at + marker.size(), text->find('\n', at) - at - marker.size()).c_str());
  }
  if (args.no_start) return 0;
  // What the service manager says, as it says it.
  const std::vector<std::string> query =
      *platform == Platform::kSystemd
          ? std::vector<std::string>{"systemctl", "--user", "--no-pager", "status", std::string(kSystemdUnitName)}
          : std::vector<std::string>{"launchctl", "print", "gui/" + std::to_string(::getuid()) + "/" +
                                                               std::string(kLaunchdLabel)};
  std::fflush(stdout);
  const int status = run_command(query);
  return status < 0 ? 1 : status;
}

void add_common_flags(CLI::App* cmd, ServiceArgs& args) {
  cmd->add_option("--platform", args.platform, "systemd or launchd (default: this system's)");
  cmd->add_option("--dir", args.dir,
                  "Where the file goes (default: ~/.config/systemd/user or ~/Library/LaunchAgents)");
  cmd->add_flag("--no-start", args.no_start, "Only write (or remove, or read) the file; do not call systemctl/launchctl");
}

}  // namespace

void add_service_command(CLI::App& app, std::function<int()>& run) {
  auto args = std::make_shared<ServiceArgs>();
  CLI::App* service = app.add_subcommand("service", "Run `hearth serve` as a user service (systemd or launchd)");
  service->require_subcommand(1);

  CLI::App* install = service->add_subcommand("install", "Write the service file, enable and start it");
  add_common_flags(install, *args);
  install->add_option("--binary", args->binary, "The hearth binary the service runs (default: this one)");
  install->add_option("serve_args", args->serve_args, "After --: the arguments of `hearth serve`");
  install->callback([args, &run] { run = [args] { return run_install(*args); }; });

  CLI::App* uninstall = service->add_subcommand("uninstall", "Stop and disable the service, remove its file");
  add_common_flags(uninstall, *args);
  uninstall->callback([args, &run] { run = [args] { return run_uninstall(*args); }; });

  CLI::App* status = service->add_subcommand("status", "Whether the service is installed, and what the manager says");
  add_common_flags(status, *args);
  status->callback([args, &run] { run = [args] { return run_status(*args); }; });
}

}  // namespace hearth::cli
