// The one hook where a locally served generation is recorded in the usage
// ledger (ledger/usage_ledger.h): model, tokens in/out, the engine's wall
// time, this node's name and the caller's key. It only queues the row for the
// ledger's writer thread (ledger/usage_writer.h); a row the writer refuses
// (queue full) is counted there and logged, never failing the request.
// I/O thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "api/http_connection.h"

namespace hearth::api {

// Nothing when the server keeps no usage ledger.
void record_local_usage(ServerContext& ctx, const RequestState& state, const std::string& model,
                        int64_t prompt_tokens, int64_t completion_tokens,
                        std::chrono::steady_clock::time_point t_submit);

}  // namespace hearth::api
