#include "api/gateway_status.h"

#include <string>

#include "api/gateway_handler.h"

namespace hearth::api {
namespace {

nlohmann::json circuit_object(const gateway::Fleet& fleet, const std::string& label, int64_t now_ms) {
  const int64_t open_for_ms = fleet.circuit_open_for_ms(label, now_ms);
  return {{"failures", fleet.consecutive_failures(label)}, {"open", open_for_ms > 0}, {"open_for_ms", open_for_ms}};
}

std::string_view provider_kind_name(gateway::ProviderKind kind) {
  switch (kind) {
    case gateway::ProviderKind::kOpenAi:
      return "openai";
    case gateway::ProviderKind::kOpenAiCompatible:
      return "openai-compatible";
    case gateway::ProviderKind::kAnthropic:
      return "anthropic";
  }
  return "unknown";
}

}  // namespace

nlohmann::json gateway_status_object(const GatewayState& gateway, int64_t now_ms) {
  const gateway::Fleet& fleet = gateway.fleet;
  nlohmann::json nodes = nlohmann::json::array();
  for (size_t node_idx = 0; node_idx < fleet.nodes().size(); ++node_idx) {
    const gateway::NodeTarget& node = fleet.nodes()[node_idx];
    nlohmann::json models = nlohmann::json::array();
    nlohmann::json resident = nlohmann::json::array();
    int64_t n_running = 0;
    int64_t n_waiting = 0;
    for (const gateway::NodeModelStatus& model : fleet.status(node_idx).models) {
      models.push_back(model.id);
      if (model.resident) resident.push_back(model.id);
      n_running += model.running;
      n_waiting += model.waiting;
    }
    const bool up = fleet.up(node_idx);
    nodes.push_back({{"name", node.name},
                     {"url", node.url},
                     {"up", up},
                     {"down_reason", up ? nlohmann::json(nullptr) : nlohmann::json(fleet.down_reason(node_idx))},
                     {"models", std::move(models)},
                     {"resident", std::move(resident)},
                     {"queue", {{"running", n_running}, {"waiting", n_waiting}}},
                     {"circuit", circuit_object(fleet, "node:" + node.name, now_ms)}});
  }
  nlohmann::json providers = nlohmann::json::array();
  for (const gateway::Provider& provider : gateway.config->providers) {
    providers.push_back({{"name", provider.name},
                         {"kind", provider_kind_name(provider.kind)},
                         {"base_url", provider.base_url},
                         {"circuit", circuit_object(fleet, provider.name, now_ms)}});
  }
  return {{"default_class", gateway::data_class_name(gateway.config->policy.default_class)},
          {"nodes", std::move(nodes)},
          {"providers", std::move(providers)}};
}

}  // namespace hearth::api
