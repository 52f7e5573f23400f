// The hook where a locally served generation is recorded in the usage ledger
// (ledger/usage_ledger.h): model, tokens in/out, the engine's wall time (from
// submit to finish), this node's name, the caller's key and, with
// `[costs] power = "rapl"`, the packages' measured energy over that time. It
// only queues the row for the ledger's writer thread (ledger/usage_writer.h);
// a row the writer refuses (queue full) is counted there and logged, never
// failing the request. With RAPL, each end reads the counters (a few sysfs
// reads on the I/O thread).
//
//   const LocalUsageStart usage_start = begin_local_usage(ctx);   // just before submit
//   ... generate ...
//   record_local_usage(ctx, state, model, n_prompt, n_generated, usage_start);
//
// I/O thread only.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "api/http_connection.h"
#include "ledger/rapl_meter.h"

namespace hearth::api {

struct LocalUsageStart {
  std::chrono::steady_clock::time_point t_submit;
  std::optional<ledger::RaplReading> energy;  // with a RAPL meter whose reading succeeded
};

LocalUsageStart begin_local_usage(const ServerContext& ctx);

// Nothing when the server keeps no usage ledger.
void record_local_usage(ServerContext& ctx, const RequestState& state, const std::string& model, int64_t prompt_tokens,
                        int64_t completion_tokens, const LocalUsageStart& start);

}  // namespace hearth::api
