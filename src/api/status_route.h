// GET /hearth/v1/status: what this node is and what it is doing, for people
// and for a gateway choosing where to send a request.
//
//   {"object": "hearth.status",
//    "machine": {"name", "description", "ram_bytes", "usable_bytes", "cores", "gpu_name", "gpu_bytes"},
//    "memory": {"budget_bytes", "committed_bytes"},
//    "queue": {"running", "waiting"},
//    "models": [{"id", "path", "state": "resident" | "loading" | "unloaded", "pinned", "n_ctx",
//                "planned_bytes", "fits_budget",
//                "plan": {"weights_bytes", "kv_bytes", "kv_positions", "scratch_bytes", "overhead_bytes"},
//                "in_use", "keep_alive_ms", "idle_ms", "last_used_unix_ms", "loads", "load_ms",
//                "engine": null | {"kv": {"blocks_total", "blocks_used", "blocks_cached"},
//                                  "running", "waiting", "prompt_tokens_total", "cached_tokens_total",
//                                  "generated_tokens_total", "steps_total", "prefill_tps", "decode_tps"}}, ...]}
//
//   plus, on a gateway, "gateway": its nodes and providers (api/gateway_status.h).
//
// "machine" is null when the local machine cannot be read. keep_alive_ms is
// -1 for forever; idle_ms -1 while in use or never used. "engine" holds the
// scheduler's counters and measured rates: live while resident, as they were
// at the last unload otherwise, null if the model was never loaded.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "base/status.h"
#include "node/model_manager.h"
#include "planner/hardware_profile.h"

namespace hearth::api {

// `gateway`: the gateway's part (api/gateway_status.h), added as "gateway"
// unless null (a plain node).
std::string render_status(const node::ModelManager& models, const Result<planner::HardwareProfile>& machine,
                          nlohmann::json gateway = nullptr);

}  // namespace hearth::api
