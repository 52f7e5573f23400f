#include "cli/bench_command.h"

#include <strings.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/bench.h"
#include "cli/serving_bench.h"
#include "model/llama_arch.h"
#include "tensor/simd_targets.h"
#include "text/tokenizer.h"

namespace hearth::cli {
namespace {

struct BenchArgs {
  std::string model_path;
  int n_threads = 0;
  bool json = false;
  bool no_repack = false;
  std::string simd;  // empty: the best target this CPU runs
  BenchOptions options;
};

// The runnable target named `name` (Highway's names, any case: "AVX2", "AVX3_DL"), or an
// error listing the runnable ones.
Result<int64_t> find_simd_target(const std::string& name) {
  std::string runnable;
  for (int64_t target : tensor::runnable_simd_targets()) {
    const std::string target_name = tensor::simd_target_name(target);
    if (strcasecmp(target_name.c_str(), name.c_str()) == 0) return target;
    runnable += (runnable.empty() ? "" : ", ") + target_name;
  }
  return invalid_argument_error("--simd " + name + " is not a target this CPU runs (runnable: " + runnable + ")");
}

int run_bench_command(const BenchArgs& args) {
  if (Status valid = validate_bench_options(args.options); !valid.ok()) {
    std::fprintf(stderr, "hearth bench: %s\n", valid.message().c_str());
    return 1;
  }
  // Pinned before the load: which matrices are repacked depends on the target.
  std::optional<tensor::ScopedSimdTarget> pinned_target;
  if (!args.simd.empty()) {
    auto target = find_simd_target(args.simd);
    if (!target.ok()) {
      std::fprintf(stderr, "hearth bench: %s\n", target.status().message().c_str());
      return 1;
    }
    pinned_target.emplace(*target);
  }
  auto model = infer::LlamaModel::load(args.model_path, !args.no_repack);
  if (!model.ok()) {
    std::fprintf(stderr, "hearth bench: cannot load %s: %s\n", args.model_path.c_str(),
                 model.status().message().c_str());
    return 1;
  }
  const int n_threads = args.n_threads > 0 ? args.n_threads : static_cast<int>(std::thread::hardware_concurrency());
  ThreadPool pool(n_threads);
  auto result = run_bench(**model, args.options, pool);
  if (!result.ok()) {
    std::fprintf(stderr, "hearth bench: %s\n", result.status().message().c_str());
    return 1;
  }
  const BenchResult& bench = *result;
  const auto name = (*model)->file().get_string("general.name");
  const std::string model_name = name.ok() ? std::string(*name) : args.model_path;
  const double weight_mib = static_cast<double>(bench.weight_bytes_per_token) / (1 << 20);
  if (args.json) {
    nlohmann::json out = {
        {"model", model_name},
        {"threads", bench.n_threads},
        {"simd", tensor::simd_target_name(tensor::current_simd_target())},
        {"n_prompt", bench.n_prompt},
        {"n_gen", bench.n_gen},
        {"pp512_tps", bench.pp_tps},
        {"tg128_tps", bench.tg_tps},
        {"read_gbs", bench.read_gbs},
        {"weight_bytes_per_token", bench.weight_bytes_per_token},
        {"kv_bytes_per_token", bench.kv_bytes_per_token},
        {"tg_bound_tps", bench.tg_bound_tps},
        {"bound_fraction", bench.bound_fraction},
    };
    std::printf("%s\n", out.dump().c_str());
  } else {
    std::printf("model            %s\n", model_name.c_str());
    std::printf("threads          %d\n", bench.n_threads);
    std::printf("simd target      %s\n", tensor::simd_target_name(tensor::current_simd_target()).c_str());
    std::printf("prefill pp%-5lld  %.1f tokens/s\n", static_cast<long long>(bench.n_prompt), bench.pp_tps);
    std::printf("decode  tg%-5lld  %.1f tokens/s\n", static_cast<long long>(bench.n_gen), bench.tg_tps);
    std::printf("read bandwidth   %.1f GB/s\n", bench.read_gbs);
    std::printf("bytes per token  %.1f MiB of weights + %.2f MiB of KV cache\n", weight_mib,
                static_cast<double>(bench.kv_bytes_per_token) / (1 << 20));
    std::printf("decode bound     %.1f tokens/s (%.0f%% reached)\n", bench.tg_bound_tps, bench.bound_fraction * 100);
  }
  return 0;
}

struct ServingBenchArgs {
  std::string model_path;
  bool json = false;
  ServingBenchOptions options;
};

int run_serving_bench_command(const ServingBenchArgs& args) {
  const auto fail = [](const std::string& message) {
    std::fprintf(stderr, "hearth bench-serving: %s\n", message.c_str());
    return 1;
  };
  if (Status valid = validate_serving_bench_options(args.options); !valid.ok()) return fail(valid.message());
  auto model = infer::LlamaModel::load(args.model_path);
  if (!model.ok()) return fail("cannot load " + args.model_path + ": " + model.status().message());
  auto tokenizer = text::Tokenizer::from_gguf((*model)->file());
  if (!tokenizer.ok()) return fail("the model's tokenizer is unusable: " + tokenizer.status().message());
  auto result = run_serving_bench(**model, **tokenizer, args.options);
  if (!result.ok()) return fail(result.status().message());
  const infer::SchedulerOptions& scheduler = args.options.scheduler;
  if (args.json) {
    nlohmann::json streams = nlohmann::json::array();
    for (const StreamsResult& row : result->streams) {
      streams.push_back(
          {{"streams", row.n_streams}, {"aggregate_tps", row.aggregate_tps}, {"per_stream_tps", row.per_stream_tps}});
    }
    nlohmann::json out = {{"model", args.model_path},
                          {"threads", scheduler.n_threads},
                          {"n_ctx", scheduler.n_ctx},
                          {"max_batch_tokens", scheduler.max_batch_tokens},
                          {"decode", streams},
                          {"ttft_prompt_tokens", args.options.n_prompt},
                          {"ttft_idle_ms", result->ttft_idle_ms},
                          {"ttft_busy_ms", result->ttft_busy_ms},
                          {"ttft_prefix_ms", result->ttft_prefix_ms},
                          {"ttft_under_batch_ms", result->ttft_under_batch_ms}};
    std::printf("%s\n", out.dump().c_str());
    return 0;
  }
  std::printf("streams  aggregate tok/s  per stream tok/s  vs 1 stream\n");
  const double single = result->streams.empty() ? 0.0 : result->streams.front().aggregate_tps;
  for (const StreamsResult& row : result->streams) {
    std::printf("%7d  %15.1f  %16.1f  %10.2fx\n", row.n_streams, row.aggregate_tps, row.per_stream_tps,
                single > 0 ? row.aggregate_tps / single : 0.0);
  }
  const double idle = result->ttft_idle_ms;
  std::printf("TTFT of a %lld-token prompt\n", static_cast<long long>(args.options.n_prompt));
  std::printf("  idle                         %9.1f ms\n", idle);
  std::printf("  while 8 streams decode       %9.1f ms (%.2fx idle)\n", result->ttft_busy_ms,
              result->ttft_busy_ms / idle);
  std::printf("  sharing a %lld-token prefix  %9.1f ms (%.2fx idle)\n", static_cast<long long>(args.options.n_shared),
              result->ttft_prefix_ms, result->ttft_prefix_ms / idle);
  std::printf("  under saturating batch work  %9.1f ms (%.2fx idle)\n", result->ttft_under_batch_ms,
              result->ttft_under_batch_ms / idle);
  return 0;
}

}  // namespace

void add_bench_command(CLI::App& app, std::function<int()>& run) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* cmd = app.add_subcommand("bench", "Measure prefill and decode speed against the bandwidth bound");
  cmd->add_option("-m,--model", args->model_path, "GGUF model file")->required();
  cmd->add_option("-t,--threads", args->n_threads, "Threads (default: all cores)");
  cmd->add_option("--prompt-tokens", args->options.n_prompt, "Prompt length for prefill")->capture_default_str();
  cmd->add_option("--gen-tokens", args->options.n_gen, "Tokens to decode")->capture_default_str();
  cmd->add_option("--reps", args->options.n_reps, "Repetitions (best is kept)")->capture_default_str();
  cmd->add_flag("--json", args->json, "Print one JSON object");
  cmd->add_flag("--no-repack", args->no_repack, "Keep GGUF's row layout (no interleaved kernels), for A/B runs");
  cmd->add_option("--simd", args->simd,
                  "Run the kernels of this SIMD target instead of the best one (e.g. AVX2 on an AVX-512 CPU)");
  cmd->callback([args, &run] { run = [args] { return run_bench_command(*args); }; });

  auto serving = std::make_shared<ServingBenchArgs>();
  serving->options.scheduler.n_ctx = 1024;
  serving->options.scheduler.n_threads = 2;
  CLI::App* serving_cmd = app.add_subcommand(
      "bench-serving", "Measure the serving engine: decode rate of concurrent streams and time to first token");
  serving_cmd->add_option("-m,--model", serving->model_path, "GGUF model file")->required();
  serving_cmd->add_option("-t,--threads", serving->options.scheduler.n_threads, "Threads")->capture_default_str();
  serving_cmd->add_option("--ctx", serving->options.scheduler.n_ctx, "Context per sequence")->capture_default_str();
  serving_cmd->add_option("--max-batch-tokens", serving->options.scheduler.max_batch_tokens, "Tokens per step")
      ->capture_default_str();
  serving_cmd->add_option("--streams", serving->options.stream_counts, "Concurrent stream counts")
      ->delimiter(',')
      ->capture_default_str();
  serving_cmd->add_option("--gen-tokens", serving->options.n_gen, "Tokens per stream")->capture_default_str();
  serving_cmd->add_option("--prompt-tokens", serving->options.n_prompt, "Prompt of the TTFT tests")
      ->capture_default_str();
  serving_cmd->add_option("--shared-tokens", serving->options.n_shared, "Shared prefix of the prefix test")
      ->capture_default_str();
  serving_cmd->add_option("--reps", serving->options.n_reps, "TTFT repetitions (median kept)")->capture_default_str();
  serving_cmd->add_flag("--json", serving->json, "Print one JSON object");
  serving_cmd->callback([serving, &run] {
    // Room for 16 streams, 8 background streams plus a probe, or 16 batch requests plus a probe.
    serving->options.scheduler.max_seqs = 24;
    serving->options.scheduler.kv_pool_tokens = serving->options.scheduler.n_ctx * 26;
    run = [serving] { return run_serving_bench_command(*serving); };
  });
}

}  // namespace hearth::cli
