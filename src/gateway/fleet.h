// Fleet: what the gateway knows about the other nodes (their last status,
// up or down) and about every target's recent failures (circuit breakers).
// Fed by api/'s status poller and proxy; read by the router.
//
// Thread-safety: not thread-safe; the server's I/O thread owns it.
// Movable: a config reload replaces it.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gateway/gateway_config.h"

namespace hearth::gateway {

// One model as a node's status reports it (GET /hearth/v1/status).
struct NodeModelStatus {
  std::string id;
  bool resident = false;
  bool fits_budget = true;
  int32_t running = 0;
  int32_t waiting = 0;
  double prefill_tps = 0.0;  // 0: not measured yet
  int64_t load_ms = 0;       // its last load; 0: never loaded
  int64_t n_ctx = 0;
};

struct NodeStatus {
  std::vector<NodeModelStatus> models;

  const NodeModelStatus* find(std::string_view id) const;
};

class Fleet {
 public:
  Fleet(std::vector<NodeTarget> nodes, const GatewaySettings& settings);

  const std::vector<NodeTarget>& nodes() const { return nodes_; }
  // A node is up after a successful poll and down after settings.down_after
  // failed polls in a row (or before its first poll).
  bool up(size_t node_idx) const { return states_[node_idx].up; }
  const NodeStatus& status(size_t node_idx) const { return states_[node_idx].status; }
  // "down since ..." style detail for error messages: why the node is down.
  const std::string& down_reason(size_t node_idx) const { return states_[node_idx].down_reason; }

  // After a config reload: takes over `old`'s state for every node with the
  // same name and URL, and its circuit breakers.
  void carry_over(const Fleet& old);

  void report_poll_success(size_t node_idx, NodeStatus status);
  void report_poll_failure(size_t node_idx, std::string reason);

  // Circuit breakers, keyed by target label ("node:studio", "openai"): after
  // circuit_failures consecutive failures a target is skipped for
  // circuit_cooldown; one success closes it again, and so does a node's
  // first successful poll after it was down.
  void record_outcome(const std::string& target, bool ok, int64_t now_ms);
  bool circuit_open(const std::string& target, int64_t now_ms) const;
  // Failures in a row so far (0 after a success or for an unknown target),
  // and how long the circuit stays open from now_ms (0: closed).
  int32_t consecutive_failures(const std::string& target) const;
  int64_t circuit_open_for_ms(const std::string& target, int64_t now_ms) const;

 private:
  struct NodeState {
    bool up = false;
    int32_t n_missed = 0;
    NodeStatus status;
    std::string down_reason = "not polled yet";
  };
  struct Circuit {
    int32_t n_failures = 0;
    int64_t open_until_ms = 0;
  };

  std::vector<NodeTarget> nodes_;
  GatewaySettings settings_;
  std::vector<NodeState> states_;
  std::map<std::string, Circuit, std::less<>> circuits_;
};

}  // namespace hearth::gateway
