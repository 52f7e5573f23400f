#include "node/node_config.h"

#include <toml++/toml.h>
#include <algorithm>
#include <filesystem>

#include "base/byte_size.h"
#include "base/duration.h"
#include "base/file_text.h"

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

// A size: a string ("20GiB") or an integer count of bytes.
Result<int64_t> read_byte_size(const toml::node& value, std::string_view key) {
  if (const auto* integer = value.as_integer()) {
    if (integer->get() <= 0) return invalid_argument_error(std::string(key) + " must be positive");
    return integer->get();
  }
  if (const auto* text = value.as_string()) {
    HEARTH_ASSIGN_OR_RETURN(int64_t n_bytes, parse_byte_size(text->get()));
    if (n_bytes <= 0) return invalid_argument_error(std::string(key) + " must be positive");
    return n_bytes;
  }
  return invalid_argument_error(std::string(key) + " must be a size like \"20GiB\" or a number of bytes");
}

// A duration: a string ("5m", "-1") or an integer count of seconds (as Ollama's keep_alive).
Result<int64_t> read_duration(const toml::node& value, std::string_view key) {
  if (const auto* integer = value.as_integer()) {
    if (integer->get() < -1'000'000'000'000 || integer->get() > 1'000'000'000'000) {
      return invalid_argument_error(std::string(key) + " is out of range");
    }
    return integer->get() * 1000;
  }
  if (const auto* text = value.as_string()) return parse_duration_ms(text->get());
  return invalid_argument_error(std::string(key) + " must be a duration like \"5m\" or a number of seconds");
}

Status read_model_settings(const toml::table& table, const std::string& source_name, ModelSettings* out) {
  for (const auto& [key, value] : table) {
    if (key.str() == "pinned") {
      const auto* flag = value.as_boolean();
      if (flag == nullptr) return config_error(source_name, value.source(), "pinned must be true or false");
      out->pinned = flag->get();
    } else if (key.str() == "keep_alive") {
      auto keep_alive = read_duration(value, "keep_alive");
      if (!keep_alive.ok()) return config_error(source_name, value.source(), keep_alive.status().message());
      out->keep_alive_ms = *keep_alive;
    } else {
      return config_error(source_name, key.source(),
                          "unknown key '" + std::string(key.str()) +
                              "' in a model's table (known: pinned, keep_alive; quote an id with dots: "
                              "[models.\"qwen2.5-7b\"])");
    }
  }
  return ok_status();
}

constexpr std::string_view kNodeKeys[] = {"models_dir",   "memory_budget", "keep_alive",  "load_wait",
                                          "require_keys", "models",        "batch_windows", "batch_idle"};

}  // namespace

std::span<const std::string_view> node_config_keys() { return kNodeKeys; }

Result<NodeConfig> parse_node_config(std::string_view text, const std::string& source_name, std::string_view home,
                                     std::span<const std::string_view> keys_owned_elsewhere) {
  toml::table table;
  try {
    table = toml::parse(text, source_name);
  } catch (const toml::parse_error& error) {
    return config_error(source_name, error.source(), std::string(error.description()));
  }
  NodeConfig config;
  for (const auto& [key, value] : table) {
    if (std::find(keys_owned_elsewhere.begin(), keys_owned_elsewhere.end(), key.str()) != keys_owned_elsewhere.end()) {
      continue;
    }
    if (key.str() == "models_dir") {
      const auto* path = value.as_string();
      if (path == nullptr) return config_error(source_name, value.source(), "models_dir must be a string");
      if (path->get().empty()) return config_error(source_name, value.source(), "models_dir must not be empty");
      auto resolved = resolve_path(path->get(), source_name, home);
      if (!resolved.ok()) return config_error(source_name, value.source(), resolved.status().message());
      config.models_dir = std::move(resolved).value();
    } else if (key.str() == "memory_budget") {
      auto budget = read_byte_size(value, "memory_budget");
      if (!budget.ok()) return config_error(source_name, value.source(), budget.status().message());
      config.memory_budget_bytes = *budget;
    } else if (key.str() == "keep_alive") {
      auto keep_alive = read_duration(value, "keep_alive");
      if (!keep_alive.ok()) return config_error(source_name, value.source(), keep_alive.status().message());
      config.keep_alive_ms = *keep_alive;
    } else if (key.str() == "require_keys") {
      const auto* require = value.as_boolean();
      if (require == nullptr) return config_error(source_name, value.source(), "require_keys must be true or false");
      config.require_keys = require->get();
    } else if (key.str() == "load_wait") {
      auto load_wait = read_duration(value, "load_wait");
      if (!load_wait.ok()) return config_error(source_name, value.source(), load_wait.status().message());
      if (*load_wait < 0) return config_error(source_name, value.source(), "load_wait must not be negative");
      config.load_wait_ms = *load_wait;
    } else if (key.str() == "batch_windows") {
      // Checked as windows by jobs/batch_window.h when serve starts (this area may not include jobs).
      const auto* windows = value.as_array();
      if (windows == nullptr) {
        return config_error(source_name, value.source(), "batch_windows must be an array of \"HH:MM-HH:MM\" strings");
      }
      std::vector<std::string> texts;
      for (const auto& window : *windows) {
        const auto* text = window.as_string();
        if (text == nullptr) {
          return config_error(source_name, window.source(), "batch_windows must hold strings like \"22:00-06:00\"");
        }
        texts.push_back(text->get());
      }
      config.batch_windows = std::move(texts);
    } else if (key.str() == "batch_idle") {
      const auto* idle = value.as_string();
      if (idle == nullptr) return config_error(source_name, value.source(), "batch_idle must be a duration like \"10m\"");
      config.batch_idle = idle->get();
    } else if (key.str() == "models") {
      const auto* models = value.as_table();
      if (models == nullptr) return config_error(source_name, value.source(), "models must be a table of [models.ID]");
      for (const auto& [id, model_value] : *models) {
        const auto* model_table = model_value.as_table();
        if (model_table == nullptr) {
          return config_error(
              source_name, model_value.source(),
              "models." + std::string(id.str()) + " must be a table (write [models." + std::string(id.str()) + "])");
        }
        ModelSettings settings;
        HEARTH_RETURN_IF_ERROR(read_model_settings(*model_table, source_name, &settings));
        config.models.emplace(std::string(id.str()), settings);
      }
    } else {
      return config_error(source_name, key.source(),
                          "unknown key '" + std::string(key.str()) +
                              "' (known: models_dir, memory_budget, keep_alive, load_wait, require_keys, batch_windows, "
                              "batch_idle, models)");
    }
  }
  return config;
}

Result<std::string> read_config_text(const std::string& path) {
  Result<std::string> text = read_text_file(path, kMaxConfigBytes);
  if (!text.ok()) return Status(text.status().code(), "the config file: " + text.status().message());
  return text;
}

Result<NodeConfig> load_node_config(const std::string& path, std::string_view home,
                                    std::span<const std::string_view> keys_owned_elsewhere) {
  HEARTH_ASSIGN_OR_RETURN(const std::string text, read_config_text(path));
  return parse_node_config(text, path, home, keys_owned_elsewhere);
}

}  // namespace hearth::node
