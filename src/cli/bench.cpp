#include "cli/bench.h"

#include <algorithm>
#include <chrono>
#include <vector>

#include "cli/flag_range.h"
#include "cli/random_normal.h"
#include "cli/read_bandwidth.h"
#include "infer/llama_forward.h"
#include "tensor/dtype.h"

namespace hearth::cli {
namespace {

uint64_t matrix_bytes(const tensor::WeightView& view) {
  return static_cast<uint64_t>(tensor::row_bytes(view.dtype, view.n_cols) * view.n_rows);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

uint64_t decode_weight_bytes(const model::LlamaWeights& weights, const model::LlamaConfig& config) {
  const uint64_t norm_bytes = static_cast<uint64_t>(config.n_embd) * sizeof(float);
  uint64_t total = matrix_bytes(weights.output) + norm_bytes;
  if (!config.tied_output) {
    total += static_cast<uint64_t>(tensor::row_bytes(weights.token_embd.dtype, weights.token_embd.n_cols));
  }
  for (const model::LlamaLayerWeights& layer : weights.layers) {
    total += matrix_bytes(layer.wq) + matrix_bytes(layer.wk) + matrix_bytes(layer.wv) + matrix_bytes(layer.wo) +
             matrix_bytes(layer.w_qkv) + matrix_bytes(layer.w_gate) + matrix_bytes(layer.w_up) +
             matrix_bytes(layer.w_gate_up) + matrix_bytes(layer.w_down) + 2 * norm_bytes;
    // A mixture of experts: the router, then only the experts a token runs
    // (each w_*_exps view has one expert's shape).
    if (layer.ffn_gate_inp.data != nullptr) {
      total += matrix_bytes(layer.ffn_gate_inp) +
               static_cast<uint64_t>(config.n_expert_used) *
                   (matrix_bytes(layer.w_gate_exps) + matrix_bytes(layer.w_up_exps) + matrix_bytes(layer.w_down_exps));
    }
  }
  return total;
}

Status validate_bench_options(const BenchOptions& options) {
  HEARTH_RETURN_IF_ERROR(check_flag_range("--prompt-tokens", options.n_prompt, 1, infer::InferContext::kMaxBatch));
  HEARTH_RETURN_IF_ERROR(check_flag_range("--gen-tokens", options.n_gen, 1, infer::InferContext::kMaxContext));
  return check_flag_range("--reps", options.n_reps, 1, kMaxBenchReps);
}

Result<BenchResult> run_bench(const infer::LlamaModel& model, const BenchOptions& options, ThreadPool& pool) {
  HEARTH_RETURN_IF_ERROR(validate_bench_options(options));
  const model::LlamaConfig& config = model.config();
  const int64_t n_ctx = std::max(options.n_prompt, options.n_gen);
  HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<infer::InferContext> context,
                          infer::InferContext::create(model, n_ctx, pool, options.n_prompt));

  SplitMix64 rng(42);
  std::vector<int32_t> prompt(static_cast<size_t>(options.n_prompt));
  for (int32_t& id : prompt) id = static_cast<int32_t>(rng.next() % static_cast<uint64_t>(config.n_vocab));

  BenchResult result;
  result.n_threads = pool.n_threads();
  result.n_prompt = options.n_prompt;
  result.n_gen = options.n_gen;

  // Bandwidth varies from moment to moment on a shared machine; the bound uses
  // the best of a measurement before and one after the timed runs.
  const double read_gbs_before = measure_read_bandwidth(pool).gbs;

  // Warm-up: pages every weight in, so the timed runs measure compute and bandwidth, not disk.
  HEARTH_RETURN_IF_ERROR(
      context->eval(std::span<const int32_t>(prompt).first(std::min<size_t>(prompt.size(), 32))).status());
  context->clear();

  for (int rep = 0; rep < options.n_reps; ++rep) {
    context->clear();
    const auto start = std::chrono::steady_clock::now();
    HEARTH_RETURN_IF_ERROR(context->eval(prompt).status());
    result.pp_tps = std::max(result.pp_tps, static_cast<double>(options.n_prompt) / seconds_since(start));
  }
  for (int rep = 0; rep < options.n_reps; ++rep) {
    context->clear();
    int32_t token = prompt[0];
    const auto start = std::chrono::steady_clock::now();
    for (int64_t step = 0; step < options.n_gen; ++step) {
      HEARTH_ASSIGN_OR_RETURN(std::span<const float> logits, context->eval(std::span<const int32_t>(&token, 1)));
      // Greedy next token keeps the loop honest: each step depends on the last.
      token = static_cast<int32_t>(std::max_element(logits.begin(), logits.end()) - logits.begin());
    }
    result.tg_tps = std::max(result.tg_tps, static_cast<double>(options.n_gen) / seconds_since(start));
  }
  context.reset();

  result.read_gbs = std::max(read_gbs_before, measure_read_bandwidth(pool).gbs);
  result.weight_bytes_per_token = decode_weight_bytes(model.weights(), config);
  // Step s reads K and V of s earlier positions: on average (n_gen - 1) / 2.
  const uint64_t kv_bytes_per_position =
      static_cast<uint64_t>(2 * config.n_layer * config.n_head_kv * config.head_dim) * sizeof(uint16_t);
  result.kv_bytes_per_token = kv_bytes_per_position * static_cast<uint64_t>(options.n_gen - 1) / 2;
  const double bytes_per_token = static_cast<double>(result.weight_bytes_per_token + result.kv_bytes_per_token);
  result.tg_bound_tps = result.read_gbs * 1e9 / bytes_per_token;
  result.bound_fraction = result.tg_tps / result.tg_bound_tps;
  return result;
}

}  // namespace hearth::cli
