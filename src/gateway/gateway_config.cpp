#include "gateway/gateway_config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <set>

#include "base/duration.h"
#include "net/url.h"
#include "node/node_config.h"

namespace hearth::gateway {
namespace {

constexpr std::string_view kKeys[] = {"gateway", "nodes", "providers", "aliases", "policy"};

Status config_error(const std::string& source_name, const toml::source_region& where, const std::string& message) {
  return invalid_argument_error(source_name + ":" + std::to_string(where.begin.line) + ": " + message);
}

std::string where(const std::string& source_name, const toml::node& node) {
  return source_name + ":" + std::to_string(node.source().begin.line);
}

// Reads a table's keys with their types, refusing keys nobody read.
class TableReader {
 public:
  TableReader(const toml::table& table, const std::string& source_name, std::string what)
      : table_(table), source_name_(source_name), what_(std::move(what)) {}

  Status string(std::string_view key, std::string* out, bool required) {
    known_.insert(std::string(key));
    const toml::node* value = table_.get(key);
    if (value == nullptr) {
      if (!required) return ok_status();
      return config_error(source_name_, table_.source(), what_ + " needs '" + std::string(key) + "'");
    }
    const auto* text = value->as_string();
    if (text == nullptr || text->get().empty()) {
      return config_error(source_name_, value->source(), std::string(key) + " must be a non-empty string");
    }
    *out = text->get();
    return ok_status();
  }

  Status duration(std::string_view key, int64_t* out_ms) {
    known_.insert(std::string(key));
    const toml::node* value = table_.get(key);
    if (value == nullptr) return ok_status();
    const auto* text = value->as_string();
    if (text == nullptr)
      return config_error(source_name_, value->source(), std::string(key) + " must be a duration like \"2s\"");
    auto parsed = parse_duration_ms(text->get());
    if (!parsed.ok()) return config_error(source_name_, value->source(), parsed.status().message());
    if (*parsed <= 0) return config_error(source_name_, value->source(), std::string(key) + " must be positive");
    *out_ms = *parsed;
    return ok_status();
  }

  Status count(std::string_view key, int32_t* out, int32_t min, int32_t max) {
    known_.insert(std::string(key));
    const toml::node* value = table_.get(key);
    if (value == nullptr) return ok_status();
    const auto* integer = value->as_integer();
    if (integer == nullptr || integer->get() < min || integer->get() > max) {
      return config_error(
          source_name_, value->source(),
          std::string(key) + " must be an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    }
    *out = static_cast<int32_t>(integer->get());
    return ok_status();
  }

  Status usd(std::string_view key, int64_t* out_udollars) {
    known_.insert(std::string(key));
    const toml::node* value = table_.get(key);
    if (value == nullptr) return ok_status();
    const auto* text = value->as_string();
    if (text == nullptr) {
      return config_error(source_name_, value->source(),
                          std::string(key) + " must be a string of dollars like \"0.15\" (exact, not a float)");
    }
    auto parsed = parse_usd(text->get());
    if (!parsed.ok()) return config_error(source_name_, value->source(), parsed.status().message());
    *out_udollars = *parsed;
    return ok_status();
  }

  Status strings(std::string_view key, std::vector<std::string>* out) {
    known_.insert(std::string(key));
    const toml::node* value = table_.get(key);
    if (value == nullptr) return ok_status();
    const auto* array = value->as_array();
    if (array == nullptr)
      return config_error(source_name_, value->source(), std::string(key) + " must be an array of strings");
    for (const toml::node& element : *array) {
      const auto* text = element.as_string();
      if (text == nullptr || text->get().empty()) {
        return config_error(source_name_, element.source(), std::string(key) + " must hold non-empty strings");
      }
      out->push_back(text->get());
    }
    return ok_status();
  }

  Status reject_unknown(std::string_view known_list) const {
    for (const auto& [key, value] : table_) {
      if (known_.count(std::string(key.str())) == 0) {
        return config_error(
            source_name_, key.source(),
            "unknown key '" + std::string(key.str()) + "' in " + what_ + " (known: " + std::string(known_list) + ")");
      }
    }
    return ok_status();
  }

 private:
  const toml::table& table_;
  const std::string& source_name_;
  std::string what_;
  std::set<std::string> known_;
};

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
           c == '.';
  });
}

// "FIELD 'URL' ..." when `url` is not a base URL as the gateway's client reads
// it (net::parse_base_url: http or https, any letter case, a host, no query).
Status check_base_url(std::string_view field, const std::string& url, const std::string& source_name,
                      const toml::source_region& where) {
  const Result<net::Url> parsed = net::parse_base_url(url);
  if (parsed.ok()) return ok_status();
  return config_error(source_name, where,
                      std::string(field) + " is not a usable http(s) base URL: " + parsed.status().message());
}

// Visits every table of an array of tables (`[[name]]`), refusing anything else.
template <typename Visit>
Status each_table(const toml::node& value, std::string_view key, const std::string& source_name, Visit visit) {
  const auto* array = value.as_array();
  if (array == nullptr) {
    return config_error(source_name, value.source(),
                        std::string(key) + " must be an array of tables: write [[" + std::string(key) + "]]");
  }
  for (const toml::node& element : *array) {
    const auto* table = element.as_table();
    if (table == nullptr)
      return config_error(source_name, element.source(), "each " + std::string(key) + " entry must be a table");
    HEARTH_RETURN_IF_ERROR(visit(*table));
  }
  return ok_status();
}

Status read_settings(const toml::node& value, const std::string& source_name, GatewaySettings* out) {
  const auto* table = value.as_table();
  if (table == nullptr) return config_error(source_name, value.source(), "gateway must be a table: write [gateway]");
  TableReader reader(*table, source_name, "[gateway]");
  HEARTH_RETURN_IF_ERROR(reader.duration("poll_interval", &out->poll_interval_ms));
  HEARTH_RETURN_IF_ERROR(reader.count("down_after", &out->down_after, 1, 1000));
  HEARTH_RETURN_IF_ERROR(reader.count("circuit_failures", &out->circuit_failures, 1, 1000));
  HEARTH_RETURN_IF_ERROR(reader.duration("circuit_cooldown", &out->circuit_cooldown_ms));
  HEARTH_RETURN_IF_ERROR(reader.duration("burst_ttft", &out->burst_ttft_ms));
  return reader.reject_unknown("poll_interval, down_after, circuit_failures, circuit_cooldown, burst_ttft");
}

Status read_node(const toml::table& table, const std::string& source_name, GatewayConfig* config) {
  TableReader reader(table, source_name, "[[nodes]]");
  NodeTarget node;
  HEARTH_RETURN_IF_ERROR(reader.string("name", &node.name, true));
  HEARTH_RETURN_IF_ERROR(reader.string("url", &node.url, true));
  HEARTH_RETURN_IF_ERROR(reader.string("api_key_env", &node.api_key_env, false));
  HEARTH_RETURN_IF_ERROR(reader.reject_unknown("name, url, api_key_env"));
  if (!valid_name(node.name)) {
    return config_error(source_name, table.source(), "node name '" + node.name + "' must be 1-64 of [A-Za-z0-9._-]");
  }
  HEARTH_RETURN_IF_ERROR(check_base_url("the node url", node.url, source_name, table.source()));
  for (const NodeTarget& other : config->nodes) {
    if (other.name == node.name)
      return config_error(source_name, table.source(), "two nodes are named '" + node.name + "'");
  }
  config->nodes.push_back(std::move(node));
  return ok_status();
}

Status read_provider(const toml::table& table, const std::string& source_name, GatewayConfig* config) {
  TableReader reader(table, source_name, "[[providers]]");
  Provider provider;
  std::string kind;
  HEARTH_RETURN_IF_ERROR(reader.string("name", &provider.name, true));
  HEARTH_RETURN_IF_ERROR(reader.string("kind", &kind, true));
  HEARTH_RETURN_IF_ERROR(reader.string("base_url", &provider.base_url, false));
  HEARTH_RETURN_IF_ERROR(reader.string("api_key_env", &provider.api_key_env, false));
  HEARTH_RETURN_IF_ERROR(reader.usd("input_usd_per_mtok", &provider.input_udollars_per_mtok));
  HEARTH_RETURN_IF_ERROR(reader.usd("output_usd_per_mtok", &provider.output_udollars_per_mtok));
  HEARTH_RETURN_IF_ERROR(
      reader.reject_unknown("name, kind, base_url, api_key_env, input_usd_per_mtok, output_usd_per_mtok"));
  if (!valid_name(provider.name) || provider.name == kLocal) {
    return config_error(source_name, table.source(),
                        "provider name '" + provider.name + "' must be 1-64 of [A-Za-z0-9._-] and not 'local'");
  }
  if (kind == "openai") {
    provider.kind = ProviderKind::kOpenAi;
    if (provider.base_url.empty()) provider.base_url = "https://api.openai.com/v1";
  } else if (kind == "anthropic") {
    provider.kind = ProviderKind::kAnthropic;
    if (provider.base_url.empty()) provider.base_url = "https://api.anthropic.com/v1";
  } else if (kind == "openai-compatible") {
    provider.kind = ProviderKind::kOpenAiCompatible;
    if (provider.base_url.empty()) {
      return config_error(source_name, table.source(), "an openai-compatible provider needs base_url");
    }
  } else {
    return config_error(source_name, table.source(),
                        "provider kind '" + kind + "' is not supported (known: openai, openai-compatible, anthropic)");
  }
  HEARTH_RETURN_IF_ERROR(check_base_url("base_url", provider.base_url, source_name, table.source()));
  for (const Provider& other : config->providers) {
    if (other.name == provider.name) {
      return config_error(source_name, table.source(), "two providers are named '" + provider.name + "'");
    }
  }
  config->providers.push_back(std::move(provider));
  return ok_status();
}

Status read_alias(const toml::table& table, const std::string& source_name, GatewayConfig* config) {
  TableReader reader(table, source_name, "[[aliases]]");
  ModelRoute route;
  std::vector<std::string> cloud;
  HEARTH_RETURN_IF_ERROR(reader.string("name", &route.name, true));
  HEARTH_RETURN_IF_ERROR(reader.string("local", &route.local, false));
  HEARTH_RETURN_IF_ERROR(reader.strings("cloud", &cloud));
  HEARTH_RETURN_IF_ERROR(reader.reject_unknown("name, local, cloud"));
  if (route.local.empty() && cloud.empty()) {
    return config_error(source_name, table.source(), "alias '" + route.name + "' names neither local nor cloud");
  }
  for (const std::string& entry : cloud) {
    const size_t colon = entry.find(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == entry.size()) {
      return config_error(source_name, table.source(), "cloud entry '" + entry + "' must be provider:model");
    }
    CloudModel target{entry.substr(0, colon), entry.substr(colon + 1)};
    if (config->find_provider(target.provider) == nullptr) {
      return config_error(source_name, table.source(),
                          "alias '" + route.name + "' names the provider '" + target.provider +
                              "', which no [[providers]] entry defines");
    }
    route.cloud.push_back(std::move(target));
  }
  if (config->find_alias(route.name) != nullptr) {
    return config_error(source_name, table.source(), "two aliases are named '" + route.name + "'");
  }
  config->aliases.push_back(std::move(route));
  return ok_status();
}

Status read_policy(const toml::node& value, const std::string& source_name, GatewayConfig* config) {
  const auto* table = value.as_table();
  if (table == nullptr) return config_error(source_name, value.source(), "policy must be a table: write [policy]");
  TableReader reader(*table, source_name, "[policy]");
  std::string default_class;
  HEARTH_RETURN_IF_ERROR(reader.string("default_class", &default_class, false));
  if (!default_class.empty()) {
    auto parsed = parse_data_class(default_class);
    if (!parsed) {
      return config_error(source_name, table->get("default_class")->source(),
                          "default_class must be public, internal or confidential");
    }
    config->policy.default_class = *parsed;
  }
  for (DataClass data_class : {DataClass::kPublic, DataClass::kInternal, DataClass::kConfidential}) {
    const std::string_view key = data_class_name(data_class);
    std::vector<std::string> destinations;
    HEARTH_RETURN_IF_ERROR(reader.strings(key, &destinations));
    const toml::node* node = table->get(key);
    if (node == nullptr) continue;
    for (const std::string& destination : destinations) {
      if (destination != kLocal && config->find_provider(destination) == nullptr) {
        return config_error(source_name, node->source(),
                            std::string(key) + " names '" + destination +
                                "', which is neither 'local' nor a provider of [[providers]]");
      }
      if (data_class == DataClass::kConfidential && destination != kLocal) {
        return config_error(source_name, node->source(),
                            "confidential may go to 'local' only: confidential data never leaves the shop's nodes");
      }
    }
    config->policy.allowed[data_class] = std::move(destinations);
    config->policy.source[data_class] = where(source_name, *node);
  }
  return reader.reject_unknown("default_class, public, internal, confidential");
}

}  // namespace

std::span<const std::string_view> gateway_config_keys() { return kKeys; }

const Provider* GatewayConfig::find_provider(std::string_view name) const {
  for (const Provider& provider : providers) {
    if (provider.name == name) return &provider;
  }
  return nullptr;
}

const ModelRoute* GatewayConfig::find_alias(std::string_view name) const {
  for (const ModelRoute& route : aliases) {
    if (route.name == name) return &route;
  }
  return nullptr;
}

bool GatewayConfig::allows(DataClass data_class, std::string_view destination) const {
  if (destination == kLocal) return true;
  if (data_class == DataClass::kConfidential) return false;  // whatever the file says
  auto it = policy.allowed.find(data_class);
  if (it == policy.allowed.end()) return false;  // not configured: local only
  return std::find(it->second.begin(), it->second.end(), destination) != it->second.end();
}

Result<GatewayConfig> parse_gateway_config(std::string_view text, const std::string& source_name,
                                           std::span<const std::string_view> keys_owned_elsewhere) {
  toml::table table;
  try {
    table = toml::parse(text, source_name);
  } catch (const toml::parse_error& error) {
    return config_error(source_name, error.source(), std::string(error.description()));
  }
  GatewayConfig config;
  // Providers first: aliases and the policy refer to them wherever they appear in the file.
  if (const toml::node* providers = table.get("providers")) {
    HEARTH_RETURN_IF_ERROR(each_table(*providers, "providers", source_name, [&](const toml::table& entry) {
      return read_provider(entry, source_name, &config);
    }));
  }
  for (const auto& [key, value] : table) {
    const std::string_view name = key.str();
    if (name == "providers") continue;
    if (name == "gateway") {
      HEARTH_RETURN_IF_ERROR(read_settings(value, source_name, &config.settings));
    } else if (name == "nodes") {
      HEARTH_RETURN_IF_ERROR(each_table(
          value, name, source_name, [&](const toml::table& entry) { return read_node(entry, source_name, &config); }));
    } else if (name == "aliases") {
      HEARTH_RETURN_IF_ERROR(each_table(
          value, name, source_name, [&](const toml::table& entry) { return read_alias(entry, source_name, &config); }));
    } else if (name == "policy") {
      HEARTH_RETURN_IF_ERROR(read_policy(value, source_name, &config));
    } else if (std::find(keys_owned_elsewhere.begin(), keys_owned_elsewhere.end(), name) ==
               keys_owned_elsewhere.end()) {
      return config_error(source_name, key.source(), "unknown key '" + std::string(name) + "'");
    }
  }
  return config;
}

Result<GatewayConfig> load_gateway_config(const std::string& path,
                                          std::span<const std::string_view> keys_owned_elsewhere) {
  HEARTH_ASSIGN_OR_RETURN(const std::string text, node::read_config_text(path));
  return parse_gateway_config(text, path, keys_owned_elsewhere);
}

}  // namespace hearth::gateway
