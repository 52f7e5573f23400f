// The service definitions `hearth service install` writes, as text: a
// systemd user unit (Linux) and a launchd agent plist (macOS). Both run
// `hearth serve ARGS...` as the user who installs them, start at login (the
// systemd unit at the user manager's start: `loginctl enable-linger` keeps it
// running without a session), and restart it when it fails (not after a clean
// exit, such as SIGTERM at a stop).
//
//   ServiceSpec spec{"/usr/local/bin/hearth", {"--models-dir", "/srv/models"}, "/home/ann", "/home/ann"};
//   HEARTH_ASSIGN_OR_RETURN(std::string unit, render_systemd_unit(spec));
//
// ref: systemd.service(5), systemd.unit(5) "Specifiers", systemd.syntax(7) quoting;
// launchd.plist(5).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace hearth::cli {

inline constexpr std::string_view kSystemdUnitName = "hearth.service";
inline constexpr std::string_view kLaunchdLabel = "dev.hearth.serve";

struct ServiceSpec {
  std::string binary;                   // absolute path of the hearth binary
  std::vector<std::string> serve_args;  // what follows `hearth serve`
  std::string working_dir;              // absolute: relative paths in serve_args keep their meaning
  std::string home;                     // launchd: logs go to HOME/Library/Logs/hearth.log
};

// kInvalidArgument for a relative binary or working directory, or an argument
// holding a control character (a unit file is line-based).
Result<std::string> render_systemd_unit(const ServiceSpec& spec);
Result<std::string> render_launchd_plist(const ServiceSpec& spec);

// One ExecStart word as systemd reads it back: double-quoted when it holds
// anything but plain characters, with \ and " escaped, % doubled (specifiers)
// and $ doubled (variable expansion).
std::string systemd_word(std::string_view word);

// &, <, >, " and ' as XML entities.
std::string xml_escape(std::string_view text);

}  // namespace hearth::cli
