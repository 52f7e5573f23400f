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

constexpr std::string_view kExternalKeys[] = {"command",  "extra_args", "ready_path", "ready_timeout", "overhead",
                                              "parallel", "prompt",     "model_path", "served_model",  "stall_timeout"};

bool is_external_key(std::string_view key) {
  return std::find(std::begin(kExternalKeys), std::end(kExternalKeys), key) != std::end(kExternalKeys);
}

// The external engine keys of a model's table over its preset (`engine` was read).
Status read_external_key(std::string_view key, const toml::node& value, ExternalEngineConfig* out) {
  if (key == "command") {
    const auto* text = value.as_string();
    if (text == nullptr) return invalid_argument_error("command must be a string");
    out->command = split_command(text->get());
    if (out->command.empty()) return invalid_argument_error("command must not be empty");
  } else if (key == "extra_args") {
    const auto* array = value.as_array();
    if (array == nullptr) return invalid_argument_error("extra_args must be an array of strings");
    out->extra_args.clear();
    for (const toml::node& element : *array) {
      const auto* text = element.as_string();
      if (text == nullptr) return invalid_argument_error("extra_args must be an array of strings");
      out->extra_args.push_back(text->get());
    }
  } else if (key == "ready_path" || key == "model_path" || key == "served_model") {
    const auto* text = value.as_string();
    if (text == nullptr) return invalid_argument_error(std::string(key) + " must be a string");
    (key == "ready_path" ? out->ready_path : key == "model_path" ? out->model_path : out->served_model) = text->get();
  } else if (key == "ready_timeout" || key == "stall_timeout") {
    HEARTH_ASSIGN_OR_RETURN(const int64_t ms, read_duration(value, key));
    if (ms <= 0) return invalid_argument_error(std::string(key) + " must be positive");
    (key == "ready_timeout" ? out->ready_timeout_ms : out->stall_timeout_ms) = ms;
  } else if (key == "overhead") {
    if (const auto* integer = value.as_integer(); integer != nullptr && integer->get() == 0) {
      out->overhead_bytes = 0;
    } else {
      HEARTH_ASSIGN_OR_RETURN(out->overhead_bytes, read_byte_size(value, "overhead"));
    }
  } else if (key == "parallel") {
    const auto* integer = value.as_integer();
    if (integer == nullptr || integer->get() < 1 || integer->get() > 1024) {
      return invalid_argument_error("parallel must be an integer in 1..1024");
    }
    out->n_parallel = static_cast<int32_t>(integer->get());
  } else if (key == "prompt") {
    const auto* text = value.as_string();
    if (text == nullptr || (text->get() != "tokens" && text->get() != "text")) {
      return invalid_argument_error("prompt must be \"tokens\" or \"text\"");
    }
    out->prompt_form = text->get() == "tokens" ? ExternalPromptForm::kTokens : ExternalPromptForm::kText;
  }
  return ok_status();
}

Status read_model_settings(const toml::table& table, const std::string& source_name, ModelSettings* out) {
  // `engine` first: the other engine keys apply over its preset.
  if (const toml::node* engine = table.get("engine")) {
    const auto* name = engine->as_string();
    if (name == nullptr) return config_error(source_name, engine->source(), "engine must be a string");
    if (name->get() != "hearth") {
      auto kind = parse_external_engine_kind(name->get());
      if (!kind.ok()) return config_error(source_name, engine->source(), kind.status().message());
      out->external = external_engine_preset(*kind);
    }
  }
  for (const auto& [key, value] : table) {
    if (key.str() == "engine") continue;
    if (is_external_key(key.str())) {
      if (!out->external) {
        return config_error(source_name, key.source(),
                            std::string(key.str()) +
                                " applies to an external engine only (add engine = \"llama-server\", \"mlx-lm\" or "
                                "\"openai-compatible\")");
      }
      Status read = read_external_key(key.str(), value, &*out->external);
      if (!read.ok()) return config_error(source_name, value.source(), read.message());
      continue;
    }
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
                              "' in a model's table (known: pinned, keep_alive, engine, command, extra_args, "
                              "ready_path, ready_timeout, overhead, parallel, prompt, model_path, served_model, "
                              "stall_timeout; quote an id with dots: "
                              "[models.\"qwen2.5-7b\"])");
    }
  }
  if (out->external) {
    Status valid = validate_external_config(*out->external);
    if (!valid.ok()) return config_error(source_name, table.source(), valid.message());
  }
  return ok_status();
}

constexpr std::string_view kNodeKeys[] = {"models_dir", "memory_budget", "keep_alive",    "load_wait",  "require_keys",
                                          "pull_from",  "models",        "batch_windows", "batch_idle", "builtin_models"};

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
    } else if (key.str() == "pull_from") {
      const auto* from = value.as_string();
      if (from == nullptr || from->get().empty()) {
        return config_error(source_name, value.source(), "pull_from must be a non-empty string");
      }
      const std::string& text = from->get();
      if (text.rfind("http://", 0) == 0 || text.rfind("https://", 0) == 0) {
        config.pull_from = text;
      } else {
        auto resolved = resolve_path(text, source_name, home);
        if (!resolved.ok()) return config_error(source_name, value.source(), resolved.status().message());
        config.pull_from = std::move(resolved).value();
      }
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
    } else if (key.str() == "builtin_models") {
      const auto* builtin = value.as_boolean();
      if (builtin == nullptr) return config_error(source_name, value.source(), "builtin_models must be true or false");
      config.builtin_models = builtin->get();
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
                              "' (known: models_dir, memory_budget, keep_alive, load_wait, require_keys, pull_from, "
                              "batch_windows, batch_idle, builtin_models, models)");
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
