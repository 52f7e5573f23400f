// The gateway's sections of the config file (`hearth serve --config FILE`;
// the node's own keys are node/node_config.h's): the other nodes of the
// fleet, cloud providers, public model names and where each may run, and the
// data-class policy. docs/gateway.md has a commented example.
//
//   [gateway]
//   poll_interval = "2s"         # how often each node's status is read
//   down_after = 3               # missed polls before a node counts as down
//   circuit_failures = 5         # consecutive failures before a target is skipped...
//   circuit_cooldown = "30s"     # ...for this long
//   burst_ttft = "20s"           # predicted local TTFT beyond which allowed cloud targets go first
//
//   [[nodes]]
//   name = "studio"
//   url = "http://10.0.0.2:8770"
//   api_key_env = "HEARTH_STUDIO_KEY"    # the key this gateway presents to it (optional)
//
//   [[providers]]
//   name = "openai"
//   kind = "openai"                      # openai | openai-compatible | anthropic
//   base_url = "https://api.openai.com/v1"
//   api_key_env = "OPENAI_API_KEY"       # the key itself never lives in the file
//   input_usd_per_mtok = "0.15"
//   output_usd_per_mtok = "0.60"
//
//   [[aliases]]
//   name = "chat"                        # what clients ask for
//   local = "qwen2.5-7b"                 # the model id on this node or the fleet's nodes
//   cloud = ["openai:gpt-4o-mini"]       # provider:model, in order of preference
//
//   [policy]
//   default_class = "internal"           # class of a request with no API key (default: confidential)
//   public = ["local", "openai"]         # where each class may go; "local" is the shop's own nodes
//   internal = ["local"]
//   confidential = ["local"]             # anything but ["local"] is refused: confidential never leaves
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/money.h"
#include "base/status.h"
#include "gateway/data_class.h"

namespace hearth::gateway {

// The top-level keys this file owns (node/node_config.h skips them).
std::span<const std::string_view> gateway_config_keys();

struct GatewaySettings {
  int64_t poll_interval_ms = 2000;
  int32_t down_after = 3;
  int32_t circuit_failures = 5;
  int64_t circuit_cooldown_ms = 30'000;
  int64_t burst_ttft_ms = 20'000;
};

struct NodeTarget {
  std::string name;
  std::string url;  // http://host:port, no trailing slash
  std::string api_key_env;
};

enum class ProviderKind { kOpenAi, kOpenAiCompatible, kAnthropic };

struct Provider {
  std::string name;
  ProviderKind kind = ProviderKind::kOpenAi;
  std::string base_url;  // ends in /v1 (or the provider's equivalent), no trailing slash
  std::string api_key_env;
  int64_t input_udollars_per_mtok = 0;  // price per million prompt tokens, micro-dollars
  int64_t output_udollars_per_mtok = 0;
};

struct CloudModel {
  std::string provider;  // a Provider's name
  std::string model;     // the provider's model name
};

struct ModelRoute {
  std::string name;   // the public name
  std::string local;  // model id on the nodes; empty: cloud only
  std::vector<CloudModel> cloud;
};

// Where each class may go: "local" and provider names.
struct Policy {
  DataClass default_class = DataClass::kConfidential;
  std::map<DataClass, std::vector<std::string>> allowed;  // absent class: local only
  // Where each entry came from ("FILE:LINE"), for error messages.
  std::map<DataClass, std::string> source;
};

inline constexpr std::string_view kLocal = "local";

struct GatewayConfig {
  GatewaySettings settings;
  std::vector<NodeTarget> nodes;
  std::vector<Provider> providers;
  std::vector<ModelRoute> aliases;
  Policy policy;

  bool routes_anywhere() const { return !nodes.empty() || !providers.empty(); }
  const Provider* find_provider(std::string_view name) const;
  const ModelRoute* find_alias(std::string_view name) const;
  // Whether `data_class` may go to `destination` ("local" or a provider name).
  // Confidential goes to "local" only, whatever the file says.
  bool allows(DataClass data_class, std::string_view destination) const;
};

// kInvalidArgument as "FILE:LINE: what is wrong" for syntax errors, unknown
// keys, wrong types, duplicate names, an alias naming an unknown provider, a
// policy naming one, or confidential allowed anywhere but local. Keys the node
// owns (models_dir, ...) are skipped.
Result<GatewayConfig> parse_gateway_config(std::string_view text, const std::string& source_name,
                                           std::span<const std::string_view> keys_owned_elsewhere);
Result<GatewayConfig> load_gateway_config(const std::string& path,
                                          std::span<const std::string_view> keys_owned_elsewhere);

}  // namespace hearth::gateway
