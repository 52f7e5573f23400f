#include "cli/config_file.h"

#include <unistd.h>

namespace hearth::cli {
namespace {

std::vector<std::string_view> joined(std::span<const std::string_view> first,
                                     std::span<const std::string_view> second) {
  std::vector<std::string_view> out(first.begin(), first.end());
  out.insert(out.end(), second.begin(), second.end());
  return out;
}

}  // namespace

std::vector<std::string_view> keys_not_of_node() {
  return joined(gateway::gateway_config_keys(), ledger::cost_config_keys());
}

std::vector<std::string_view> keys_not_of_gateway() {
  return joined(node::node_config_keys(), ledger::cost_config_keys());
}

Result<gateway::GatewayConfig> load_gateway_sections(const std::string& path) {
  const std::vector<std::string_view> skipped = keys_not_of_gateway();
  return gateway::load_gateway_config(path, skipped);
}

Result<HearthConfig> load_hearth_config(const std::string& path, std::string_view home) {
  HearthConfig config;
  const std::vector<std::string_view> not_node = keys_not_of_node();
  HEARTH_ASSIGN_OR_RETURN(config.node, node::load_node_config(path, home, not_node));
  HEARTH_ASSIGN_OR_RETURN(config.gateway, load_gateway_sections(path));
  HEARTH_ASSIGN_OR_RETURN(const std::string text, node::read_config_text(path));
  HEARTH_ASSIGN_OR_RETURN(config.costs, ledger::parse_cost_config(text, path));
  return config;
}

ledger::CostSettings cost_settings(const HearthConfig& config) {
  ledger::CostSettings settings;
  settings.hardware = config.costs.hardware;
  settings.kwh_udollars = config.costs.kwh_udollars;
  settings.gpu_hourly_udollars = config.costs.gpu_hourly_udollars;
  for (const gateway::Provider& provider : config.gateway.providers) {
    settings.clouds.push_back({provider.name, provider.input_udollars_per_mtok, provider.output_udollars_per_mtok});
  }
  settings.clouds.insert(settings.clouds.end(), config.costs.compare.begin(), config.costs.compare.end());
  return settings;
}

std::string node_name(const ledger::CostConfig& costs) {
  if (!costs.node.empty()) return costs.node;
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) == 0 && host[0] != '\0') {
    std::string name(host);
    // The usage ledger stores printable ASCII only.
    for (char& ch : name) {
      if (ch < 0x21 || ch > 0x7e) ch = '_';
    }
    return name;
  }
  return "local";
}

}  // namespace hearth::cli
