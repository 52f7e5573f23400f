// How one model is served by an external engine process (llama.cpp's
// llama-server, mlx_lm.server, any OpenAI-compatible local server): the
// `engine = ...` keys of a [models."ID"] table, the presets they start from,
// and the command template expanded when the process starts.
//
//   [models."qwen2.5-32b-q4_k_m"]
//   engine = "llama-server"                  # or "mlx-lm", "openai-compatible"
//   command = "/opt/homebrew/bin/llama-server -m {file} --port {port} -c {ctx} -np {parallel}"
//   extra_args = ["-ngl", "99", "--flash-attn"]
//
// Placeholders in `command` and `extra_args` (each argument on its own; the
// command is split on spaces and tabs, no shell is involved):
//   {file}        the model's GGUF file (absolute)
//   {model_path}  `model_path` (what mlx_lm.server loads; default: {file})
//   {id}          the model id
//   {host}        127.0.0.1 (the engine listens on loopback only)
//   {port}        a free loopback port hearth picked for this start
//   {ctx}         positions of all sequences together (llama-server's -c):
//                 the per-sequence context times {parallel}
//   {n_ctx}       the context of one sequence
//   {parallel}    sequences decoded at once (llama-server's -np)
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace hearth::node {

enum class ExternalEngineKind { kLlamaServer, kMlxLm, kOpenAiCompatible };

// "llama-server", "mlx-lm", "openai-compatible".
std::string_view external_engine_kind_name(ExternalEngineKind kind);
// kInvalidArgument listing the known names.
Result<ExternalEngineKind> parse_external_engine_kind(std::string_view name);

// How the prompt travels: as the token ids hearth's tokenizer made (the
// OpenAI API allows an array of ids as a completion prompt; llama-server
// takes them as they are), or as their text, which the engine tokenizes again
// (servers that take only text, such as mlx_lm.server).
enum class ExternalPromptForm { kTokens, kText };

struct ExternalEngineConfig {
  ExternalEngineKind kind = ExternalEngineKind::kLlamaServer;
  std::vector<std::string> command;     // argv template; argv[0] is looked up on PATH
  std::vector<std::string> extra_args;  // appended to command
  std::string ready_path;               // GET until it answers 200
  int64_t ready_timeout_ms = 300'000;   // a start (or restart) that is not ready by then failed
  // Planned runtime of the process beyond the planner's weights, KV cache and
  // scratch, until measured at start (then the larger of the two counts).
  int64_t overhead_bytes = 0;
  int32_t n_parallel = 0;  // 0: the node's --parallel
  ExternalPromptForm prompt_form = ExternalPromptForm::kTokens;
  std::string model_path;    // {model_path}; empty: the model's file
  std::string served_model;  // the request's "model" field; empty: the model id
  // A stream that makes no progress for this long fails (the engine hangs).
  int64_t stall_timeout_ms = 600'000;
  // Restarts after a crash wait restart_backoff_ms, doubling up to restart_backoff_max_ms.
  int64_t restart_backoff_ms = 500;
  int64_t restart_backoff_max_ms = 30'000;
};

// The preset of a kind: its command, probe, prompt form and overhead.
//   llama-server:      llama-server -m {file} --host {host} --port {port} -c {ctx} -np {parallel}
//                      ready: /health (200 once the model is loaded); prompt: token ids; 256 MiB
//   mlx-lm:            mlx_lm.server --model {model_path} --host {host} --port {port}
//                      ready: /v1/models; prompt: text; served_model "default_model"; 512 MiB
//   openai-compatible: no command (the config must give one); ready: /v1/models; prompt: text; 256 MiB
ExternalEngineConfig external_engine_preset(ExternalEngineKind kind);

// "a b  c" -> {"a", "b", "c"}; no quoting (an argument with a space goes in extra_args).
std::vector<std::string> split_command(std::string_view command);

// The values the placeholders stand for at one start.
struct ExternalLaunch {
  std::string file;
  std::string id;
  int port = 0;
  int64_t n_ctx = 0;
  int32_t n_parallel = 1;
};

// command + extra_args with every placeholder replaced. kInvalidArgument for
// an unknown {name}, an unclosed brace, or an empty command.
Result<std::vector<std::string>> expand_external_command(const ExternalEngineConfig& config,
                                                         const ExternalLaunch& launch);

// Checks a config read from a file (placeholders known, limits positive), so
// mistakes show at start, not at the first request. kInvalidArgument.
Status validate_external_config(const ExternalEngineConfig& config);

}  // namespace hearth::node
