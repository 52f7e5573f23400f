#include "cli/cli.h"

#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <functional>

#include "cli/audit_command.h"
#include "cli/batch_command.h"
#include "cli/bench_command.h"
#include "cli/costs_command.h"
#include "cli/keys_command.h"
#include "cli/models_command.h"
#include "cli/plan_command.h"
#include "cli/run_command.h"
#include "cli/serve_command.h"
#include "cli/service_command.h"
#include "cli/synth_command.h"
#include "cli/tco_command.h"
#include "cli/transcribe_command.h"
#include "cli/version.h"

namespace hearth::cli {

int run_cli(int argc, char** argv) {
  CLI::App app("hearth: the inference stack for a small shop's own machines");
  app.require_subcommand(1);
  app.set_version_flag("--version", version_text(), "Print the version and exit");
  std::function<int()> action;
  app.add_subcommand("version", "Print the version")->callback([&action] {
    action = [] {
      std::printf("%s\n", version_text().c_str());
      return 0;
    };
  });
  add_synth_command(app, action);
  add_run_command(app, action);
  add_bench_command(app, action);
  add_serve_command(app, action);
  add_service_command(app, action);
  add_plan_command(app, action);
  add_models_command(app, action);
  add_keys_command(app, action);
  add_audit_command(app, action);
  add_costs_command(app, action);
  add_tco_command(app, action);
  add_batch_command(app, action);
  add_transcribe_command(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    return app.exit(error);
  }
  return action ? action() : 2;
}

}  // namespace hearth::cli
