#include "cli/serve_command.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/external_engine_client.h"
#include "api/batch_line_executor.h"
#include "api/http_server.h"
#include "base/clock.h"
#include "base/byte_size.h"
#include "base/duration.h"
#include "cli/models_dir.h"
#include "cli/config_file.h"
#include "cli/state_db.h"
#include "cli/version.h"
#include "gateway/api_keys.h"
#include "gateway/gateway_config.h"
#include "jobs/batch_runner.h"
#include "jobs/batch_store.h"
#include "jobs/batch_window.h"
#include "jobs/file_store.h"
#include "ledger/egress_ledger.h"
#include "node/builtin_models.h"
#include "ledger/usage_writer.h"
#include "node/file_lease.h"
#include "node/model_files.h"
#include "node/model_manager.h"
#include "node/node_config.h"
#include "planner/hardware_profile.h"

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
  int64_t metrics_max_series = 1000;
  int64_t drain_timeout_ms = api::kDefaultDrainTimeoutMs;
  bool no_prefix_cache = false;
  std::string memory_budget;  // a size; empty: the config's, else usable memory minus a margin
  std::string keep_alive;     // a duration; empty: the config's, else 5m
  std::string load_wait;      // a duration; empty: the config's, else 60s
  std::vector<std::string> pinned;
  bool require_keys = false;
  bool no_builtin_models = false;
  int32_t ocr_max_pages = media::DocumentLimits{}.max_pages;
  int64_t ocr_max_page_pixels = media::DocumentLimits{}.max_page_pixels;
  int32_t ocr_dpi = media::DocumentLimits{}.pdf_dpi;
  std::string pull_from;  // Ollama's /api/pull source; empty: the config's
  std::string state_dir;  // hearth.db (API keys, egress ledger); empty: $HEARTH_STATE_DIR, else the default
  std::vector<std::string> batch_windows;  // empty: the config's
  std::string batch_idle;                  // empty: the config's
  int32_t batch_parallel = 4;
  int64_t max_upload_bytes = api::kDefaultMaxUploadBytes;
};

// What the default budget leaves for everything that is not a model: a tenth
// of the usable memory, at least 512 MiB.
int64_t default_memory_budget(int64_t usable_bytes) {
  const int64_t margin = std::max<int64_t>(usable_bytes / 10, int64_t{512} << 20);
  return usable_bytes - margin;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "hearth serve: %s\n", message.c_str());
  return 1;
}

std::string env_or_empty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// What to serve: the --model files (fixed; each must be servable), else the
// models directory (rescanned while serving; invalid entries are reported and
// skipped). One of the two is set.
struct ModelSource {
  std::vector<std::string> paths;
  std::string dir;
};

Result<ModelSource> model_source(const ServeArgs& args, const node::NodeConfig& config) {
  if (!args.model_paths.empty()) return ModelSource{args.model_paths, ""};
  // The config's models_dir sits between $HEARTH_MODELS and the default.
  std::string flag = args.models_dir;
  if (flag.empty() && env_or_empty("HEARTH_MODELS").empty() && config.models_dir) flag = *config.models_dir;
  HEARTH_ASSIGN_OR_RETURN(std::string dir, resolve_models_dir(flag));
  HEARTH_ASSIGN_OR_RETURN(std::vector<node::ScannedModelFile> scanned, node::scan_model_files(dir));
  if (scanned.empty()) return not_found_error("the models directory " + dir + " holds no *.gguf files");
  return ModelSource{{}, std::move(dir)};
}

int run_serve(const ServeArgs& args) {
  // Loaded models lease their files; where a file could not be leased, a
  // truncation under its mapping at least says what happened.
  node::install_sigbus_notice();
  // A config file is read (and its errors reported) even when flags override it.
  HearthConfig whole_config;
  if (!args.config_path.empty()) {
    auto loaded = load_hearth_config(args.config_path, env_or_empty("HOME"));
    if (!loaded.ok()) return fail(loaded.status().message());
    whole_config = std::move(loaded).value();
  }
  const node::NodeConfig& config = whole_config.node;
  const gateway::GatewayConfig& gateway_config = whole_config.gateway;
  const bool is_gateway = gateway_config.routes_anywhere();
  const bool builtin_on = !args.no_builtin_models && config.builtin_models.value_or(true);
  node::BuiltinModelOptions builtin_options;
  builtin_options.ocr_limits.max_pages = args.ocr_max_pages;
  builtin_options.ocr_limits.max_page_pixels = args.ocr_max_page_pixels;
  builtin_options.ocr_limits.pdf_dpi = args.ocr_dpi;
  std::vector<node::BuiltinModel> builtin_models;
  if (builtin_on) builtin_models = node::find_builtin_models(builtin_options);
  auto source = model_source(args, config);
  if (!source.ok()) {
    // A gateway may have no models of its own: it routes to its nodes and providers; a
    // node with built-in models serves those.
    if ((!is_gateway && builtin_models.empty()) || source.status().code() != ErrorCode::kNotFound) {
      return fail(source.status().message());
    }
    if (builtin_models.empty()) {
      std::fprintf(stderr, "hearth serve: %s; serving no local models (gateway only)\n",
                   source.status().message().c_str());
    } else {
      std::fprintf(stderr, "hearth serve: %s; serving the built-in models only\n", source.status().message().c_str());
    }
    source = ModelSource();
  }

  node::ModelManagerOptions manager_options;
  node::ServedModelOptions& load = manager_options.load;
  load.n_ctx = args.n_ctx;
  load.scheduler.max_seqs = args.parallel;
  load.scheduler.max_batch_tokens = args.max_batch_tokens;
  load.scheduler.max_queued = args.max_queued;
  load.scheduler.kv_pool_tokens = args.kv_pool_tokens;
  load.scheduler.n_threads = args.n_threads;
  load.scheduler.prefix_cache = !args.no_prefix_cache;
  load.notice = [](const std::string& line) { std::fprintf(stderr, "hearth serve: %s\n", line.c_str()); };
  load.external_client = api::make_external_engine_client;

  std::string budget_source = "--memory-budget";
  if (!args.memory_budget.empty()) {
    auto budget = parse_byte_size(args.memory_budget);
    if (!budget.ok()) return fail("--memory-budget: " + budget.status().message());
    manager_options.budget_bytes = *budget;
  } else if (config.memory_budget_bytes) {
    manager_options.budget_bytes = *config.memory_budget_bytes;
    budget_source = "memory_budget in " + args.config_path;
  } else {
    auto machine = planner::detect_local_profile();
    if (!machine.ok()) {
      return fail("cannot read this machine's memory (" + machine.status().message() + "); set --memory-budget");
    }
    manager_options.budget_bytes = default_memory_budget(machine->usable_bytes);
    budget_source = "usable memory " + format_byte_size(machine->usable_bytes) + " minus a margin";
  }
  if (manager_options.budget_bytes <= 0) return fail("the model memory budget must be positive");
  if (!args.keep_alive.empty()) {
    auto keep_alive = parse_duration_ms(args.keep_alive);
    if (!keep_alive.ok()) return fail("--keep-alive: " + keep_alive.status().message());
    manager_options.default_keep_alive_ms = *keep_alive;
  } else if (config.keep_alive_ms) {
    manager_options.default_keep_alive_ms = *config.keep_alive_ms;
  }
  if (!args.load_wait.empty()) {
    auto load_wait = parse_duration_ms(args.load_wait);
    if (!load_wait.ok() || *load_wait < 0)
      return fail("--load-wait: '" + args.load_wait + "' is not a duration like 60s");
    manager_options.load_wait_ms = *load_wait;
  } else if (config.load_wait_ms) {
    manager_options.load_wait_ms = *config.load_wait_ms;
  }
  manager_options.builtin_models = std::move(builtin_models);
  manager_options.settings = config.models;
  for (const std::string& id : args.pinned) manager_options.settings[id].pinned = true;

  auto manager = source->dir.empty() ? node::ModelManager::create(source->paths, std::move(manager_options))
                                     : node::ModelManager::create_for_dir(source->dir, std::move(manager_options));
  if (!manager.ok()) return fail(manager.status().message());
  node::ModelManager& models = **manager;
  std::fprintf(stderr, "hearth serve: model memory budget %s (%s)\n", format_byte_size(models.budget_bytes()).c_str(),
               budget_source.c_str());
  if (!source->dir.empty()) {
    std::fprintf(stderr,
                 "hearth serve: serving the models directory %s (files added, changed or removed there are picked "
                 "up on the next request for an unknown model, GET /v1/models, /hearth/v1/status or SIGHUP)\n",
                 source->dir.c_str());
  }
  for (const node::ModelInfo& model : models.list()) {
    if (!model.invalid_reason.empty()) {
      std::fprintf(stderr, "hearth serve: model '%s' is INVALID and not served: %s\n", model.id.c_str(),
                   model.invalid_reason.c_str());
      continue;
    }
    std::string state = model.resident ? "loaded, pinned" : "loads on first use";
    if (!model.fits_budget) state = "DOES NOT FIT the budget: requests for it are refused";
    // Built-in models (OCR, speech) have no context: their capability says what they do.
    const std::string shape = model.n_ctx > 0 ? "context " + std::to_string(model.n_ctx)
                                              : "built-in, " + model::capability_names(model.capabilities);
    std::fprintf(stderr, "hearth serve: model '%s' from %s, %s, plans %s (%s)\n", model.id.c_str(),
                 model.path.c_str(), shape.c_str(), format_byte_size(model.plan.total_bytes()).c_str(), state.c_str());
  }

  // hearth.db: the API keys requests are checked against and the egress ledger.
  auto db_path = resolve_state_db_path(args.state_dir);
  if (!db_path.ok()) return fail(db_path.status().message());
  auto db = open_state_db(*db_path);
  if (!db.ok()) return fail("cannot open " + *db_path + ": " + db.status().message());
  auto keys = gateway::KeyStore::open(**db);
  if (!keys.ok()) return fail(keys.status().message());
  auto egress = ledger::EgressLedger::open(**db);
  if (!egress.ok()) return fail(egress.status().message());
  auto usage = ledger::UsageLedger::open(**db);
  if (!usage.ok()) return fail(usage.status().message());
  // The Files and Batches APIs: files beside hearth.db, the queue in it, the runner thread.
  const std::string state_dir = db_path->substr(0, db_path->rfind('/'));
  auto files = jobs::FileStore::open(**db, state_dir + "/files", unix_now_ms);
  if (!files.ok()) return fail(files.status().message());
  auto batch_store = jobs::BatchStore::open(**db, unix_now_ms);
  if (!batch_store.ok()) return fail(batch_store.status().message());
  const std::vector<std::string> window_texts =
      !args.batch_windows.empty() ? args.batch_windows : config.batch_windows.value_or(std::vector<std::string>{});
  const std::string idle_text = !args.batch_idle.empty() ? args.batch_idle : config.batch_idle.value_or("");
  auto windows = jobs::parse_window_policy(window_texts, idle_text);
  if (!windows.ok()) return fail("batch windows: " + windows.status().message());
  ledger::UsageWriter batch_usage(*usage);
  api::BatchLineExecutor batch_executor(models, &batch_usage, node_name(whole_config.costs));
  jobs::BatchRunnerOptions runner_options;
  runner_options.windows = *windows;
  runner_options.max_running_lines = args.batch_parallel;
  auto runner = jobs::BatchRunner::start(*batch_store, *files, batch_executor, std::move(runner_options));
  if (!runner.ok()) return fail(runner.status().message());
  api::BatchServices batch_services;
  batch_services.files = &*files;
  batch_services.batches = &*batch_store;
  batch_services.runner = runner->get();
  batch_services.max_upload_bytes = args.max_upload_bytes;
  if (!window_texts.empty() || !idle_text.empty()) {
    std::string rule;
    for (const std::string& window : window_texts) rule += (rule.empty() ? "" : ", ") + window;
    if (!idle_text.empty()) rule += (rule.empty() ? "" : ", or ") + std::string("after ") + idle_text + " without an interactive request";
    std::fprintf(stderr, "hearth serve: batch lines run only %s\n", rule.c_str());
  }

  api::HttpServerOptions server_options;
  server_options.batch = &batch_services;
  server_options.require_keys = args.require_keys || config.require_keys;
  server_options.keys = keys->get();
  server_options.egress = &*egress;
  server_options.usage = &*usage;
  server_options.node_name = node_name(whole_config.costs);
  server_options.costs = cost_settings(whole_config);
  std::optional<ledger::RaplMeter> rapl;
  if (whole_config.costs.measure_rapl) {
    auto meter = ledger::RaplMeter::open("/sys/class/powercap");
    if (!meter.ok()) return fail("[costs] power = \"rapl\": " + meter.status().message());
    rapl.emplace(std::move(meter).value());
    server_options.rapl = &*rapl;
  }
  server_options.host = args.host;
  server_options.port = static_cast<uint16_t>(args.port);
  server_options.max_body_bytes = args.max_body_bytes;
  server_options.metrics_max_series_per_family = args.metrics_max_series;
  server_options.drain_timeout_ms = args.drain_timeout_ms;
  server_options.models_dir = source->dir;
  server_options.pull_from = !args.pull_from.empty() ? args.pull_from : config.pull_from.value_or("");
  server_options.version = version_number();
  if (is_gateway) {
    server_options.gateway = std::make_shared<const gateway::GatewayConfig>(gateway_config);
    // SIGHUP re-reads the gateway's sections; the node's own keys (models, budget) need a restart.
    server_options.reload_gateway = [config_path = args.config_path] {
      return load_gateway_sections(config_path);
    };
    std::fprintf(stderr, "hearth serve: gateway to %zu node(s) and %zu provider(s); requests without a key are %s\n",
                 gateway_config.nodes.size(), gateway_config.providers.size(),
                 std::string(gateway::data_class_name(gateway_config.policy.default_class)).c_str());
  }
  auto server = api::HttpServer::create(server_options, models);
  if (!server.ok()) return fail(server.status().message());
  if (!(*server)->keys_required()) {
    std::fprintf(stderr,
                 "hearth serve: listening on loopback without requiring API keys (a request that sends a valid "
                 "hearth key is served as that key; --require-keys to require them)\n");
  } else if (!(*keys)->has_active_keys()) {
    // Keys are required and none would pass: a server that refuses everyone is a mistake to point out now.
    return fail("requests to " + (*server)->url() + " need an API key (" +
                (server_options.require_keys ? std::string("require_keys is set")
                                             : "the address " + args.host + " is not loopback") +
                ") and " + *db_path + " has no active key; create one with `hearth keys create --name NAME --class " +
                "CLASS` first, or listen on 127.0.0.1");
  } else {
    std::fprintf(stderr,
                 "hearth serve: API keys from %s are required on every request but /health, for as long as the "
                 "server runs (revoking the last key refuses every request)\n",
                 db_path->c_str());
  }

  // The one stdout line: tests and scripts wait for it, then read the port from it.
  std::fprintf(stdout, "hearth: listening on %s\n", (*server)->url().c_str());
  std::fflush(stdout);

  Status served = (*server)->run();
  (*runner)->stop();  // the server's shutdown stopped it already; before the models go
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
  cmd->add_option("--config", args->config_path,
                  "TOML config file (models_dir, memory_budget, keep_alive, load_wait, [models.ID] pinned/keep_alive; "
                  "the gateway's sections, docs/gateway.md; [costs], docs/costs.md)")
      ->check(CLI::ExistingFile);
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
  cmd->add_option("-t,--threads", args->n_threads, "Compute threads, shared by every loaded model (default: all cores)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--max-body-bytes", args->max_body_bytes, "Largest request body (413 beyond)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--metrics-max-series", args->metrics_max_series,
                  "GET /metrics: most series per metric family (the rest share one '_other' series)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--drain-timeout-ms", args->drain_timeout_ms,
                  "On SIGTERM/SIGINT, how long running requests may finish before they are cancelled")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  cmd->add_flag("--no-prefix-cache", args->no_prefix_cache, "Do not reuse KV blocks of earlier prompts");
  cmd->add_option("--memory-budget", args->memory_budget,
                  "Memory the loaded models may plan to use, e.g. 20GiB (default: memory_budget of --config, "
                  "else usable memory minus 10%, at least 512 MiB)");
  cmd->add_option("--keep-alive", args->keep_alive,
                  "How long an idle model stays loaded: 5m, 1h, -1 for ever, 0 to unload at once (default 5m; "
                  "requests may set keep_alive)");
  cmd->add_option("--load-wait", args->load_wait,
                  "How long a load may wait for busy models to make room before 503 (default 60s)");
  cmd->add_option("--pull-from", args->pull_from,
                  "Where Ollama's POST /api/pull finds a model named NAME:TAG (NAME-TAG.gguf): a directory or an "
                  "http(s) base URL (default: pull_from in --config)");
  cmd->add_option("--pin", args->pinned, "Load this model id at start and never unload it (repeatable)");
  cmd->add_flag("--no-builtin-models", args->no_builtin_models,
                "Leave out the models served by installed libraries (tesseract-<lang> OCR, espeak-ng speech; also "
                "builtin_models = false in --config)");
  cmd->add_option("--ocr-max-pages", args->ocr_max_pages, "Pages one OCR request may read")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  cmd->add_option("--ocr-max-page-pixels", args->ocr_max_page_pixels,
                  "Pixels of one page's raster (an image, or a PDF page at --ocr-dpi); larger is a 400")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{400'000'000}));
  cmd->add_option("--ocr-dpi", args->ocr_dpi, "Resolution PDF pages are rendered at for OCR")
      ->capture_default_str()
      ->check(CLI::Range(36, 1200));
  cmd->add_flag("--require-keys", args->require_keys,
                "Require an API key on every request but /health, even on loopback (always required on other "
                "addresses; also require_keys in --config)");
  cmd->add_option("--state-dir", args->state_dir,
                  "Where hearth.db (API keys, egress ledger) lives (default: $HEARTH_STATE_DIR, "
                  "~/.local/share/hearth/state)");
  cmd->add_option("--batch-window", args->batch_windows,
                  "Run batch lines only in this local-time window, e.g. 22:00-06:00 (repeatable; default: "
                  "batch_windows of --config, else any time)");
  cmd->add_option("--batch-idle", args->batch_idle,
                  "Also run batch lines once no interactive request came for this long, e.g. 10m (default: "
                  "batch_idle of --config)");
  cmd->add_option("--batch-parallel", args->batch_parallel, "Batch lines running at once (at batch priority)")
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  cmd->add_option("--max-upload-bytes", args->max_upload_bytes, "Largest POST /v1/files body (413 beyond)")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->callback([args, &run] { run = [args] { return run_serve(*args); }; });
}

}  // namespace hearth::cli
