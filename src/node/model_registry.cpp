#include "node/model_registry.h"

#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <system_error>
#include <thread>

#include "model/gguf.h"

namespace hearth::node {
namespace {

constexpr std::string_view kModelSuffix = ".gguf";

int64_t modification_time_s(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return 0;
  return static_cast<int64_t>(info.st_mtim.tv_sec);
}

Result<std::unique_ptr<ServedModel>> load_one(const std::string& path, const ModelRegistryOptions& options) {
  auto served = std::make_unique<ServedModel>();
  served->id = model_id_from_path(path);
  served->path = path;
  served->created_s = modification_time_s(path);

  auto model = infer::LlamaModel::load(path);
  if (!model.ok()) return Status(model.status().code(), "cannot load " + path + ": " + model.status().message());
  served->model = std::move(model).value();

  auto tokenizer = text::Tokenizer::from_gguf(served->model->file());
  if (!tokenizer.ok()) {
    return Status(tokenizer.status().code(),
                  path + ": the model's tokenizer is unusable: " + tokenizer.status().message());
  }
  served->tokenizer = std::move(tokenizer).value();

  auto chat_template = text::ChatTemplate::from_gguf(served->model->file());
  if (chat_template.ok()) {
    served->chat_template = std::move(chat_template).value();
  } else {
    served->chat_template_error = chat_template.status().message();
    if (options.notice) {
      options.notice("model '" + served->id + "' has no chat template hearth can render (" +
                     served->chat_template_error + "); it serves /v1/completions only");
    }
  }

  infer::SchedulerOptions scheduler_options = options.scheduler;
  const int64_t n_ctx_train = served->model->config().n_ctx_train;
  if (options.n_ctx > 0) {
    scheduler_options.n_ctx = n_ctx_train > 0 ? std::min(options.n_ctx, n_ctx_train) : options.n_ctx;
    if (scheduler_options.n_ctx < options.n_ctx && options.notice) {
      options.notice("model '" + served->id + "': context capped at its trained length " + std::to_string(n_ctx_train) +
                     " (asked " + std::to_string(options.n_ctx) + ")");
    }
  } else {
    scheduler_options.n_ctx = n_ctx_train > 0 ? std::min(kDefaultContext, n_ctx_train) : kDefaultContext;
  }
  auto scheduler = infer::Scheduler::create(*served->model, *served->tokenizer, scheduler_options);
  if (!scheduler.ok()) {
    return Status(scheduler.status().code(),
                  "cannot start the engine for " + path + ": " + scheduler.status().message());
  }
  served->scheduler = std::move(scheduler).value();
  return served;
}

}  // namespace

std::string model_id_from_path(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  std::string_view name = slash == std::string_view::npos ? path : path.substr(slash + 1);
  if (name.size() > kModelSuffix.size() && name.substr(name.size() - kModelSuffix.size()) == kModelSuffix) {
    name.remove_suffix(kModelSuffix.size());
  }
  return std::string(name);
}

Result<std::vector<std::string>> find_model_files(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code error;
  if (!fs::exists(dir, error)) return not_found_error("the models directory " + dir + " does not exist");
  if (!fs::is_directory(dir, error)) return invalid_argument_error(dir + " is not a directory");
  std::vector<std::string> files;
  fs::directory_iterator entries(dir, error);
  if (error) return io_error("cannot read the models directory " + dir + ": " + error.message());
  for (const fs::directory_entry& entry : entries) {
    const std::string name = entry.path().filename().string();
    if (name.size() <= kModelSuffix.size() || name.substr(name.size() - kModelSuffix.size()) != kModelSuffix) continue;
    std::error_code type_error;
    if (!entry.is_regular_file(type_error)) continue;  // follows links; skips directories and dangling links
    files.push_back(entry.path().string());
  }
  if (files.empty()) return not_found_error("the models directory " + dir + " holds no *.gguf files");
  std::sort(files.begin(), files.end());
  return files;
}

Result<std::unique_ptr<ModelRegistry>> ModelRegistry::load(std::span<const std::string> paths,
                                                           const ModelRegistryOptions& options) {
  auto registry = std::make_unique<ModelRegistry>();
  for (const std::string& path : paths) {
    const std::string id = model_id_from_path(path);
    if (registry->find(id) != nullptr) {
      return invalid_argument_error("two model files give the id '" + id + "': " + registry->find(id)->path + " and " +
                                    path);
    }
    HEARTH_ASSIGN_OR_RETURN(std::unique_ptr<ServedModel> served, load_one(path, options));
    registry->models_.push_back(std::move(served));
    std::sort(registry->models_.begin(), registry->models_.end(),
              [](const auto& lhs, const auto& rhs) { return lhs->id < rhs->id; });
  }
  return registry;
}

ModelRegistry::~ModelRegistry() = default;

const ServedModel* ModelRegistry::find(std::string_view id) const {
  auto it = std::lower_bound(models_.begin(), models_.end(), id,
                             [](const auto& served, std::string_view key) { return served->id < key; });
  if (it == models_.end() || (*it)->id != id) return nullptr;
  return it->get();
}

std::vector<const ServedModel*> ModelRegistry::list() const {
  std::vector<const ServedModel*> out;
  out.reserve(models_.size());
  for (const auto& served : models_) out.push_back(served.get());
  return out;
}

int32_t ModelRegistry::drain(int64_t timeout_ms) {
  // One thread per model, so every scheduler stops admitting at once and all
  // share the same deadline.
  std::atomic<int32_t> n_cancelled{0};
  std::vector<std::thread> drainers;
  drainers.reserve(models_.size());
  for (const auto& served : models_) {
    infer::Scheduler* scheduler = served->scheduler.get();
    drainers.emplace_back([scheduler, timeout_ms, &n_cancelled] { n_cancelled += scheduler->drain(timeout_ms); });
  }
  for (std::thread& drainer : drainers) drainer.join();
  return n_cancelled.load();
}

}  // namespace hearth::node
