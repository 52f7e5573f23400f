#include "api/usage_recording.h"

#include "base/clock.h"
#include "base/log.h"

namespace hearth::api {

void record_local_usage(ServerContext& ctx, const RequestState& state, const std::string& model,
                        int64_t prompt_tokens, int64_t completion_tokens,
                        std::chrono::steady_clock::time_point t_submit) {
  if (ctx.usage_writer == nullptr) return;
  ledger::UsageRecord row;
  row.ts_unix_ms = unix_now_ms();
  row.node = ctx.options.node_name;
  row.key_name = state.key ? state.key->name : "";
  row.model = model;
  row.prompt_tokens = prompt_tokens;
  row.completion_tokens = completion_tokens;
  row.wall_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t_submit).count();
  const Status queued = ctx.usage_writer->record(std::move(row));
  if (!queued.ok()) HEARTH_LOG(kWarn, "usage ledger: " + queued.message());
}

}  // namespace hearth::api
