// The node's TOML configuration file (`hearth serve --config FILE`). Minimal
// for now: one key. Unknown keys and wrong types are errors naming the file
// and line, never ignored.
//
//   # hearth.toml
//   models_dir = "/srv/models"    # relative paths are relative to this file; "~/" is $HOME
//
//   HEARTH_ASSIGN_OR_RETURN(NodeConfig config, load_node_config("/etc/hearth.toml", getenv("HOME")));
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace hearth::node {

struct NodeConfig {
  std::optional<std::string> models_dir;  // absolute once loaded
};

// Reads and parses `path`. kIo when it cannot be read; kInvalidArgument as
// "PATH:LINE: what is wrong" for syntax errors, unknown keys, wrong types.
// `home` resolves a leading "~/" (empty: such a path is an error).
Result<NodeConfig> load_node_config(const std::string& path, std::string_view home);

// The same for text already in memory; `source_name` stands for the path in
// messages and its directory anchors relative paths.
Result<NodeConfig> parse_node_config(std::string_view text, const std::string& source_name, std::string_view home);

}  // namespace hearth::node
