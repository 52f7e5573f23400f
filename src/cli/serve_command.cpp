#include "cli/serve_command.h"

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "api/http_server.h"
#include "node/model_registry.h"
#include "node/node_config.h"

namespace hearth::cli {
namespace {

struct ServeArgs {
  std::vector<std::string> model_paths;
  std::string models_dir;
  std::string config_path;
  std::string host = "127.0.0.1";
  int port = api::kDefaultPort;
  int64_t n_ctx = 0;  // 0: min(4096, the model's trained context)
  int32_t parallel = 16;
  int64_t max_batch_tokens = 512;
  int32_t max_queued = 64;
  int64_t kv_pool_tokens = 0;
  int n_threads = 0;
  int64_t max_body_bytes = api::kDefaultMaxBodyBytes;
  int64_t drain_timeout_ms = api::kDefaultDrainTimeoutMs;
  bool no_prefix_cache = false;
};

int fail(const std::string& message) {
  std::fprintf(stderr, "hearth serve: %s\n", message.c_str());
  return 1;
}

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// The model files to serve: --model files, else every *.gguf of the models directory.
Result<std::vector<std::string>> model_files(const ServeArgs& args, const node::NodeConfig& config) {
  if (!args.model_paths.empty()) return args.model_paths;
  const std::string home = env_or_empty("HOME");
  std::string dir = args.models_dir;
  if (dir.empty()) dir = env_or_empty("HEARTH_MODELS");
  if (dir.empty() && config.models_dir) dir = *config.models_dir;
  if (dir.empty()) {
    if (home.empty()) return invalid_argument_error("HOME is not set: name the models with --models-dir or --model");
    dir = home + "/.local/share/hearth/models";
  }
  return node::find_model_files(dir);
}

int run_serve(const ServeArgs& args) {
  // A config file is read (and its errors reported) even when flags override it.
  node::NodeConfig config;
  if (!args.config_path.empty()) {
    auto loaded = node::load_node_config(args.config_path, env_or_empty("HOME"));
    if (!loaded.ok()) return fail(loaded.status().message());
    config = std::move(loaded).value();
  }
  auto files = model_files(args, config);
  if (!files.ok()) return fail(files.status().message());

  node::ModelRegistryOptions registry_options;
  registry_options.n_ctx = args.n_ctx;
  registry_options.scheduler.max_seqs = args.parallel;
  registry_options.scheduler.max_batch_tokens = args.max_batch_tokens;
  registry_options.scheduler.max_queued = args.max_queued;
  registry_options.scheduler.kv_pool_tokens = args.kv_pool_tokens;
  registry_options.scheduler.n_threads = args.n_threads;
  registry_options.scheduler.prefix_cache = !args.no_prefix_cache;
  registry_options.notice = [](const std::string& line) { std::fprintf(stderr, "hearth serve: %s\n", line.c_str()); };
  auto registry = node::ModelRegistry::load(*files, registry_options);
  if (!registry.ok()) return fail(registry.status().message());
  for (const node::ServedModel* served : (*registry)->list()) {
    std::fprintf(stderr, "hearth serve: model '%s' from %s, context %lld\n", served->id.c_str(), served->path.c_str(),
                 static_cast<long long>(served->n_ctx()));
  }

  api::HttpServerOptions server_options;
  server_options.host = args.host;
  server_options.port = static_cast<uint16_t>(args.port);
  server_options.max_body_bytes = args.max_body_bytes;
  server_options.drain_timeout_ms = args.drain_timeout_ms;
  auto server = api::HttpServer::create(server_options, **registry);
  if (!server.ok()) return fail(server.status().message());

  // The one stdout line: tests and scripts wait for it, then read the port from it.
  std::fprintf(stdout, "hearth: listening on %s\n", (*server)->url().c_str());
  std::fflush(stdout);

  Status served = (*server)->run();
  if (!served.ok()) return fail(served.message());
  std::fprintf(stderr, "hearth serve: shut down\n");
  return 0;
}

}  // namespace

void add_serve_command(CLI::App& app, std::function<int()>& run) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve the models over an OpenAI-compatible HTTP API");
  cmd->add_option("-m,--model", args->model_paths, "Serve this GGUF file (repeatable) instead of a directory");
  cmd->add_option("--models-dir", args->models_dir,
                  "Serve every *.gguf here (default: $HEARTH_MODELS, models_dir of --config, "
                  "~/.local/share/hearth/models)");
  cmd->add_option("--config", args->config_path, "TOML config file (key: models_dir)")->check(CLI::ExistingFile);
  cmd->add_option("--host", args->host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", args->port, "Port to listen on (0: any free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("-c,--ctx", args->n_ctx, "Context length per sequence (default: min(4096, the model's))")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--parallel", args->parallel, "Sequences decoded together per model")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--max-batch-tokens", args->max_batch_tokens, "Tokens in one engine step")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--max-queued", args->max_queued, "Requests waiting per model before 429")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_option("--kv-pool-tokens", args->kv_pool_tokens, "KV cache positions per model (default: ctx * parallel)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("-t,--threads", args->n_threads, "Engine threads per model (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-body-bytes", args->max_body_bytes, "Largest request body (413 beyond)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--drain-timeout-ms", args->drain_timeout_ms,
                  "On SIGTERM/SIGINT, how long running requests may finish before they are cancelled")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_flag("--no-prefix-cache", args->no_prefix_cache, "Do not reuse KV blocks of earlier prompts");
  cmd->callback([args, &run] { run = [args] { return run_serve(*args); }; });
}

}  // namespace hearth::cli
