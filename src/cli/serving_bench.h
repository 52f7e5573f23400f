// `hearth bench-serving`: what the serving engine (infer::Scheduler) delivers
// on this machine, apart from HTTP.
//
// Streams: for each count N, N requests start together, each with a distinct
// short prompt (no prefix sharing) and n_gen tokens to generate (end of
// generation ignored). Aggregate decode rate = tokens generated after each
// stream's first / (last finish - first first-token): the rate at which the
// engine produced decode tokens while the streams ran side by side.
//
// Time to first token of an n_prompt-token prompt (max_tokens 1), as the
// scheduler measures it (submit to first sampled token), median of n_reps:
//   - idle: nothing else running;
//   - busy: while 8 interactive streams decode;
//   - prefix: the prompt shares its first n_shared tokens with an earlier one;
//   - under batch: while 16 batch-priority requests (n_prompt-token prompts,
//     long generations) keep the engine saturated.
// Every prompt is fresh random ids unless said otherwise, so only the prefix
// case hits the prefix cache.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "infer/llama_model.h"
#include "infer/scheduler.h"
#include "text/tokenizer.h"

namespace hearth::cli {

struct ServingBenchOptions {
  std::vector<int32_t> stream_counts = {1, 4, 8, 16};
  int32_t n_gen = 64;                 // tokens per stream in the stream test
  int64_t n_prompt = 512;             // prompt of the TTFT tests
  int64_t n_shared = 448;             // shared prefix of the prefix test
  int32_t n_reps = 3;                 // TTFT repetitions (median kept)
  infer::SchedulerOptions scheduler;  // n_ctx, max_seqs, ... for every test
};

struct StreamsResult {
  int32_t n_streams = 0;
  double aggregate_tps = 0;  // decode tokens per second over all streams
  double per_stream_tps = 0;
};

struct ServingBenchResult {
  std::vector<StreamsResult> streams;
  double ttft_idle_ms = 0;
  double ttft_busy_ms = 0;
  double ttft_prefix_ms = 0;
  double ttft_under_batch_ms = 0;
};

// The options as `hearth bench-serving` flags: --ctx, --max-batch-tokens and
// --threads within the scheduler's bounds, --ctx large enough for
// --prompt-tokens + 1 and for a 16-token stream prompt + --gen-tokens,
// --shared-tokens below --prompt-tokens, --reps and --streams at least 1.
// kInvalidArgument naming the flags. Needs no model: check before loading one.
Status validate_serving_bench_options(const ServingBenchOptions& options);

// Validates the options first (validate_serving_bench_options).
Result<ServingBenchResult> run_serving_bench(const infer::LlamaModel& model, const text::Tokenizer& tokenizer,
                                             const ServingBenchOptions& options);

}  // namespace hearth::cli
