#include "gateway/fleet.h"

#include <algorithm>

namespace hearth::gateway {

const NodeModelStatus* NodeStatus::find(std::string_view id) const {
  for (const NodeModelStatus& model : models) {
    if (model.id == id) return &model;
  }
  return nullptr;
}

Fleet::Fleet(std::vector<NodeTarget> nodes, const GatewaySettings& settings)
    : nodes_(std::move(nodes)), settings_(settings), states_(nodes_.size()) {}

void Fleet::carry_over(const Fleet& old) {
  for (size_t node_idx = 0; node_idx < nodes_.size(); ++node_idx) {
    for (size_t old_idx = 0; old_idx < old.nodes_.size(); ++old_idx) {
      if (old.nodes_[old_idx].name == nodes_[node_idx].name && old.nodes_[old_idx].url == nodes_[node_idx].url) {
        states_[node_idx] = old.states_[old_idx];
      }
    }
  }
  circuits_ = old.circuits_;
}

void Fleet::report_poll_success(size_t node_idx, NodeStatus status) {
  NodeState& state = states_[node_idx];
  // A node that comes back starts with a closed circuit: the failures were its absence.
  if (!state.up) circuits_.erase("node:" + nodes_[node_idx].name);
  state.up = true;
  state.n_missed = 0;
  state.status = std::move(status);
  state.down_reason.clear();
}

void Fleet::report_poll_failure(size_t node_idx, std::string reason) {
  NodeState& state = states_[node_idx];
  ++state.n_missed;
  if (state.n_missed >= settings_.down_after || !state.up) {
    state.up = false;
    state.down_reason = std::move(reason);
  }
}

void Fleet::record_outcome(const std::string& target, bool ok, int64_t now_ms) {
  Circuit& circuit = circuits_[target];
  if (ok) {
    circuit = Circuit{};
    return;
  }
  ++circuit.n_failures;
  if (circuit.n_failures >= settings_.circuit_failures) circuit.open_until_ms = now_ms + settings_.circuit_cooldown_ms;
}

bool Fleet::circuit_open(const std::string& target, int64_t now_ms) const {
  return circuit_open_for_ms(target, now_ms) > 0;
}

int32_t Fleet::consecutive_failures(const std::string& target) const {
  auto it = circuits_.find(target);
  return it == circuits_.end() ? 0 : it->second.n_failures;
}

int64_t Fleet::circuit_open_for_ms(const std::string& target, int64_t now_ms) const {
  auto it = circuits_.find(target);
  return it == circuits_.end() ? 0 : std::max<int64_t>(0, it->second.open_until_ms - now_ms);
}

}  // namespace hearth::gateway
