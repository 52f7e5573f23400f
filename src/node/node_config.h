// The node's TOML configuration file (`hearth serve --config FILE`). Unknown
// keys and wrong types are errors naming the file and line, never ignored.
//
//   # hearth.toml
//   models_dir = "/srv/models"    # relative paths are relative to this file; "~/" is $HOME
//   memory_budget = "40GiB"       # what resident models may plan to use (default: usable memory - margin)
//   keep_alive = "30m"            # idle models unload after this ("-1": never; 0: at once)
//   load_wait = "60s"             # how long a load waits for busy models to make room
//   require_keys = true           # every request needs an API key, even on loopback (always off loopback)
//   pull_from = "/mnt/nas/models" # where Ollama's POST /api/pull finds NAME-TAG.gguf (a directory or an http(s) URL)
//   batch_windows = ["22:00-06:00"]  # batch lines run only then (local time; jobs/batch_window.h)
//   batch_idle = "10m"            # ... or when no interactive request came for this long
//   builtin_models = false        # leave out the library-backed models (tesseract-eng, espeak-ng; default on)
//   [models."qwen2.5-7b-q4_k_m"]  # per model, by id (the file name without .gguf; quoted: it has a dot)
//   pinned = true                 # loaded at start, never unloaded
//   keep_alive = "2h"
//
//   HEARTH_ASSIGN_OR_RETURN(NodeConfig config, load_node_config("/etc/hearth.toml", getenv("HOME")));
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "node/model_manager.h"

namespace hearth::node {

struct NodeConfig {
  std::optional<std::string> models_dir;  // absolute once loaded
  std::optional<int64_t> memory_budget_bytes;
  std::optional<int64_t> keep_alive_ms;  // negative: forever
  std::optional<int64_t> load_wait_ms;
  bool require_keys = false;
  std::optional<std::string> pull_from;  // a directory (absolute once loaded) or an http(s) base URL
  std::optional<std::vector<std::string>> batch_windows;  // as written; checked by jobs/batch_window.h
  std::optional<std::string> batch_idle;                  // a duration, as written
  std::optional<bool> builtin_models;  // node/builtin_models.h; absent: on
  std::map<std::string, ModelSettings, std::less<>> models;  // [models.ID]
};

// A config file larger than this is refused (it is read whole).
inline constexpr int64_t kMaxConfigBytes = 4 << 20;

// The whole text of a config file; kIo (cannot be read) or kOutOfRange (over
// kMaxConfigBytes), the message naming the file.
// (The gateway's parser reads the same file.)
Result<std::string> read_config_text(const std::string& path);

// The top-level keys this file owns (the gateway's parser skips them).
std::span<const std::string_view> node_config_keys();

// Reads and parses `path`. kIo when it cannot be read; kInvalidArgument as
// "PATH:LINE: what is wrong" for syntax errors, unknown keys, wrong types.
// `home` resolves a leading "~/" (empty: such a path is an error). Top-level
// keys in `keys_owned_elsewhere` (the gateway's sections of the same file)
// are skipped, not refused.
Result<NodeConfig> load_node_config(const std::string& path, std::string_view home,
                                    std::span<const std::string_view> keys_owned_elsewhere = {});

// The same for text already in memory; `source_name` stands for the path in
// messages and its directory anchors relative paths.
Result<NodeConfig> parse_node_config(std::string_view text, const std::string& source_name, std::string_view home,
                                     std::span<const std::string_view> keys_owned_elsewhere = {});

}  // namespace hearth::node
