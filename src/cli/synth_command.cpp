#include "cli/synth_command.h"

#include <cstdio>
#include <memory>
#include <string>
#include <thread>

#include "base/file_text.h"
#include "cli/progress_bar.h"
#include "cli/synth.h"
#include "cli/whisper_synth.h"

namespace hearth::cli {
namespace {

struct SynthArgs {
  std::string shape;
  std::string type = "q8_0";
  std::string out_path;
  uint64_t seed = 1;
  int n_threads = 0;
  std::string chat_template_path;
};

// A template larger than this is no chat template (the server refuses over 1 MiB too).
constexpr int64_t kMaxChatTemplateBytes = 1 << 20;

std::string shape_names() {
  std::string names;
  for (const model::ModelShape& shape : model::shape_catalog()) {
    if (!names.empty()) names += ", ";
    names += shape.name;
  }
  for (const model::WhisperShape& shape : model::whisper_shapes()) names += ", " + std::string(shape.name);
  return names;
}

std::string type_names() {
  std::string names;
  for (model::FileType type : model::all_file_types()) {
    if (!names.empty()) names += ", ";
    names += model::file_type_name(type);
  }
  return names;
}

int run_synth(const SynthArgs& args) {
  SynthOptions options;
  options.shape = model::find_shape(args.shape);
  const model::WhisperShape* whisper_shape = model::find_whisper_shape(args.shape);
  if (options.shape == nullptr && whisper_shape == nullptr) {
    std::fprintf(stderr, "hearth synth: unknown shape '%s'; known shapes: %s.\n", args.shape.c_str(),
                 shape_names().c_str());
    return 2;
  }
  const auto file_type = model::parse_file_type(args.type);
  if (!file_type) {
    std::fprintf(stderr, "hearth synth: unknown type '%s'; known types: %s.\n", args.type.c_str(),
                 type_names().c_str());
    return 2;
  }
  options.file_type = *file_type;
  options.out_path = args.out_path;
  options.seed = args.seed;
  if (!args.chat_template_path.empty()) {
    Result<std::string> source = read_text_file(args.chat_template_path, kMaxChatTemplateBytes);
    if (!source.ok()) {
      std::fprintf(stderr, "hearth synth: --chat-template: %s\n", source.status().message().c_str());
      return 2;
    }
    options.chat_template = std::move(source).value();
  }

  const int n_threads = args.n_threads > 0 ? args.n_threads : static_cast<int>(std::thread::hardware_concurrency());
  ThreadPool pool(n_threads);
  ProgressBar bar("synth " + args.shape + " " + args.type);
  const auto report = [&](uint64_t done, uint64_t total) { bar.update(done, total); };
  const Status status = whisper_shape != nullptr
                            ? synthesize_whisper(*whisper_shape, options.file_type, options.out_path, options.seed, pool, report)
                            : synthesize_model(options, pool, report);
  bar.finish();
  if (!status.ok()) {
    std::fprintf(stderr, "hearth synth: %s\n", status.message().c_str());
    return 1;
  }
  std::fprintf(stderr, "hearth synth: wrote %s\n", args.out_path.c_str());
  return 0;
}

}  // namespace

void add_synth_command(CLI::App& app, std::function<int()>& run) {
  auto args = std::make_shared<SynthArgs>();
  CLI::App* cmd = app.add_subcommand("synth", "Write a random-weight GGUF model with a real model's shape");
  cmd->add_option("--shape", args->shape, "Model shape: " + shape_names())->required();
  cmd->add_option("--type", args->type, "Weight type: " + type_names())->capture_default_str();
  cmd->add_option("-o,--output", args->out_path, "Output GGUF file")->required();
  cmd->add_option("--seed", args->seed, "Random seed")->capture_default_str();
  cmd->add_option("--threads", args->n_threads, "Threads (default: all cores)");
  cmd->add_option("--chat-template", args->chat_template_path,
                  "A Jinja file written as the model's chat template (default: the shape's own)");
  cmd->callback([args, &run] { run = [args] { return run_synth(*args); }; });
}

}  // namespace hearth::cli
