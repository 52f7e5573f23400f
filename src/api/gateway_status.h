// The "gateway" part of GET /hearth/v1/status on a gateway: what it knows of
// each node it routes to and of each cloud provider, as the router sees them.
//
//   "gateway": {"default_class": "internal",
//               "nodes": [{"name", "url", "up", "down_reason": null | "...", "models": ["id", ...],
//                          "resident": ["id", ...], "queue": {"running", "waiting"},
//                          "circuit": {"failures", "open", "open_for_ms"}}, ...],
//               "providers": [{"name", "kind", "base_url",
//                              "circuit": {"failures", "open", "open_for_ms"}}, ...]}
//
// "models", "resident" and "queue" are what the node's last successful poll
// showed (its servable models, those resident, their requests running and
// waiting summed); they stay as they were while the node is down.
//
// I/O thread only (it reads GatewayState).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>

namespace hearth::api {

struct GatewayState;

// `now_ms` is the steady clock the circuit breakers were fed with.
nlohmann::json gateway_status_object(const GatewayState& gateway, int64_t now_ms);

}  // namespace hearth::api
