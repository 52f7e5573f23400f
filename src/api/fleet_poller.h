// Reads every node's GET /hearth/v1/status every poll_interval and feeds the
// gateway's Fleet (up/down, models, queue, measured rates). One coroutine per
// node on the I/O thread; each stops at shutdown or when a config reload
// starts new ones.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/gateway_handler.h"
#include "gateway/fleet.h"

namespace hearth::api {

// The models of a status body (api/status_route.h's shape); kDataLoss when the
// body is not that shape.
Result<gateway::NodeStatus> parse_node_status(std::string_view body);

// Starts one poller per node of the gateway's current config (generation):
// each polls until `stopping` is set, its timer is cancelled, or a reload
// starts a new generation. `gateway` and `stopping` must outlive them.
void start_polling(asio::io_context& io, GatewayState& gateway, const bool& stopping);

}  // namespace hearth::api
