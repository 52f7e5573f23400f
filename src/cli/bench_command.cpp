#include "cli/bench_command.h"

#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/bench.h"
#include "model/llama_arch.h"

namespace hearth::cli {
namespace {

struct BenchArgs {
  std::string model_path;
  int n_threads = 0;
  bool json = false;
  BenchOptions options;
};

int run_bench_command(const BenchArgs& args) {
  auto model = infer::LlamaModel::load(args.model_path);
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
    std::printf("prefill pp%-5lld  %.1f tokens/s\n", static_cast<long long>(bench.n_prompt), bench.pp_tps);
    std::printf("decode  tg%-5lld  %.1f tokens/s\n", static_cast<long long>(bench.n_gen), bench.tg_tps);
    std::printf("read bandwidth   %.1f GB/s\n", bench.read_gbs);
    std::printf("bytes per token  %.1f MiB of weights + %.2f MiB of KV cache\n", weight_mib,
                static_cast<double>(bench.kv_bytes_per_token) / (1 << 20));
    std::printf("decode bound     %.1f tokens/s (%.0f%% reached)\n", bench.tg_bound_tps, bench.bound_fraction * 100);
  }
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
  cmd->callback([args, &run] { run = [args] { return run_bench_command(*args); }; });
}

}  // namespace hearth::cli
