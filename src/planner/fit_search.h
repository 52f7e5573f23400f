// Will-it-fit questions over the memory model: the largest context that fits
// a budget, the best quantization of a catalog shape for a box, and the
// decode speed bound.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>

#include "base/status.h"
#include "model/file_type.h"
#include "model/llama_arch.h"
#include "planner/memory_plan.h"

namespace hearth::planner {

// The largest n_ctx in [1, min(ctx_limit, 2^24)] whose plan (settings otherwise as
// given) totals at most budget_bytes; 0 when even one position does not fit.
// The total grows with n_ctx, so a binary search finds it.
int64_t max_context_that_fits(const model::LlamaConfig& config, int64_t weights_bytes, const PlanSettings& settings,
                              int64_t budget_bytes, int64_t ctx_limit);

struct QuantChoice {
  model::FileType file_type;
  int64_t weights_bytes = 0;
  MemoryPlan plan;
};

// Of the file types whose weights fit the shape's rows, the one with the most
// weight bytes (the most bits) whose plan fits budget_bytes; nullopt when none does.
std::optional<QuantChoice> best_quant_that_fits(const model::LlamaConfig& config, const PlanSettings& settings,
                                                int64_t budget_bytes);

// Decode tokens/s upper bound of one sequence: every step reads the weights a
// token reads (plan.decode_weights_bytes: all of them but the experts it does
// not run) and the sequence's K/V at full context. 0 when the bandwidth is unknown.
double decode_tps_bound(const MemoryPlan& plan, int64_t n_ctx, double bandwidth_gbps);

}  // namespace hearth::planner
