// hearth's state file, hearth.db, as every command finds it: the state
// directory is `--state-dir`, else $HEARTH_STATE_DIR, else
// $HOME/.local/share/hearth/state; the file is hearth.db in it. `hearth keys`,
// `hearth audit` and `hearth serve` share these functions, so they always
// open the same file with the same schema.
//
//   HEARTH_ASSIGN_OR_RETURN(std::string path, resolve_state_db_path(args.state_dir));
//   HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<db::Database> db, open_state_db(path));
//   HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<gateway::KeyStore> keys, gateway::KeyStore::open(*db));
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "db/sqlite_db.h"

namespace hearth::cli {

inline constexpr const char* kDefaultStateSubdir = "/.local/share/hearth/state";
inline constexpr const char* kStateDbFileName = "hearth.db";

// The path of hearth.db for `--state-dir` (empty when not given).
// kInvalidArgument when neither the flag, $HEARTH_STATE_DIR nor $HOME gives a directory.
Result<std::string> resolve_state_db_path(const std::string& state_dir_flag);

// Every schema step of hearth.db in the order it was written (step i is
// user_version i+1 forever): each area's steps, interleaved as they were added.
std::vector<db::Migration> state_schema();

// Opens (creating) hearth.db at `db_path` and brings it to state_schema().
// A file from a newer hearth is refused (kFailedPrecondition).
Result<std::unique_ptr<db::Database>> open_state_db(const std::string& db_path);

}  // namespace hearth::cli
