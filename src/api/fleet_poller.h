// Reads every node's GET /hearth/v1/status every poll_interval and feeds the
// gateway's Fleet (up/down, models, queue, measured rates). One coroutine per
// node on the I/O thread; each stops when its timer is cancelled at shutdown.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "api/upstream_client.h"
#include "gateway/fleet.h"

namespace hearth::api {

// The models of a status body (api/status_route.h's shape); kDataLoss when the
// body is not that shape.
Result<gateway::NodeStatus> parse_node_status(std::string_view body);

// Polls `node_idx` until `stopping` is set (or `timer`'s wait is cancelled).
// `fleet`, `timer` and `stopping` must outlive the coroutine; `authorization` is sent as is when
// not empty ("Bearer ...").
asio::awaitable<void> poll_node(gateway::Fleet& fleet, size_t node_idx, std::string authorization, int64_t interval_ms,
                                asio::steady_timer& timer, const bool& stopping);

}  // namespace hearth::api
