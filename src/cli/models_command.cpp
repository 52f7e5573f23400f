#include "cli/models_command.h"

#include <sys/stat.h>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/models_dir.h"
#include "cli/progress_bar.h"
#include "model/arch/arch_registry.h"
#include "model/arch/family_support.h"
#include "model/gguf.h"
#include "model/llama_arch.h"
#include "node/model_files.h"
#include "planner/fit_search.h"
#include "planner/hardware_profile.h"
#include "planner/memory_plan.h"
#include "store/model_info.h"
#include "store/model_name.h"
#include "store/model_pull.h"
#include "store/model_source.h"
#include "store/model_store.h"
#include "text/chat_template.h"

namespace hearth::cli {
namespace {

// hearth serve's default context (node::kDefaultContext), for inspect's plan line.
constexpr int64_t kServeDefaultContext = 4096;

struct ModelsArgs {
  std::string models_dir;
  std::string source;  // pull
  std::string name;    // pull --name; inspect and rm: the model
  std::string sha256;
  bool force = false;
  double timeout_s = 60.0;
  std::string ca_file;
  bool json = false;
};

int fail(const std::string& message) {
  std::fprintf(stderr, "hearth models: %s\n", message.c_str());
  return 1;
}

int fail(const Status& status) { return fail(status.message()); }

std::string human_bytes(uint64_t n_bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double value = static_cast<double>(n_bytes);
  int unit_idx = 0;
  while (value >= 1024.0 && unit_idx < 4) {
    value /= 1024.0;
    ++unit_idx;
  }
  char text[32];
  if (unit_idx == 0) {
    std::snprintf(text, sizeof(text), "%llu B", static_cast<unsigned long long>(n_bytes));
  } else {
    std::snprintf(text, sizeof(text), "%.1f %s", value, kUnits[unit_idx]);
  }
  return text;
}

std::string human_count(int64_t count) {
  char text[32];
  if (count >= 1'000'000'000) {
    std::snprintf(text, sizeof(text), "%.2fB", static_cast<double>(count) / 1e9);
  } else if (count >= 1'000'000) {
    std::snprintf(text, sizeof(text), "%.1fM", static_cast<double>(count) / 1e6);
  } else if (count >= 1'000) {
    std::snprintf(text, sizeof(text), "%.1fK", static_cast<double>(count) / 1e3);
  } else {
    std::snprintf(text, sizeof(text), "%lld", static_cast<long long>(count));
  }
  return text;
}

Result<store::ModelStore> open_store(const ModelsArgs& args, bool create) {
  HEARTH_ASSIGN_OR_RETURN(std::string dir, resolve_models_dir(args.models_dir));
  return store::ModelStore::open(std::move(dir), create);
}

// ---- pull

int run_pull(const ModelsArgs& args) {
  if (!(args.timeout_s > 0.0) || args.timeout_s > 86400.0)
    return fail("--timeout must be between 0 and 86400 seconds.");
  Result<store::ModelSource> source = store::parse_model_source(args.source);
  if (!source.ok()) return fail(source.status());
  Result<store::ModelStore> opened = open_store(args, true);
  if (!opened.ok()) return fail(opened.status());

  store::PullOptions options;
  options.name = args.name;
  options.expected_sha256 = args.sha256;
  options.force = args.force;
  const auto timeout_ms = static_cast<int64_t>(std::ceil(args.timeout_s * 1000.0));
  options.http.stall_timeout_ms = timeout_ms;
  options.http.connect_timeout_ms = std::min<int64_t>(timeout_ms, options.http.connect_timeout_ms);
  options.http.ca_file = args.ca_file;
  std::unique_ptr<ProgressBar> bar;
  options.progress = [&](uint64_t done_bytes, std::optional<uint64_t> total_bytes) {
    if (!bar) bar = std::make_unique<ProgressBar>("pulling " + args.source);
    bar->update(done_bytes, total_bytes.value_or(done_bytes));
  };
  options.notice = [&](const std::string& line) {
    if (bar) bar->abandon();  // the line must not land inside the bar; the next update draws a new one
    bar.reset();
    std::fprintf(stderr, "hearth models: %s\n", line.c_str());
  };
  Result<store::PullResult> pulled = store::pull_model(*opened, *source, options);
  if (!pulled.ok()) {
    if (bar) bar->abandon();
    return fail(pulled.status());
  }
  if (bar) bar->finish();

  const store::PullResult& result = *pulled;
  // "verified" only when this pull read the source and hashed it.
  std::string verified;
  if (!result.expected_from.empty()) {
    verified = result.source_read ? ", verified against " + result.expected_from
                                  : " as " + result.expected_from + " expects (" + args.source + " was not read)";
  }
  if (result.already_present) {
    std::printf("%s is already in the store: %llu bytes, sha256 %s%s\n", result.name.c_str(),
                static_cast<unsigned long long>(result.size_bytes), result.sha256.c_str(), verified.c_str());
    return 0;
  }
  std::printf("pulled %s: %llu bytes, sha256 %s%s\n", result.name.c_str(),
              static_cast<unsigned long long>(result.size_bytes), result.sha256.c_str(), verified.c_str());
  if (result.commit.blob_existed) std::printf("  the store already held this content: the name links to it\n");
  if (result.resumed_from_bytes > 0) {
    std::printf("  resumed at %llu bytes; %llu bytes transferred\n",
                static_cast<unsigned long long>(result.resumed_from_bytes),
                static_cast<unsigned long long>(result.transferred_bytes));
  }
  if (!result.commit.replaced_sha256.empty() || result.commit.replaced_plain) {
    const std::string previous = result.commit.replaced_plain ? std::string("hand-placed file")
                                                              : "content sha256 " + result.commit.replaced_sha256;
    std::printf("  replaced the previous %s%s\n", previous.c_str(),
                result.commit.replaced_blob_removed ? " (its blob was deleted)" : "");
  }
  std::printf("  %s\n", result.path.c_str());
  return 0;
}

// ---- list

// Why hearth serve would not serve each *.gguf entry of `dir` (by file name
// without .gguf): not a regular file, or a header it cannot serve. Reads
// every header. An unreadable directory gives nothing (the store's own
// listing reports it).
std::map<std::string, std::string> invalid_model_files(const std::string& dir) {
  std::map<std::string, std::string> invalid;
  Result<std::vector<node::ScannedModelFile>> scanned = node::scan_model_files(dir);
  if (!scanned.ok()) return invalid;
  for (const node::ScannedModelFile& file : *scanned) {
    if (!file.problem.empty()) {
      invalid[file.id] = file.problem;
    } else if (Result<node::ModelFileHeader> header = node::read_model_header(file.path); !header.ok()) {
      invalid[file.id] = header.status().message();
    }
  }
  return invalid;
}

int run_list(const ModelsArgs& args) {
  Result<store::ModelStore> opened = open_store(args, false);
  if (!opened.ok()) {
    if (opened.status().code() != ErrorCode::kNotFound) return fail(opened.status());
    Result<std::string> dir = resolve_models_dir(args.models_dir);
    if (args.json) {
      std::printf("%s\n", nlohmann::json({{"models_dir", dir.ok() ? *dir : ""},
                                          {"models", nlohmann::json::array()},
                                          {"partial", nlohmann::json::array()}})
                              .dump(2)
                              .c_str());
    } else {
      std::printf("no models: %s does not exist yet (hearth models pull creates it)\n", dir.ok() ? dir->c_str() : "");
    }
    return 0;
  }
  const store::ModelStore& store = *opened;
  Result<std::vector<store::StoredModel>> models = store.list();
  if (!models.ok()) return fail(models.status());
  Result<std::vector<store::PartialDownload>> partials = store.list_partials();
  if (!partials.ok()) return fail(partials.status());
  // What hearth serve would report as invalid; the entries the store does not list (directories) last.
  std::map<std::string, std::string> invalid = invalid_model_files(store.dir());
  std::map<std::string, std::string> unlisted = invalid;
  for (const store::StoredModel& model : *models) unlisted.erase(model.name);
  auto invalid_reason = [&invalid](const std::string& name) {
    auto it = invalid.find(name);
    return it == invalid.end() ? nlohmann::json() : nlohmann::json(it->second);
  };

  if (args.json) {
    nlohmann::json rows = nlohmann::json::array();
    for (const store::StoredModel& model : *models) {
      rows.push_back({{"name", model.name},
                      {"path", model.path},
                      {"kind", store::entry_kind_name(model.kind)},
                      {"sha256", model.sha256.empty() ? nlohmann::json() : nlohmann::json(model.sha256)},
                      {"size_bytes", model.size_bytes},
                      {"link_target", model.link_target},
                      {"invalid_reason", invalid_reason(model.name)}});
    }
    nlohmann::json unlisted_rows = nlohmann::json::array();
    for (const auto& [name, reason] : unlisted) unlisted_rows.push_back({{"name", name}, {"invalid_reason", reason}});
    nlohmann::json partial_rows = nlohmann::json::array();
    for (const store::PartialDownload& partial : *partials) {
      partial_rows.push_back(
          {{"name", partial.name},
           {"have_bytes", partial.have_bytes},
           {"size_bytes", partial.size_bytes ? nlohmann::json(*partial.size_bytes) : nlohmann::json()},
           {"source", partial.source}});
    }
    const nlohmann::json out = {
        {"models_dir", store.dir()}, {"models", rows}, {"partial", partial_rows}, {"invalid", unlisted_rows}};
    // Names and sources come from the file system and servers: replace invalid UTF-8 rather than throw.
    std::printf("%s\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
    return 0;
  }
  if (models->empty()) {
    std::printf("no models in %s\n", store.dir().c_str());
  } else {
    size_t name_width = 4;
    for (const store::StoredModel& model : *models) name_width = std::max(name_width, model.name.size());
    std::printf("%-*s  %10s  %-12s  %s\n", static_cast<int>(name_width), "name", "size", "sha256", "kind");
    for (const store::StoredModel& model : *models) {
      const std::string short_sha = model.sha256.empty() ? "-" : model.sha256.substr(0, 12);
      std::string kind = store::entry_kind_name(model.kind);
      if (model.kind == store::EntryKind::kOtherLink || model.kind == store::EntryKind::kBrokenLink) {
        kind += " -> " + model.link_target;
      }
      if (auto it = invalid.find(model.name); it != invalid.end()) kind += "  INVALID: " + it->second;
      std::printf("%-*s  %10s  %-12s  %s\n", static_cast<int>(name_width), model.name.c_str(),
                  model.kind == store::EntryKind::kBrokenLink ? "-" : human_bytes(model.size_bytes).c_str(),
                  short_sha.c_str(), kind.c_str());
    }
  }
  if (!unlisted.empty()) {
    std::printf("\nnot model files (hearth serve reports them and serves the rest):\n");
    for (const auto& [name, reason] : unlisted) std::printf("  %s  INVALID: %s\n", name.c_str(), reason.c_str());
  }
  if (!partials->empty()) {
    std::printf("\npartial downloads (run the same pull again to resume; rm NAME to drop):\n");
    for (const store::PartialDownload& partial : *partials) {
      std::printf("  %s  %s of %s  from %s\n", partial.name.c_str(), human_bytes(partial.have_bytes).c_str(),
                  partial.size_bytes ? human_bytes(*partial.size_bytes).c_str() : "unknown",
                  partial.source.empty() ? "an unknown source" : partial.source.c_str());
    }
  }
  return 0;
}

// ---- inspect

// The store entry or file `target` names: a model in the store first, else a path.
Result<std::string> inspect_path(const ModelsArgs& args, std::string& store_note) {
  const std::string& target = args.name;
  if (store::validate_existing_model_name(target).ok()) {
    Result<store::ModelStore> opened = open_store(args, false);
    if (opened.ok()) {
      Result<store::StoredModel> found = opened->find(target);
      if (found.ok()) {
        if (found->kind == store::EntryKind::kBrokenLink) {
          return not_found_error("the model '" + target + "' is a broken link to " + found->link_target);
        }
        store_note = found->kind == store::EntryKind::kStoreLink
                         ? "in the store, sha256 " + found->sha256
                         : std::string(store::entry_kind_name(found->kind)) + " in " + opened->dir();
        return found->path;
      }
    }
  }
  struct stat info {};
  if (::stat(target.c_str(), &info) == 0 && S_ISREG(info.st_mode)) return target;
  Result<std::string> dir = resolve_models_dir(args.models_dir);
  return not_found_error("there is no model named '" + target + "' in " + (dir.ok() ? *dir : "the models directory") +
                         " and no file " + target);
}

// The "engine" line: the family's entry in the registry (model/arch), its
// capabilities, and whether hearth's engine binds this file.
void print_engine_line(const model::GgufFile& file) {
  const model::FamilySupport support = model::check_family_support(file);
  if (support.spec == nullptr) {
    std::printf("  %-14s none: hearth has no family '%s' (it runs %s)\n", "engine",
                support.architecture.empty() ? "(not recorded)" : support.architecture.c_str(),
                model::arch_names().c_str());
    return;
  }
  const model::ArchSpec& spec = *support.spec;
  std::printf("  %-14s hearth, family %s (%s), capabilities: %s; %s%s\n", "engine", std::string(spec.name).c_str(),
              std::string(spec.description).c_str(), model::capability_names(spec.capabilities).c_str(),
              support.runnable.ok() ? "runs this file" : "cannot run this file: ",
              support.runnable.ok() ? "" : support.runnable.message().c_str());
}

void print_plan_summary(const model::GgufFile& file, const std::string& path) {
  Result<model::LlamaConfig> config = model::read_llama_config(file);
  if (!config.ok()) {
    std::printf("  %-14s not available: %s\n", "plan", config.status().message().c_str());
    return;
  }
  Result<planner::HardwareProfile> machine = planner::detect_local_profile();
  if (!machine.ok()) {
    std::printf("  %-14s not available: %s\n", "plan", machine.status().message().c_str());
    return;
  }
  planner::PlanSettings settings;
  settings.n_ctx = std::min(kServeDefaultContext, config->n_ctx_train);
  settings.n_threads = std::max<int64_t>(machine->n_cores, 1);
  if (Status valid = planner::validate_settings(settings); !valid.ok()) {
    std::printf("  %-14s not available: %s\n", "plan", valid.message().c_str());
    return;
  }
  const int64_t weights_bytes = planner::file_weights_bytes(file);
  const planner::MemoryPlan plan = planner::plan_memory(*config, weights_bytes, settings);
  const bool fits = plan.total_bytes() <= machine->usable_bytes;
  const int64_t max_ctx =
      planner::max_context_that_fits(*config, weights_bytes, settings, machine->usable_bytes, config->n_ctx_train);
  std::printf("  %-14s context %lld x 1 on this machine: %s of %s usable, %s\n", "plan",
              static_cast<long long>(settings.n_ctx), human_bytes(static_cast<uint64_t>(plan.total_bytes())).c_str(),
              human_bytes(static_cast<uint64_t>(machine->usable_bytes)).c_str(), fits ? "fits" : "does NOT fit");
  if (max_ctx == 0) {
    std::printf("  %-14s none (the weights alone do not fit)\n", "max context");
  } else {
    std::printf("  %-14s %lld positions%s\n", "max context", static_cast<long long>(max_ctx),
                max_ctx == config->n_ctx_train ? " (the model's trained context)" : "");
  }
  std::printf("  %-14s hearth plan %s --ctx N --parallel N\n", "full plan", path.c_str());
}

// How chat requests will be rendered: the model's own template in the Jinja
// interpreter, or a native family (and why the model's template is not used).
std::string describe_chat_template(const model::GgufFile& file, const store::ModelInfo& info) {
  Result<text::ChatTemplate> chat = text::ChatTemplate::from_gguf(file);
  if (!chat.ok()) {
    return std::string(info.has_chat_template ? "yes, " : "no; ") + "unusable for chat (" + chat.status().message() +
           ")";
  }
  if (chat->name() == "jinja") {
    return "yes, Jinja (" + std::to_string(chat->jinja_source().size()) + " bytes), run by hearth's interpreter";
  }
  if (!chat->fallback_reason().empty()) {
    return "yes, but " + chat->fallback_reason() + "; native " + std::string(chat->name()) + " format used instead";
  }
  return "no; native " + std::string(chat->name()) + " format (from the vocabulary)";
}

int run_inspect(const ModelsArgs& args) {
  std::string store_note;
  Result<std::string> path = inspect_path(args, store_note);
  if (!path.ok()) return fail(path.status());
  Result<model::GgufFile> file = model::GgufFile::open(*path);
  if (!file.ok()) return fail("cannot read " + *path + ": " + file.status().message());
  const store::ModelInfo info = store::describe_model(*file);

  std::printf("%s%s%s\n", args.name.c_str(), store_note.empty() ? "" : ": ", store_note.c_str());
  std::printf("  %-14s %s, %llu bytes, GGUF v%u\n", "file", path->c_str(),
              static_cast<unsigned long long>(info.file_bytes), info.gguf_version);
  std::printf("  %-14s %s\n", "architecture", info.architecture.empty() ? "(not recorded)" : info.architecture.c_str());
  print_engine_line(*file);
  if (!info.model_name.empty()) std::printf("  %-14s %s\n", "name", info.model_name.c_str());
  std::printf("  %-14s %s (%lld tensors, %s of weights)\n", "parameters", human_count(info.n_params).c_str(),
              static_cast<long long>(info.n_tensors), human_bytes(info.tensor_bytes).c_str());
  if (!info.file_type.empty()) {
    std::printf("  %-14s %s\n", "file type", info.file_type.c_str());
  } else if (info.file_type_id >= 0) {
    std::printf("  %-14s unknown id %lld\n", "file type", static_cast<long long>(info.file_type_id));
  } else {
    std::printf("  %-14s not recorded; most weight bytes are %s\n", "file type",
                info.main_tensor_type.empty() ? "(none)" : info.main_tensor_type.c_str());
  }
  std::string types;
  for (const auto& [type, count] : info.tensor_types) {
    types += (types.empty() ? "" : ", ") + type + " x " + std::to_string(count);
  }
  std::printf("  %-14s %s\n", "tensor types", types.empty() ? "(no tensors)" : types.c_str());
  std::printf("  %-14s %lld (trained)\n", "context", static_cast<long long>(info.n_ctx_train));
  std::printf("  %-14s embedding %lld, %lld layers, %lld heads (%lld KV heads), feed-forward %lld\n", "dimensions",
              static_cast<long long>(info.n_embd), static_cast<long long>(info.n_layer),
              static_cast<long long>(info.n_head), static_cast<long long>(info.n_head_kv),
              static_cast<long long>(info.n_ff));
  if (info.tokenizer_model.empty()) {
    std::printf("  %-14s none\n", "tokenizer");
  } else {
    std::printf("  %-14s %s, %lld tokens\n", "tokenizer", info.tokenizer_model.c_str(),
                static_cast<long long>(info.n_vocab));
  }
  std::printf("  %-14s %s\n", "chat template", describe_chat_template(*file, info).c_str());
  print_plan_summary(*file, *path);
  return 0;
}

// ---- rm

int run_rm(const ModelsArgs& args) {
  Result<store::ModelStore> opened = open_store(args, false);
  if (!opened.ok()) return fail(opened.status());
  Result<store::RemoveOutcome> removed = opened->remove(args.name, args.force);
  if (!removed.ok()) return fail(removed.status());
  const store::RemoveOutcome& outcome = *removed;
  if (!outcome.removed_name) {
    std::printf("removed the partial download of %s\n", args.name.c_str());
    return 0;
  }
  if (outcome.sha256.empty()) {
    std::printf("removed %s (%s)\n", args.name.c_str(), store::entry_kind_name(outcome.kind));
  } else if (outcome.blob_removed) {
    std::printf("removed %s and its blob sha256 %s\n", args.name.c_str(), outcome.sha256.c_str());
  } else if (!outcome.blob_still_linked_by.empty()) {
    std::string others;
    for (const std::string& other : outcome.blob_still_linked_by) others += (others.empty() ? "" : ", ") + other;
    std::printf("removed %s; its blob sha256 %s stays for %s\n", args.name.c_str(), outcome.sha256.c_str(),
                others.c_str());
  } else {
    std::printf("removed %s (its blob sha256 %s was already gone)\n", args.name.c_str(), outcome.sha256.c_str());
  }
  return 0;
}

void add_models_dir_option(CLI::App* cmd, ModelsArgs& args) {
  cmd->add_option("--models-dir", args.models_dir,
                  "The models directory (default: $HEARTH_MODELS, then ~/.local/share/hearth/models)");
}

}  // namespace

void add_models_command(CLI::App& app, std::function<int()>& run) {
  auto args = std::make_shared<ModelsArgs>();
  CLI::App* models = app.add_subcommand("models", "Pull, list, inspect and remove the models hearth serves");
  models->require_subcommand(1);

  CLI::App* pull = models->add_subcommand("pull", "Copy a GGUF file from a path or http(s) URL into the store");
  pull->add_option("source", args->source, "A path (the NAS mount), file:// URL or http(s):// URL")->required();
  pull->add_option("--name", args->name, "The model's name (default: the source's file name without .gguf)");
  pull->add_option("--sha256", args->sha256, "The expected sha256 (default: SOURCE.sha256 beside a local file)");
  pull->add_flag("--force", args->force, "Replace a name that holds other content or a hand-placed file");
  pull->add_option("--timeout", args->timeout_s, "Give up on a connection or read that stalls this many seconds")
      ->capture_default_str();
  pull->add_option("--ca-file", args->ca_file, "PEM CA certificates to trust for https instead of the system's");
  add_models_dir_option(pull, *args);
  pull->callback([args, &run] { run = [args] { return run_pull(*args); }; });

  CLI::App* list = models->add_subcommand("list", "List the models in the store and unfinished downloads");
  list->add_flag("--json", args->json, "Print JSON");
  add_models_dir_option(list, *args);
  list->callback([args, &run] { run = [args] { return run_list(*args); }; });

  CLI::App* inspect = models->add_subcommand("inspect", "Describe a model and how it fits this machine");
  inspect->add_option("model", args->name, "A model name in the store, or a path to a GGUF file")->required();
  add_models_dir_option(inspect, *args);
  inspect->callback([args, &run] { run = [args] { return run_inspect(*args); }; });

  CLI::App* rm = models->add_subcommand("rm", "Remove a model's name, and its blob when no other name uses it");
  rm->add_option("model", args->name, "The model's name")->required();
  rm->add_flag("--force", args->force, "Also remove a plain file or external link put in the directory by hand");
  add_models_dir_option(rm, *args);
  rm->callback([args, &run] { run = [args] { return run_rm(*args); }; });
}

}  // namespace hearth::cli
