// Will-it-fit searches over plan_memory.
#include "planner/fit_search.h"

#include <algorithm>

namespace hearth::planner {
namespace {

constexpr int64_t kMaxContext = int64_t{1} << 24;  // infer::Scheduler's bound

}  // namespace

int64_t max_context_that_fits(const model::LlamaConfig& config, int64_t weights_bytes, const PlanSettings& settings,
                              int64_t budget_bytes, int64_t ctx_limit) {
  const auto fits = [&](int64_t n_ctx) {
    PlanSettings trial = settings;
    trial.n_ctx = n_ctx;
    return plan_memory(config, weights_bytes, trial).total_bytes() <= budget_bytes;
  };
  ctx_limit = std::min(ctx_limit, kMaxContext);
  if (ctx_limit < 1 || !fits(1)) return 0;
  int64_t lo = 1;  // fits
  int64_t hi = ctx_limit;
  if (fits(hi)) return hi;
  while (hi - lo > 1) {  // invariant: lo fits, hi does not
    const int64_t mid = lo + (hi - lo) / 2;
    (fits(mid) ? lo : hi) = mid;
  }
  return lo;
}

std::optional<QuantChoice> best_quant_that_fits(const model::LlamaConfig& config, const PlanSettings& settings,
                                                int64_t budget_bytes) {
  std::optional<QuantChoice> best;
  for (model::FileType file_type : model::all_file_types()) {
    Result<int64_t> weights = shape_weights_bytes(config, file_type);
    if (!weights.ok()) continue;
    const MemoryPlan plan = plan_memory(config, *weights, settings);
    if (plan.total_bytes() > budget_bytes) continue;
    if (!best || *weights > best->weights_bytes) best = QuantChoice{file_type, *weights, plan};
  }
  return best;
}

double decode_tps_bound(const MemoryPlan& plan, int64_t n_ctx, double bandwidth_gbps) {
  if (bandwidth_gbps <= 0.0) return 0.0;
  const int64_t weights = plan.decode_weights_bytes > 0 ? plan.decode_weights_bytes : plan.weights_bytes;
  const double bytes_per_token = static_cast<double>(weights + n_ctx * plan.kv_bytes_per_token);
  return bandwidth_gbps * 1e9 / bytes_per_token;
}

}  // namespace hearth::planner
