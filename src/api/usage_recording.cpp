#include "api/usage_recording.h"

#include "base/clock.h"
#include "base/log.h"

namespace hearth::api {

LocalUsageStart begin_local_usage(const ServerContext& ctx) {
  LocalUsageStart start;
  start.t_submit = std::chrono::steady_clock::now();
  if (ctx.usage_writer != nullptr && ctx.options.rapl != nullptr) {
    Result<ledger::RaplReading> reading = ctx.options.rapl->read();
    if (reading.ok()) start.energy = std::move(reading).value();
  }
  return start;
}

void record_local_usage(ServerContext& ctx, const RequestState& state, const std::string& model, int64_t prompt_tokens,
                        int64_t completion_tokens, const LocalUsageStart& start) {
  if (ctx.usage_writer == nullptr) return;
  ledger::UsageRecord row;
  row.ts_unix_ms = unix_now_ms();
  row.node = ctx.options.node_name;
  row.key_name = state.key ? state.key->name : "";
  row.model = model;
  row.prompt_tokens = prompt_tokens;
  row.completion_tokens = completion_tokens;
  row.wall_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start.t_submit).count();
  if (start.energy && ctx.options.rapl != nullptr) {
    // A failed reading leaves the row unmeasured: it is priced at watts_load.
    Result<ledger::RaplReading> end = ctx.options.rapl->read();
    if (end.ok()) row.energy_uj = ctx.options.rapl->energy_between(*start.energy, *end);
  }
  const Status queued = ctx.usage_writer->record(std::move(row));
  if (!queued.ok()) HEARTH_LOG(kWarn, "usage ledger: " + queued.message());
}

}  // namespace hearth::api
