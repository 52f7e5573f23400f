#include "node/external_engine_config.h"

namespace hearth::node {

namespace {

constexpr int64_t kMiB = int64_t{1} << 20;

// The value of `name` at `launch`; false when the name is not a placeholder.
bool placeholder_value(std::string_view name, const ExternalEngineConfig& config, const ExternalLaunch& launch,
                       std::string* out) {
  if (name == "file") {
    *out = launch.file;
  } else if (name == "model_path") {
    *out = config.model_path.empty() ? launch.file : config.model_path;
  } else if (name == "id") {
    *out = launch.id;
  } else if (name == "host") {
    *out = "127.0.0.1";
  } else if (name == "port") {
    *out = std::to_string(launch.port);
  } else if (name == "ctx") {
    *out = std::to_string(launch.n_ctx * launch.n_parallel);
  } else if (name == "n_ctx") {
    *out = std::to_string(launch.n_ctx);
  } else if (name == "parallel") {
    *out = std::to_string(launch.n_parallel);
  } else {
    return false;
  }
  return true;
}

Result<std::string> expand_argument(std::string_view argument, const ExternalEngineConfig& config,
                                    const ExternalLaunch& launch) {
  std::string out;
  size_t pos = 0;
  while (pos < argument.size()) {
    const size_t open = argument.find('{', pos);
    if (open == std::string_view::npos) {
      out.append(argument.substr(pos));
      break;
    }
    out.append(argument.substr(pos, open - pos));
    const size_t close = argument.find('}', open);
    if (close == std::string_view::npos) {
      return invalid_argument_error("the engine command's argument '" + std::string(argument) +
                                    "' has a '{' without a '}'");
    }
    const std::string_view name = argument.substr(open + 1, close - open - 1);
    std::string value;
    if (!placeholder_value(name, config, launch, &value)) {
      return invalid_argument_error("the engine command names an unknown placeholder {" + std::string(name) +
                                    "} (known: {file}, {model_path}, {id}, {host}, {port}, {ctx}, {n_ctx}, "
                                    "{parallel})");
    }
    out += value;
    pos = close + 1;
  }
  return out;
}

}  // namespace

std::string_view external_engine_kind_name(ExternalEngineKind kind) {
  switch (kind) {
    case ExternalEngineKind::kLlamaServer:
      return "llama-server";
    case ExternalEngineKind::kMlxLm:
      return "mlx-lm";
    case ExternalEngineKind::kOpenAiCompatible:
      return "openai-compatible";
  }
  return "unknown";
}

Result<ExternalEngineKind> parse_external_engine_kind(std::string_view name) {
  for (ExternalEngineKind kind :
       {ExternalEngineKind::kLlamaServer, ExternalEngineKind::kMlxLm, ExternalEngineKind::kOpenAiCompatible}) {
    if (name == external_engine_kind_name(kind)) return kind;
  }
  return invalid_argument_error(
      "engine must be \"hearth\", \"llama-server\", \"mlx-lm\" or \"openai-compatible\", not \"" + std::string(name) +
      "\"");
}

std::vector<std::string> split_command(std::string_view command) {
  std::vector<std::string> words;
  size_t pos = 0;
  while (pos < command.size()) {
    while (pos < command.size() && (command[pos] == ' ' || command[pos] == '\t')) ++pos;
    size_t end = pos;
    while (end < command.size() && command[end] != ' ' && command[end] != '\t') ++end;
    if (end > pos) words.emplace_back(command.substr(pos, end - pos));
    pos = end;
  }
  return words;
}

ExternalEngineConfig external_engine_preset(ExternalEngineKind kind) {
  ExternalEngineConfig config;
  config.kind = kind;
  switch (kind) {
    case ExternalEngineKind::kLlamaServer:
      config.command = split_command("llama-server -m {file} --host {host} --port {port} -c {ctx} -np {parallel}");
      config.ready_path = "/health";
      config.prompt_form = ExternalPromptForm::kTokens;
      config.overhead_bytes = 256 * kMiB;
      break;
    case ExternalEngineKind::kMlxLm:
      config.command = split_command("mlx_lm.server --model {model_path} --host {host} --port {port}");
      config.ready_path = "/v1/models";
      config.prompt_form = ExternalPromptForm::kText;
      config.served_model = "default_model";
      config.overhead_bytes = 512 * kMiB;
      break;
    case ExternalEngineKind::kOpenAiCompatible:
      config.ready_path = "/v1/models";
      config.prompt_form = ExternalPromptForm::kText;
      config.overhead_bytes = 256 * kMiB;
      break;
  }
  return config;
}

Result<std::vector<std::string>> expand_external_command(const ExternalEngineConfig& config,
                                                         const ExternalLaunch& launch) {
  if (config.command.empty()) {
    return invalid_argument_error("the " + std::string(external_engine_kind_name(config.kind)) +
                                  " engine needs a command (command = \"my-server --port {port} ...\")");
  }
  std::vector<std::string> argv;
  argv.reserve(config.command.size() + config.extra_args.size());
  for (const std::vector<std::string>* part : {&config.command, &config.extra_args}) {
    for (const std::string& argument : *part) {
      HEARTH_ASSIGN_OR_RETURN(std::string expanded, expand_argument(argument, config, launch));
      argv.push_back(std::move(expanded));
    }
  }
  return argv;
}

Status validate_external_config(const ExternalEngineConfig& config) {
  // Built from std::string values: GCC 12 warns (-Wrestrict, a false positive) on assigning
  // one-character literals here, an error under -Werror.
  ExternalLaunch probe_launch;
  probe_launch.file = std::string("/m.gguf");
  probe_launch.id = std::string(1, 'm');
  probe_launch.port = 1;
  probe_launch.n_ctx = 1;
  HEARTH_RETURN_IF_ERROR(expand_external_command(config, probe_launch).status());
  if (config.ready_path.empty() || config.ready_path.front() != '/') {
    return invalid_argument_error("ready_path must start with '/'");
  }
  for (char c : config.ready_path) {
    if (c <= ' ' || c > '~') return invalid_argument_error("ready_path must be visible ASCII without spaces");
  }
  if (config.ready_timeout_ms <= 0) return invalid_argument_error("ready_timeout must be positive");
  if (config.stall_timeout_ms <= 0) return invalid_argument_error("stall_timeout must be positive");
  if (config.overhead_bytes < 0) return invalid_argument_error("overhead must not be negative");
  if (config.n_parallel < 0 || config.n_parallel > 1024) return invalid_argument_error("parallel must be in 1..1024");
  return ok_status();
}

}  // namespace hearth::node
