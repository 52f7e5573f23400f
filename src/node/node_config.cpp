#include "node/node_config.h"

#include <toml++/toml.h>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace hearth::node {
namespace {

Status config_error(const std::string& source_name, const toml::source_region& where, const std::string& message) {
  return invalid_argument_error(source_name + ":" + std::to_string(where.begin.line) + ": " + message);
}

// "~/x" -> home + "/x"; relative -> beside the config file.
Result<std::string> resolve_path(const std::string& raw, const std::string& source_name, std::string_view home) {
  namespace fs = std::filesystem;
  std::string path = raw;
  if (path == "~" || path.rfind("~/", 0) == 0) {
    if (home.empty()) return invalid_argument_error("'" + raw + "' starts with ~ but HOME is not set");
    path = std::string(home) + path.substr(1);
  }
  fs::path resolved(path);
  if (resolved.is_relative()) resolved = fs::absolute(fs::path(source_name)).parent_path() / resolved;
  return resolved.lexically_normal().string();
}

}  // namespace

Result<NodeConfig> parse_node_config(std::string_view text, const std::string& source_name, std::string_view home) {
  toml::table table;
  try {
    table = toml::parse(text, source_name);
  } catch (const toml::parse_error& error) {
    return config_error(source_name, error.source(), std::string(error.description()));
  }
  NodeConfig config;
  for (const auto& [key, value] : table) {
    if (key.str() == "models_dir") {
      const auto* path = value.as_string();
      if (path == nullptr) return config_error(source_name, value.source(), "models_dir must be a string");
      if (path->get().empty()) return config_error(source_name, value.source(), "models_dir must not be empty");
      auto resolved = resolve_path(path->get(), source_name, home);
      if (!resolved.ok()) return config_error(source_name, value.source(), resolved.status().message());
      config.models_dir = std::move(resolved).value();
    } else {
      return config_error(source_name, key.source(),
                          "unknown key '" + std::string(key.str()) + "' (known: models_dir)");
    }
  }
  return config;
}

Result<NodeConfig> load_node_config(const std::string& path, std::string_view home) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return io_error("cannot read the config file " + path);
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) return io_error("cannot read the config file " + path);
  return parse_node_config(text.str(), path, home);
}

}  // namespace hearth::node
