#include "cli/run_command.h"

#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "infer/generator.h"
#include "infer/llama_forward.h"
#include "infer/llama_model.h"
#include "text/chat_template.h"
#include "text/tokenizer.h"

namespace hearth::cli {
namespace {

struct RunArgs {
  std::string model_path;
  std::string prompt;
  bool chat = false;
  std::string system_prompt;
  bool system_given = false;  // --system was on the command line, even as ""
  int n_threads = 0;
  int64_t n_ctx = 4096;
  infer::GenerateParams generate;
  bool quiet = false;
};

int fail(const std::string& message) {
  std::fprintf(stderr, "hearth run: %s\n", message.c_str());
  return 1;
}

int run_run(RunArgs args) {
  // Without --chat there is no chat template to put a system message in.
  if (args.system_given && !args.chat) {
    return fail("--system needs --chat: the system message goes into the model's chat template.");
  }
  if (Status valid = infer::validate_sampling_params(args.generate.sampling); !valid.ok()) {
    return fail(valid.message());
  }
  auto model = infer::LlamaModel::load(args.model_path);
  if (!model.ok()) return fail("cannot load " + args.model_path + ": " + model.status().message());
  auto tokenizer = text::Tokenizer::from_gguf((*model)->file());
  if (!tokenizer.ok()) return fail("the model's tokenizer is unusable: " + tokenizer.status().message());

  std::vector<int32_t> prompt_ids;
  if (args.chat) {
    auto chat_template = text::ChatTemplate::from_gguf((*model)->file());
    if (!chat_template.ok()) return fail(chat_template.status().message());
    std::vector<text::ChatMessage> messages;
    if (!args.system_prompt.empty()) messages.push_back({"system", args.system_prompt});
    messages.push_back({"user", args.prompt});
    auto rendered = chat_template->render(messages, /*add_generation_prompt=*/true);
    if (!rendered.ok()) return fail(rendered.status().message());
    // The template writes the bos text itself; special tokens in it are parsed.
    prompt_ids = (*tokenizer)->encode(*rendered, /*add_special=*/false, /*parse_special=*/true);
  } else {
    prompt_ids = (*tokenizer)->encode(args.prompt, /*add_special=*/true, /*parse_special=*/false);
  }
  if (prompt_ids.empty()) return fail("the prompt is empty");

  const int64_t n_ctx = std::min<int64_t>(args.n_ctx, (*model)->config().n_ctx_train);
  const int n_threads = args.n_threads > 0 ? args.n_threads : static_cast<int>(std::thread::hardware_concurrency());
  ThreadPool pool(n_threads);
  auto context = infer::InferContext::create(**model, n_ctx, pool);
  if (!context.ok()) return fail(context.status().message());

  infer::Generator generator(**context, **tokenizer);
  // The prompt is echoed (plain mode) once generation has started, so a
  // request the generator refuses prints only the error.
  bool echoed = args.chat;
  const auto echo_prompt = [&] {
    if (echoed) return;
    echoed = true;
    std::fwrite(args.prompt.data(), 1, args.prompt.size(), stdout);
  };
  uint64_t n_printed_bytes = 0;
  auto result = generator.generate(prompt_ids, args.generate, [&](std::string_view piece) {
    echo_prompt();
    n_printed_bytes += piece.size();
    std::fwrite(piece.data(), 1, piece.size(), stdout);
    std::fflush(stdout);
    return true;
  });
  if (!result.ok()) return fail(result.status().message());
  echo_prompt();
  std::fputc('\n', stdout);
  if (!args.quiet) {
    const infer::GenerateResult& stats = *result;
    if (n_printed_bytes == 0 && stats.n_generated_tokens > 0) {
      std::fprintf(stderr,
                   "hearth run: the %lld generated tokens have no printable text (control or unused "
                   "tokens, as random-weight models mostly sample)\n",
                   static_cast<long long>(stats.n_generated_tokens));
    }
    std::fprintf(stderr,
                 "\nhearth run: %lld prompt tokens in %.0f ms (%.1f tokens/s), %lld generated in %.0f ms (%.1f "
                 "tokens/s), finish: %s\n",
                 static_cast<long long>(stats.n_prompt_tokens), stats.prefill_ms,
                 stats.prefill_ms > 0 ? 1000.0 * static_cast<double>(stats.n_prompt_tokens) / stats.prefill_ms : 0.0,
                 static_cast<long long>(stats.n_generated_tokens), stats.decode_ms,
                 stats.decode_ms > 0 ? 1000.0 * static_cast<double>(stats.n_generated_tokens) / stats.decode_ms : 0.0,
                 infer::finish_reason_name(stats.finish_reason));
  }
  return 0;
}

}  // namespace

void add_run_command(CLI::App& app, std::function<int()>& run) {
  auto args = std::make_shared<RunArgs>();
  args->generate.max_tokens = 128;
  CLI::App* cmd = app.add_subcommand("run", "Generate text from a prompt");
  cmd->add_option("-m,--model", args->model_path, "GGUF model file")->required();
  cmd->add_option("prompt", args->prompt, "Prompt text")->required();
  cmd->add_flag("--chat", args->chat, "Wrap the prompt in the model's chat template as a user message");
  CLI::Option* system = cmd->add_option("--system", args->system_prompt, "System message (needs --chat)");
  cmd->add_option("-n,--max-tokens", args->generate.max_tokens, "Tokens to generate")->capture_default_str();
  cmd->add_option("--temp", args->generate.sampling.temperature, "Temperature (0: greedy)")->capture_default_str();
  cmd->add_option("--top-k", args->generate.sampling.top_k, "Top-k (0: off)")->capture_default_str();
  cmd->add_option("--top-p", args->generate.sampling.top_p, "Top-p (1: off)")->capture_default_str();
  cmd->add_option("--min-p", args->generate.sampling.min_p, "Min-p (0: off)")->capture_default_str();
  cmd->add_option("--repeat-penalty", args->generate.sampling.repeat_penalty, "Repetition penalty (1: off)")
      ->capture_default_str();
  cmd->add_option("--frequency-penalty", args->generate.sampling.frequency_penalty)->capture_default_str();
  cmd->add_option("--presence-penalty", args->generate.sampling.presence_penalty)->capture_default_str();
  cmd->add_option("--seed", args->generate.sampling.seed, "Sampling seed")->capture_default_str();
  cmd->add_option("--stop", args->generate.stop, "Stop string (repeatable)");
  cmd->add_option("-c,--ctx", args->n_ctx, "Context length (capped at the model's)")->capture_default_str();
  cmd->add_option("-t,--threads", args->n_threads, "Threads (default: all cores)");
  cmd->add_flag("-q,--quiet", args->quiet, "No timing line on stderr");
  cmd->callback([args, system, &run] {
    args->system_given = system->count() > 0;
    run = [args] { return run_run(*args); };
  });
}

}  // namespace hearth::cli
