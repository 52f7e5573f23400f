#include "gateway/router.h"

#include <algorithm>
#include <cmath>

namespace hearth::gateway {
namespace {

int64_t predicted_ttft_ms(const NodeModelStatus& model, int64_t prompt_tokens) {
  const double prefill_tps = model.prefill_tps > 0.0 ? model.prefill_tps : kAssumedPrefillTps;
  const double prefill_ms = static_cast<double>(std::max<int64_t>(prompt_tokens, 1)) * 1000.0 / prefill_tps;
  const int64_t load_ms = model.resident ? 0 : (model.load_ms > 0 ? model.load_ms : kAssumedLoadMs);
  return load_ms + static_cast<int64_t>(std::llround(prefill_ms * (1.0 + std::max(0, model.waiting))));
}

std::string joined(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t part_idx = 0; part_idx < parts.size(); ++part_idx) {
    if (part_idx > 0) out += "; ";
    out += parts[part_idx];
  }
  return out;
}

}  // namespace

Result<std::vector<Target>> plan_route(const GatewayConfig& config, const Fleet& fleet, const NodeStatus& self,
                                       const RouteRequest& request, int64_t now_ms) {
  const ModelRoute* alias = config.find_alias(request.model);
  const std::string local_id = alias != nullptr ? alias->local : request.model;
  std::vector<Target> local;
  std::vector<std::string> left_out;  // why each candidate was not used

  if (!local_id.empty()) {
    if (const NodeModelStatus* model = self.find(local_id)) {
      if (!model->fits_budget) {
        left_out.push_back("this node cannot fit '" + local_id + "' in its memory budget");
      } else {
        local.push_back(
            Target{TargetKind::kSelf, 0, local_id, "self", predicted_ttft_ms(*model, request.prompt_tokens)});
      }
    }
    for (size_t node_idx = 0; node_idx < fleet.nodes().size(); ++node_idx) {
      const std::string& name = fleet.nodes()[node_idx].name;
      const std::string label = "node:" + name;
      if (!fleet.up(node_idx)) {
        left_out.push_back("node " + name + " is down (" + fleet.down_reason(node_idx) + ")");
        continue;
      }
      const NodeModelStatus* model = fleet.status(node_idx).find(local_id);
      if (model == nullptr) {
        left_out.push_back("node " + name + " does not serve '" + local_id + "'");
      } else if (!model->fits_budget) {
        left_out.push_back("node " + name + " cannot fit '" + local_id + "' in its memory budget");
      } else if (fleet.circuit_open(label, now_ms)) {
        left_out.push_back("node " + name + " failed repeatedly and is skipped for now");
      } else {
        local.push_back(
            Target{TargetKind::kNode, node_idx, local_id, label, predicted_ttft_ms(*model, request.prompt_tokens)});
      }
    }
    // Stable: on equal predictions this node (listed first) wins: no network hop.
    std::stable_sort(local.begin(), local.end(), [](const Target& lhs, const Target& rhs) {
      return lhs.predicted_ttft_ms < rhs.predicted_ttft_ms;
    });
  }

  std::vector<Target> cloud;
  std::vector<std::string> kept_local;  // the rules that left cloud targets out
  if (alias != nullptr) {
    for (const CloudModel& target : alias->cloud) {
      const Provider* provider = config.find_provider(target.provider);
      const size_t provider_idx = static_cast<size_t>(provider - config.providers.data());
      if (!config.allows(request.data_class, provider->name)) {
        const auto source = config.policy.source.find(request.data_class);
        const std::string rule =
            request.data_class == DataClass::kConfidential ? "confidential data never leaves the shop's nodes"
            : source != config.policy.source.end()
                ? "the policy at " + source->second + " does not allow " +
                      std::string(data_class_name(request.data_class)) + " data to go to " + provider->name
                : "no [policy] entry allows " + std::string(data_class_name(request.data_class)) +
                      " data to leave the shop's nodes";
        kept_local.push_back(provider->name + ": " + rule);
      } else if (!request.cloud_budget_left) {
        kept_local.push_back(provider->name + ": the API key's monthly cloud budget is spent");
      } else if (fleet.circuit_open(provider->name, now_ms)) {
        left_out.push_back("provider " + provider->name + " failed repeatedly and is skipped for now");
      } else {
        cloud.push_back(Target{TargetKind::kCloud, provider_idx, target.model, provider->name, 0});
      }
    }
  }

  std::vector<Target> targets;
  const bool burst =
      !local.empty() && !cloud.empty() && local.front().predicted_ttft_ms > config.settings.burst_ttft_ms;
  if (burst) targets = cloud;
  targets.insert(targets.end(), local.begin(), local.end());
  if (!burst) targets.insert(targets.end(), cloud.begin(), cloud.end());
  if (!targets.empty()) return targets;

  // Unknown everywhere is a 404; a node that is down might have it, so then it is a 503.
  bool known = alias != nullptr || self.find(local_id) != nullptr;
  for (size_t node_idx = 0; node_idx < fleet.nodes().size() && !known; ++node_idx) {
    known = !fleet.up(node_idx) || fleet.status(node_idx).find(local_id) != nullptr;
  }
  if (!known) return not_found_error("The model '" + request.model + "' does not exist on any node of this shop");
  std::string message = "No target may serve '" + request.model + "' for " +
                        std::string(data_class_name(request.data_class)) + " data now";
  if (!left_out.empty()) message += ": " + joined(left_out);
  if (!kept_local.empty()) {
    message += ". Kept inside the shop, not sent to the cloud: " + joined(kept_local);
  }
  message += ".";
  return unavailable_error(std::move(message));
}

}  // namespace hearth::gateway
