// The config file (`--config FILE`) as every command reads it: the node's
// keys (node/node_config.h), the gateway's sections (gateway/gateway_config.h)
// and [costs] (ledger/cost_config.h), each parser skipping the others' keys,
// so a key nobody owns is still an error naming the file and line.
//
//   HEARTH_ASSIGN_OR_RETURN(HearthConfig config, load_hearth_config(path, getenv("HOME")));
//   ledger::CostSettings prices = cost_settings(config);
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "gateway/gateway_config.h"
#include "ledger/cost_config.h"
#include "ledger/cost_report.h"
#include "node/node_config.h"

namespace hearth::cli {

struct HearthConfig {
  node::NodeConfig node;
  gateway::GatewayConfig gateway;
  ledger::CostConfig costs;
};

// The top-level keys every parser but the named one owns.
std::vector<std::string_view> keys_not_of_node();
std::vector<std::string_view> keys_not_of_gateway();

Result<HearthConfig> load_hearth_config(const std::string& path, std::string_view home);
// The gateway's sections alone (SIGHUP reload).
Result<gateway::GatewayConfig> load_gateway_sections(const std::string& path);

// The prices the cost report uses: [costs], then each provider's per-token
// prices (providers first, in file order), then [[costs.compare]].
ledger::CostSettings cost_settings(const HearthConfig& config);
// [costs] node, else the host name, else "local".
std::string node_name(const ledger::CostConfig& costs);

}  // namespace hearth::cli
