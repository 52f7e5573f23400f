// `hearth bench`: prefill and decode speed of one model on this machine, set
// against the decode bound (read bandwidth / bytes read per generated token).
//
// Method, as llama-bench does it: pp = one prompt of n_prompt random token ids
// into an empty context, timed as a whole; tg = n_gen single-token evals from
// an empty context. Each is repeated n_reps times and the best is kept, after
// one untimed warm-up pass that pages the weights in. Read bandwidth is
// measured before and after the timed runs and the higher figure is kept, so
// a noisy moment makes the bound stricter, never looser.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "base/thread_pool.h"
#include "infer/llama_model.h"

namespace hearth::cli {

struct BenchOptions {
  int64_t n_prompt = 512;
  int64_t n_gen = 128;
  int n_reps = 3;
};

struct BenchResult {
  int n_threads = 0;
  int64_t n_prompt = 0;
  int64_t n_gen = 0;
  double pp_tps = 0;                    // prompt tokens per second
  double tg_tps = 0;                    // generated tokens per second
  double read_gbs = 0;                  // measured read bandwidth, 1e9 B/s
  uint64_t weight_bytes_per_token = 0;  // matrices read by one decode step
  uint64_t kv_bytes_per_token = 0;      // KV cache read by one decode step, averaged over tg
  double tg_bound_tps = 0;              // read_gbs / bytes per token
  double bound_fraction = 0;            // tg_tps / tg_bound_tps
};

// Bytes one decode step reads from weights: every layer matrix, the output
// matrix and the norms (the embedding contributes one row when untied); of a
// mixture of experts, the router and n_expert_used experts per layer (the
// bytes a token reads, not the bytes the file holds).
uint64_t decode_weight_bytes(const model::LlamaWeights& weights, const model::LlamaConfig& config);

// The options as `hearth bench` flags: --prompt-tokens from 1 to
// InferContext::kMaxBatch (the prompt is one pass), --gen-tokens from 1 to
// InferContext::kMaxContext, --reps from 1 to kMaxBenchReps. kInvalidArgument
// naming the flag and its range. Needs no model: check before loading one.
inline constexpr int kMaxBenchReps = 1000;
Status validate_bench_options(const BenchOptions& options);

// Validates the options first (validate_bench_options).
Result<BenchResult> run_bench(const infer::LlamaModel& model, const BenchOptions& options, ThreadPool& pool);

}  // namespace hearth::cli
