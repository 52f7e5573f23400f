// The router: for one request, the ordered targets that may serve it, or the
// reason none may. Pure: the config, the fleet's state and this node's own
// models in, a decision out; api/ carries it out (and fails over down the list).
//
// Order: the shop's own targets (this node, then up nodes that have the model
// and can fit it) by predicted time to first token, then the cloud targets of
// the alias that the request's data class may reach, in the alias's order.
// When the best local prediction exceeds burst_ttft the allowed cloud targets
// go first. Confidential requests never get a cloud target, whatever the
// config says (GatewayConfig::allows); when nothing local can serve them the
// answer is an error naming the rule, never a quiet fallback.
//
// Predicted TTFT = (the model's load time if it is not resident) + (requests
// waiting + 1) x prompt_tokens / measured prefill rate; an unmeasured rate
// counts as kAssumedPrefillTps and an unmeasured load as kAssumedLoadMs.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "gateway/data_class.h"
#include "gateway/fleet.h"
#include "gateway/gateway_config.h"

namespace hearth::gateway {

inline constexpr double kAssumedPrefillTps = 200.0;
inline constexpr int64_t kAssumedLoadMs = 2000;

enum class TargetKind { kSelf, kNode, kCloud };

struct Target {
  TargetKind kind = TargetKind::kSelf;
  size_t index = 0;               // into Fleet::nodes() (kNode) or GatewayConfig::providers (kCloud)
  std::string model;              // the model name to send to the target
  std::string label;              // "self", "node:studio", "openai": circuit-breaker key and logs
  int64_t predicted_ttft_ms = 0;  // local targets only
};

struct RouteRequest {
  std::string model;  // as the client named it: an alias or a model id
  DataClass data_class = DataClass::kConfidential;
  int64_t prompt_tokens = 0;  // an estimate is enough
  // False when the key's monthly cloud budget is spent: cloud targets are left out.
  bool cloud_budget_left = true;
};

// kNotFound when neither an alias nor any node (this one included) knows the
// model; kUnavailable when it is known but no allowed target can serve it now,
// the message saying why each was left out and which rule kept it local.
Result<std::vector<Target>> plan_route(const GatewayConfig& config, const Fleet& fleet, const NodeStatus& self,
                                       const RouteRequest& request, int64_t now_ms);

}  // namespace hearth::gateway
