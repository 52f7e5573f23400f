// GET /hearth/v1/status: what this node is and what it is doing, for people
// and for a gateway choosing where to send a request.
//
//   {"object": "hearth.status",
//    "machine": {"name", "description", "ram_bytes", "usable_bytes", "cores", "gpu_name", "gpu_bytes"},
//    "models": [{"id", "path", "n_ctx", "weights_bytes",
//                "kv": {"blocks_total", "blocks_used", "blocks_cached", "block_tokens", "bytes"},
//                "running", "waiting", "prompt_tokens_total", "cached_tokens_total",
//                "generated_tokens_total", "steps_total", "prefill_tps", "decode_tps"}, ...]}
//
// "machine" is null when the local machine cannot be read. Rates are the
// scheduler's measurements since start (0 until measured). Every model is
// resident for the process's life today; a model manager (memory budget,
// last use, idle unload) is a later step.
#pragma once

#include <string>

#include "base/status.h"
#include "node/model_registry.h"
#include "planner/hardware_profile.h"

namespace hearth::api {

std::string render_status(const node::ModelRegistry& registry, const Result<planner::HardwareProfile>& machine);

}  // namespace hearth::api
