#include "cli/plan_command.h"

#include <cstdio>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "model/gguf.h"
#include "model/llama_arch.h"
#include "model/shape_catalog.h"
#include "planner/fit_search.h"
#include "planner/hardware_profile.h"
#include "planner/memory_plan.h"

namespace hearth::cli {
namespace {

struct PlanArgs {
  std::string model_path;
  std::string shape;
  std::string type;
  int64_t n_ctx = 4096;
  int64_t n_parallel = 1;
  int64_t max_batch_tokens = 512;
  std::string kv_type = "f16";
  int64_t n_threads = 0;
  std::string machine;
  bool all = false;
  bool json = false;
};

// What is being planned: its dimensions and weight bytes.
struct Subject {
  std::string name;
  std::string type;  // file type; "" for a file
  model::LlamaConfig config;
  int64_t weights_bytes = 0;
  int64_t expert_bytes = 0;  // of weights_bytes, the experts' (a token reads only its own)
  bool from_catalog = false;
};

int fail(const std::string& message) {
  std::fprintf(stderr, "hearth plan: %s\n", message.c_str());
  return 2;
}

std::string gib(int64_t n_bytes) {
  char text[32];
  std::snprintf(text, sizeof(text), "%.2f GiB", static_cast<double>(n_bytes) / double(int64_t{1} << 30));
  return text;
}

std::string shape_names() {
  std::string names;
  for (const model::ModelShape& shape : model::shape_catalog())
    names += (names.empty() ? "" : ", ") + std::string(shape.name);
  return names;
}

std::string type_names() {
  std::string names;
  for (model::FileType type : model::all_file_types()) {
    names += (names.empty() ? "" : ", ") + std::string(model::file_type_name(type));
  }
  return names;
}

std::string profile_names() {
  std::string names;
  for (const planner::HardwareProfile& profile : planner::builtin_profiles()) {
    names += (names.empty() ? "" : ", ") + profile.name;
  }
  return names;
}

Result<planner::HardwareProfile> pick_machine(const std::string& name) {
  if (name.empty() || name == "local") return planner::detect_local_profile();
  const planner::HardwareProfile* profile = planner::find_profile(name);
  if (profile == nullptr) {
    return invalid_argument_error("unknown machine '" + name + "'; known machines: local, " + profile_names() + ".");
  }
  return *profile;
}

Result<Subject> catalog_subject(const model::ModelShape& shape, model::FileType file_type) {
  Subject subject;
  subject.name = std::string(shape.name);
  subject.type = std::string(model::file_type_name(file_type));
  subject.config = shape.config;
  subject.from_catalog = true;
  HEARTH_ASSIGN_OR_RETURN(subject.weights_bytes, planner::shape_weights_bytes(shape.config, file_type));
  HEARTH_ASSIGN_OR_RETURN(subject.expert_bytes, planner::shape_expert_bytes(shape.config, file_type));
  return subject;
}

Result<Subject> pick_subject(const PlanArgs& args) {
  if (!args.model_path.empty()) {
    if (!args.shape.empty()) return invalid_argument_error("give a model file or --shape, not both.");
    if (!args.type.empty()) return invalid_argument_error("--type applies to --shape; a file has its own types.");
    Result<model::GgufFile> file = model::GgufFile::open(args.model_path);
    if (!file.ok()) return invalid_argument_error("cannot read " + args.model_path + ": " + file.status().message());
    Result<model::LlamaConfig> config = model::read_llama_config(*file);
    if (!config.ok())
      return invalid_argument_error("cannot plan " + args.model_path + ": " + config.status().message());
    Subject subject;
    subject.name = args.model_path;
    subject.config = *std::move(config);
    subject.weights_bytes = planner::file_weights_bytes(*file);
    subject.expert_bytes = planner::file_expert_bytes(*file);
    return subject;
  }
  if (args.shape.empty()) return invalid_argument_error("give a model file, --shape NAME or --all.");
  const model::ModelShape* shape = model::find_shape(args.shape);
  if (shape == nullptr) {
    return invalid_argument_error("unknown shape '" + args.shape + "'; known shapes: " + shape_names() + ".");
  }
  const std::string type = args.type.empty() ? "q4_k_m" : args.type;
  const std::optional<model::FileType> file_type = model::parse_file_type(type);
  if (!file_type) return invalid_argument_error("unknown type '" + type + "'; known types: " + type_names() + ".");
  return catalog_subject(*shape, *file_type);
}

Result<planner::PlanSettings> pick_settings(const PlanArgs& args, const planner::HardwareProfile& machine) {
  planner::PlanSettings settings;
  settings.n_ctx = args.n_ctx;
  settings.n_parallel = args.n_parallel;
  settings.max_batch_tokens = args.max_batch_tokens;
  settings.n_threads = args.n_threads > 0 ? args.n_threads : machine.n_cores;
  if (args.kv_type == "f16") {
    settings.kv_dtype = tensor::DType::kF16;
  } else if (args.kv_type == "f32") {
    settings.kv_dtype = tensor::DType::kF32;
  } else {
    return invalid_argument_error("unknown KV type '" + args.kv_type + "'; known KV types: f16, f32.");
  }
  HEARTH_RETURN_IF_ERROR(planner::validate_settings(settings));
  return settings;
}

nlohmann::json machine_json(const planner::HardwareProfile& machine) {
  return {{"name", machine.name},
          {"description", machine.description},
          {"ram_bytes", machine.ram_bytes},
          {"usable_bytes", machine.usable_bytes},
          {"bandwidth_gbps", machine.bandwidth_gbps},
          {"gpu_name", machine.gpu_name},
          {"gpu_bytes", machine.gpu_bytes}};
}

int run_one(const PlanArgs& args, const planner::HardwareProfile& machine, const planner::PlanSettings& settings) {
  Result<Subject> picked = pick_subject(args);
  if (!picked.ok()) return fail(picked.status().message());
  const Subject& subject = *picked;
  planner::MemoryPlan plan = planner::plan_memory(subject.config, subject.weights_bytes, settings);
  plan.decode_weights_bytes =
      planner::decode_weights_bytes(subject.config, subject.weights_bytes, subject.expert_bytes);
  const bool fits = plan.total_bytes() <= machine.usable_bytes;
  const int64_t ctx_limit = subject.config.n_ctx_train;
  const int64_t max_ctx =
      planner::max_context_that_fits(subject.config, subject.weights_bytes, settings, machine.usable_bytes, ctx_limit);
  std::optional<planner::QuantChoice> best;
  if (subject.from_catalog) best = planner::best_quant_that_fits(subject.config, settings, machine.usable_bytes);
  const double tps = planner::decode_tps_bound(plan, settings.n_ctx, machine.bandwidth_gbps);
  const int64_t read_bytes = plan.decode_weights_bytes + settings.n_ctx * plan.kv_bytes_per_token;

  if (args.json) {
    nlohmann::json out = {{"model", subject.name},
                          {"type", subject.type},
                          {"machine", machine_json(machine)},
                          {"n_ctx", settings.n_ctx},
                          {"n_parallel", settings.n_parallel},
                          {"weights_bytes", plan.weights_bytes},
                          {"kv_bytes", plan.kv_bytes},
                          {"kv_pool_tokens", plan.kv_pool_tokens},
                          {"kv_bytes_per_token", plan.kv_bytes_per_token},
                          {"kv_bytes_per_sequence", settings.n_ctx * plan.kv_bytes_per_token},
                          {"scratch_bytes", plan.scratch_bytes},
                          {"overhead_bytes", plan.overhead_bytes},
                          {"total_bytes", plan.total_bytes()},
                          {"fits", fits},
                          {"max_context", max_ctx},
                          {"context_limit", ctx_limit},
                          {"decode_bytes_per_token", read_bytes},
                          {"decode_weights_bytes", plan.decode_weights_bytes},
                          {"decode_tps_bound", machine.bandwidth_gbps > 0 ? nlohmann::json(tps) : nlohmann::json()}};
    if (subject.from_catalog) {
      out["best_type"] = best ? nlohmann::json(std::string(model::file_type_name(best->file_type))) : nlohmann::json();
    }
    std::printf("%s\n", out.dump(2).c_str());
    return 0;
  }

  std::printf("%s%s%s: context %lld x %lld sequence(s), KV %s, on %s (%s)\n", subject.name.c_str(),
              subject.type.empty() ? "" : " ", subject.type.c_str(), static_cast<long long>(settings.n_ctx),
              static_cast<long long>(settings.n_parallel), args.kv_type.c_str(), machine.name.c_str(),
              machine.description.c_str());
  std::printf("\n  %-9s %16s %12s\n", "term", "bytes", "GiB");
  const auto row = [](const char* name, int64_t n_bytes, const std::string& note) {
    std::printf("  %-9s %16lld %12s%s%s\n", name, static_cast<long long>(n_bytes), gib(n_bytes).c_str(),
                note.empty() ? "" : "  ", note.c_str());
  };
  row("weights", plan.weights_bytes, "");
  row("kv cache", plan.kv_bytes,
      std::to_string(plan.kv_pool_tokens) + " positions x " + std::to_string(plan.kv_bytes_per_token) + " B; " +
          gib(settings.n_ctx * plan.kv_bytes_per_token) + " per sequence");
  row("scratch", plan.scratch_bytes, std::to_string(settings.max_batch_tokens) + "-token batches");
  row("overhead", plan.overhead_bytes, "runtime estimate");
  row("total", plan.total_bytes(), "");
  std::printf("\n  usable    %16lld %12s  of %s RAM\n", static_cast<long long>(machine.usable_bytes),
              gib(machine.usable_bytes).c_str(), gib(machine.ram_bytes).c_str());
  if (!machine.gpu_name.empty()) {
    std::printf("  gpu: %s, %s (for external engines; hearth's engine runs on the CPU)\n", machine.gpu_name.c_str(),
                gib(machine.gpu_bytes).c_str());
  }
  if (fits) {
    std::printf("  fits: yes, %s to spare\n", gib(machine.usable_bytes - plan.total_bytes()).c_str());
  } else {
    std::printf("  fits: NO, %s short\n", gib(plan.total_bytes() - machine.usable_bytes).c_str());
  }
  if (settings.n_ctx > ctx_limit) {
    std::printf("  note: context %lld is beyond the model's trained context %lld\n",
                static_cast<long long>(settings.n_ctx), static_cast<long long>(ctx_limit));
  }
  if (max_ctx == 0) {
    std::printf("  largest context that fits: none (the weights alone do not fit)\n");
  } else {
    std::printf("  largest context that fits: %lld positions per sequence x %lld%s\n", static_cast<long long>(max_ctx),
                static_cast<long long>(settings.n_parallel),
                max_ctx == ctx_limit ? " (the model's trained context)" : "");
  }
  if (subject.from_catalog) {
    if (best) {
      std::printf("  best quantization that fits: %s (weights %s)\n",
                  std::string(model::file_type_name(best->file_type)).c_str(), gib(best->weights_bytes).c_str());
    } else {
      std::printf("  best quantization that fits: none at this context\n");
    }
  }
  if (subject.expert_bytes > 0) {
    std::printf("  experts: %lld of %lld per token; a token reads %s of the %s of weights\n",
                static_cast<long long>(subject.config.n_expert_used), static_cast<long long>(subject.config.n_expert),
                gib(plan.decode_weights_bytes).c_str(), gib(plan.weights_bytes).c_str());
  }
  if (machine.bandwidth_gbps > 0) {
    std::printf("  decode bound: %.1f tokens/s per sequence (%.0f GB/s / %.2f GB read per token at full context)\n",
                tps, machine.bandwidth_gbps, static_cast<double>(read_bytes) / 1e9);
  } else {
    std::printf("  decode bound: unknown (no bandwidth for this machine; name one with --machine)\n");
  }
  return 0;
}

int run_all(const PlanArgs& args, const planner::HardwareProfile& machine, const planner::PlanSettings& settings) {
  if (!args.model_path.empty() || !args.shape.empty() || !args.type.empty()) {
    return fail("--all lists every catalog shape and type; drop the model, --shape and --type.");
  }
  nlohmann::json rows = nlohmann::json::array();
  if (!args.json) {
    std::printf("%s (%s): %s usable, context %lld x %lld\n\n", machine.name.c_str(), machine.description.c_str(),
                gib(machine.usable_bytes).c_str(), static_cast<long long>(settings.n_ctx),
                static_cast<long long>(settings.n_parallel));
    std::printf("  %-14s %-7s %12s %12s %5s %12s %10s\n", "shape", "type", "weights", "total", "fits", "max ctx",
                "decode t/s");
  }
  for (const model::ModelShape& shape : model::shape_catalog()) {
    for (model::FileType file_type : model::all_file_types()) {
      Result<Subject> subject = catalog_subject(shape, file_type);
      if (!subject.ok()) continue;  // rows that do not fit the type's blocks
      const planner::MemoryPlan plan = planner::plan_memory(subject->config, subject->weights_bytes, settings);
      const bool fits = plan.total_bytes() <= machine.usable_bytes;
      const int64_t max_ctx = planner::max_context_that_fits(subject->config, subject->weights_bytes, settings,
                                                             machine.usable_bytes, subject->config.n_ctx_train);
      const double tps = planner::decode_tps_bound(plan, settings.n_ctx, machine.bandwidth_gbps);
      if (args.json) {
        rows.push_back({{"shape", subject->name},
                        {"type", subject->type},
                        {"weights_bytes", plan.weights_bytes},
                        {"total_bytes", plan.total_bytes()},
                        {"fits", fits},
                        {"max_context", max_ctx},
                        {"decode_tps_bound", machine.bandwidth_gbps > 0 ? nlohmann::json(tps) : nlohmann::json()}});
      } else {
        std::printf("  %-14s %-7s %12s %12s %5s %12lld %10.1f\n", subject->name.c_str(), subject->type.c_str(),
                    gib(plan.weights_bytes).c_str(), gib(plan.total_bytes()).c_str(), fits ? "yes" : "no",
                    static_cast<long long>(max_ctx), tps);
      }
    }
  }
  if (args.json) {
    const nlohmann::json out = {{"machine", machine_json(machine)},
                                {"n_ctx", settings.n_ctx},
                                {"n_parallel", settings.n_parallel},
                                {"models", rows}};
    std::printf("%s\n", out.dump(2).c_str());
  }
  return 0;
}

int run_plan(const PlanArgs& args) {
  Result<planner::HardwareProfile> machine = pick_machine(args.machine);
  if (!machine.ok()) return fail(machine.status().message());
  Result<planner::PlanSettings> settings = pick_settings(args, *machine);
  if (!settings.ok()) return fail(settings.status().message());
  return args.all ? run_all(args, *machine, *settings) : run_one(args, *machine, *settings);
}

}  // namespace

void add_plan_command(CLI::App& app, std::function<int()>& run) {
  auto args = std::make_shared<PlanArgs>();
  CLI::App* cmd = app.add_subcommand("plan", "Size a model to a machine's memory before loading it");
  cmd->add_option("model", args->model_path, "GGUF model file");
  cmd->add_option("--shape", args->shape, "Catalog shape instead of a file: " + shape_names());
  cmd->add_option("--type", args->type, "Weight type of --shape (default q4_k_m): " + type_names());
  cmd->add_option("--ctx", args->n_ctx, "Positions per sequence")->capture_default_str();
  cmd->add_option("--parallel", args->n_parallel, "Sequences served at once")->capture_default_str();
  cmd->add_option("--batch", args->max_batch_tokens, "Tokens per engine step")->capture_default_str();
  cmd->add_option("--kv-type", args->kv_type, "KV cache type: f16, f32")->capture_default_str();
  cmd->add_option("--threads", args->n_threads, "Forward-pass threads (default: the machine's cores)");
  cmd->add_option("--machine", args->machine, "Hardware profile (default: local): " + profile_names());
  cmd->add_flag("--all", args->all, "List every catalog shape and type for the machine");
  cmd->add_flag("--json", args->json, "Print JSON");
  cmd->callback([args, &run] { run = [args] { return run_plan(*args); }; });
}

}  // namespace hearth::cli
