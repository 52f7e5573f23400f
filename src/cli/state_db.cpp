#include "cli/state_db.h"

#include <cstdlib>

#include "gateway/api_keys.h"
#include "jobs/jobs_schema.h"
#include "ledger/egress_ledger.h"
#include "ledger/usage_ledger.h"

namespace hearth::cli {

Result<std::string> resolve_state_db_path(const std::string& state_dir_flag) {
  std::string dir = state_dir_flag;
  if (dir.empty()) {
    const char* from_env = std::getenv("HEARTH_STATE_DIR");
    if (from_env != nullptr && from_env[0] != '\0') dir = from_env;
  }
  if (dir.empty()) {
    const char* home = std::getenv("HOME");
    if (home == nullptr || home[0] == '\0') {
      return invalid_argument_error("HOME is not set: name the state directory with --state-dir or $HEARTH_STATE_DIR");
    }
    dir = std::string(home) + kDefaultStateSubdir;
  }
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir + "/" + kStateDbFileName;
}

std::vector<db::Migration> state_schema() {
  // Append-only. A new step in any area is added to that area's list and
  // then here, at the end; never in between, never reordered.
  return {
      gateway::api_key_migrations()[0],  // 1: api_keys
      ledger::egress_migrations()[0],    // 2: egress
      ledger::usage_migrations()[0],     // 3: usage
      jobs::jobs_migrations()[0],        // 4: files, batches, batch_lines
  };
}

Result<std::unique_ptr<db::Database>> open_state_db(const std::string& db_path) {
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<db::Database> db, db::Database::open(db_path));
  const std::vector<db::Migration> schema = state_schema();
  HEARTH_RETURN_IF_ERROR(db->migrate(schema));
  return db;
}

}  // namespace hearth::cli
