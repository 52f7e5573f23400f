// `hearth service install|uninstall|status`: runs `hearth serve` as a service
// of the user who asks, started at login and restarted when it fails: a
// systemd user unit (~/.config/systemd/user/hearth.service) on Linux, a
// launchd agent (~/Library/LaunchAgents/dev.hearth.serve.plist) on macOS
// (cli/service_unit.h has the files). Everything after `--` is passed to
// `hearth serve`, checked against its flags first; relative paths in it keep
// their meaning (the service runs in the directory install was run from).
//
//   hearth service install -- --models-dir /srv/models --host 0.0.0.0
//   hearth service status
//   hearth service uninstall
//
// install writes the file and then enables and starts it (`systemctl --user
// enable --now`, `launchctl bootstrap`); --no-start only writes it and prints
// those commands. --platform and --dir pick another kind or place (tests
// write both kinds anywhere).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace hearth::cli {

void add_service_command(CLI::App& app, std::function<int()>& run);

}  // namespace hearth::cli
