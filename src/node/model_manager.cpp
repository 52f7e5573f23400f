#include "node/model_manager.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <limits>
#include <map>
#include <set>
#include <thread>

#include "base/byte_size.h"
#include "base/clock.h"
#include "model/file_type.h"
#include "model/gguf.h"
#include "node/model_files.h"
#include "media/whisper_engine.h"
#include "planner/fit_search.h"

namespace hearth::node {

// One entry of the list: a model file as planned when it was (re)scanned.
struct ManagedModel {
  // Immutable once planned.
  std::string id;
  std::string path;
  FileIdentity identity;       // zero for explicit files not stat()ed and invalid entries
  std::string invalid_reason;  // not empty: not servable; nothing below is set
  // The file was open for writing when it was planned (invalid_reason says so):
  // planned again at its next use or scan, and a 503 meanwhile.
  bool being_written = false;
  int64_t created_s = 0;
  model::Capabilities capabilities = 0;  // of the engine its family calls for
  model::LlamaConfig config;
  std::optional<model::WhisperConfig> whisper;  // a speech model: plan holds its engine's terms; config is unset
  planner::PlanSettings plan_settings;
  // Also immutable, but for an external engine's plan.overhead_bytes, which
  // load_entry (on the loader thread, the only writer) raises under
  // ModelManager::mutex_ to what the process was measured to hold.
  planner::MemoryPlan plan;
  int64_t n_ctx = 0;
  bool pinned = false;
  int64_t keep_alive_ms = kDefaultKeepAliveMs;  // configured
  // A built-in model (an element of the manager's options): no file, no lease.
  const BuiltinModel* builtin = nullptr;
  std::optional<ExternalEngineConfig> external;  // set: served by an external engine process

  // Guarded by ModelManager::mutex_.
  std::unique_ptr<ServedModel> served;
  bool loading = false;
  bool waiting_for_room = false;  // in make_room, waiting for busy models
  bool queued = false;
  bool retired = false;          // out of the list: unloads when its last lease ends
  bool awaiting_unload = false;  // in ModelManager::retired_
  // A writer opened the file: no new leases; unloads once its sequences are
  // cancelled (overwrite_stopped) and its leases end; planned again after.
  bool file_overwritten = false;
  bool overwrite_stopped = false;
  int32_t n_active = 0;
  int64_t keep_alive_in_force_ms = kDefaultKeepAliveMs;
  int64_t idle_since_ms = -1;  // monotonic; -1 while in use or never loaded
  int64_t last_used_unix_ms = 0;
  int64_t n_loads = 0;
  int64_t n_unloads = 0;    // every unload, evictions included
  int64_t n_evictions = 0;  // unloads that made room for another model
  int64_t load_ms = 0;
  std::optional<infer::EngineStats> last_stats;  // at the last unload
  std::vector<ModelManager::AcquireCallback> waiters;

  int64_t planned_bytes() const { return plan.total_bytes(); }

  // Takes the model out (the caller destroys it outside the manager's lock),
  // keeping its engine's counters for status.
  std::unique_ptr<ServedModel> unload() {
    ++n_unloads;
    last_stats = served->engine->stats();
    idle_since_ms = -1;
    return std::move(served);
  }
};

namespace {

int64_t elapsed_ms(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
}

int resolved_threads(int n_threads) {
  return n_threads > 0 ? n_threads : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

// The planner's view of the engine settings one model is served with.
planner::PlanSettings plan_settings_for(const ServedModelOptions& load, int64_t n_ctx) {
  planner::PlanSettings settings;
  settings.n_ctx = n_ctx;
  settings.n_parallel = load.scheduler.max_seqs;
  settings.max_batch_tokens = load.scheduler.max_batch_tokens;
  settings.kv_block_tokens = load.scheduler.kv_block_tokens;
  settings.kv_pool_tokens = load.scheduler.kv_pool_tokens;
  settings.kv_dtype = load.scheduler.kv_dtype;
  settings.n_threads = resolved_threads(load.scheduler.n_threads);
  return settings;
}

}  // namespace

// ---- ModelLease ----

ModelLease::ModelLease(ModelLease&& other) noexcept
    : manager_(std::exchange(other.manager_, nullptr)), entry_(std::move(other.entry_)), served_(other.served_) {}

ModelLease& ModelLease::operator=(ModelLease&& other) noexcept {
  if (this != &other) {
    release();
    manager_ = std::exchange(other.manager_, nullptr);
    entry_ = std::move(other.entry_);
    served_ = other.served_;
  }
  return *this;
}

ModelLease::~ModelLease() { release(); }

void ModelLease::release() {
  if (manager_ != nullptr) std::exchange(manager_, nullptr)->release(entry_);
  entry_.reset();
}

// ---- ModelManager ----

ModelManager::ModelManager(ModelManagerOptions&& options) : options_(std::move(options)) {
  // Every engine of the node steps on these threads, one step at a time (infer/compute_pool.h).
  if (options_.load.scheduler.compute == nullptr) {
    options_.load.scheduler.compute = std::make_shared<infer::ComputePool>(options_.load.scheduler.n_threads);
  }
  if (!options_.now_ms) {
    options_.now_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
    };
  }
}

Result<ModelManager::EntryPtr> ModelManager::plan_entry(const std::string& path, bool tolerate_invalid) const {
  auto entry = std::make_shared<Entry>();
  entry->id = model_id_from_path(path);
  entry->path = path;
  // Stat()ed before the header is read: a file that changes in between is
  // planned again at the next scan, never missed.
  if (auto identity = file_identity(path); identity.ok()) entry->identity = *identity;
  Status planned = [&]() -> Status {
    HEARTH_ASSIGN_OR_RETURN(ModelFileHeader header, read_model_header(path));
    entry->config = header.config;
    entry->capabilities = header.capabilities;
    entry->created_s = file_modification_time_s(path);
    if (header.whisper) {
      // A speech model: its engine's own terms (media::WhisperEngine); no KV pool to size.
      const infer::EngineMemory memory = media::whisper_planned_memory(*header.whisper, header.weights_bytes);
      entry->whisper = header.whisper;
      entry->n_ctx = header.whisper->n_text_ctx;
      entry->plan.weights_bytes = memory.weights_bytes;
      entry->plan.kv_bytes = memory.cache_bytes;
      entry->plan.scratch_bytes = memory.scratch_bytes;
      return ok_status();
    }
    entry->n_ctx = serving_context(entry->config, options_.load);
    entry->plan_settings = plan_settings_for(options_.load, entry->n_ctx);
    if (model::has_capability(entry->capabilities, model::Capability::kEmbed) ||
        model::has_capability(entry->capabilities, model::Capability::kRerank)) {
      // The embedding engine's KV pool: the longest input beside a full step, one sequence's logits at most.
      entry->plan_settings.kv_pool_tokens =
          infer::embedding_pool_tokens(embedding_options(entry->config, options_.load));
      entry->plan_settings.n_parallel = 1;
    }
    if (auto it = options_.settings.find(entry->id); it != options_.settings.end() && it->second.external) {
      // An external engine: the same planned terms at its own parallelism
      // (llama-server's -c is the context times -np), plus its process's runtime.
      const ExternalEngineConfig& external = *it->second.external;
      if (!model::has_capability(entry->capabilities, model::Capability::kGenerate)) {
        return invalid_argument_error("the model '" + entry->id + "' is configured for an external engine (" +
                                      std::string(external_engine_kind_name(external.kind)) +
                                      "), which serves text generation only");
      }
      entry->external = external;
      if (external.n_parallel > 0) entry->plan_settings.n_parallel = external.n_parallel;
      entry->plan_settings.kv_pool_tokens = entry->n_ctx * entry->plan_settings.n_parallel;
    }
    HEARTH_RETURN_IF_ERROR(planner::validate_settings(entry->plan_settings));
    entry->plan = planner::plan_memory(entry->config, header.weights_bytes, entry->plan_settings);
    if (entry->external) entry->plan.overhead_bytes = entry->external->overhead_bytes;
    return ok_status();
  }();
  if (!planned.ok()) {
    if (!tolerate_invalid) return planned;
    entry->invalid_reason = planned.message();
    entry->being_written = planned.code() == ErrorCode::kUnavailable;
    return entry;
  }
  entry->keep_alive_ms = options_.default_keep_alive_ms;
  if (auto it = options_.settings.find(entry->id); it != options_.settings.end()) {
    entry->pinned = it->second.pinned;
    if (it->second.keep_alive_ms) entry->keep_alive_ms = *it->second.keep_alive_ms;
  }
  entry->keep_alive_in_force_ms = entry->keep_alive_ms;
  return entry;
}

bool ModelManager::is_builtin_id(std::string_view id) const {
  return std::any_of(options_.builtin_models.begin(), options_.builtin_models.end(),
                     [id](const BuiltinModel& model) { return model.id == id; });
}

std::vector<ModelManager::EntryPtr> ModelManager::builtin_entries() const {
  std::vector<EntryPtr> out;
  for (const BuiltinModel& model : options_.builtin_models) {
    auto entry = std::make_shared<Entry>();
    entry->id = model.id;
    entry->path = model.source;
    entry->builtin = &model;
    entry->capabilities = model.capabilities;
    // Weights and working memory as the engine estimates them (no KV cache, no context).
    entry->plan.weights_bytes = model.estimate.weights_bytes;
    entry->plan.kv_bytes = model.estimate.cache_bytes;
    entry->plan.scratch_bytes = model.estimate.scratch_bytes;
    entry->keep_alive_ms = options_.default_keep_alive_ms;
    if (auto it = options_.settings.find(entry->id); it != options_.settings.end()) {
      entry->pinned = it->second.pinned;
      if (it->second.keep_alive_ms) entry->keep_alive_ms = *it->second.keep_alive_ms;
    }
    entry->keep_alive_in_force_ms = entry->keep_alive_ms;
    out.push_back(std::move(entry));
  }
  return out;
}

Result<std::unique_ptr<ModelManager>> ModelManager::create(std::span<const std::string> paths,
                                                           ModelManagerOptions&& options) {
  if (options.budget_bytes <= 0) return invalid_argument_error("the model memory budget must be positive");
  std::unique_ptr<ModelManager> manager(new ModelManager(std::move(options)));
  for (const std::string& path : paths) {
    // Files named on the command line must be servable: the user asked for them.
    HEARTH_ASSIGN_OR_RETURN(EntryPtr entry, manager->plan_entry(path, false));
    if (manager->is_builtin_id(entry->id)) {
      return invalid_argument_error("the model file " + path + " gives the id '" + entry->id +
                                    "', which a built-in model has; rename the file or serve without built-in models");
    }
    for (const auto& other : manager->entries_) {
      if (other->id == entry->id) {
        return invalid_argument_error("two model files give the id '" + entry->id + "': " + other->path + " and " +
                                      path);
      }
    }
    manager->entries_.push_back(std::move(entry));
  }
  HEARTH_RETURN_IF_ERROR(manager->start());
  return manager;
}

Result<std::unique_ptr<ModelManager>> ModelManager::create_for_dir(const std::string& dir,
                                                                   ModelManagerOptions&& options) {
  if (options.budget_bytes <= 0) return invalid_argument_error("the model memory budget must be positive");
  HEARTH_ASSIGN_OR_RETURN(std::vector<ScannedModelFile> scanned, scan_model_files(dir));
  std::unique_ptr<ModelManager> manager(new ModelManager(std::move(options)));
  manager->dir_ = dir;
  for (const ScannedModelFile& file : scanned) {
    // Names in one directory are unique, so are the ids.
    if (manager->is_builtin_id(file.id)) {
      manager->notice("models directory: " + file.path + " is not served: its id '" + file.id +
                      "' is a built-in model's; rename it to serve it");
      continue;
    }
    if (!file.problem.empty()) {
      auto entry = std::make_shared<Entry>();
      entry->id = file.id;
      entry->path = file.path;
      entry->invalid_reason = file.problem;
      manager->entries_.push_back(std::move(entry));
      continue;
    }
    HEARTH_ASSIGN_OR_RETURN(EntryPtr entry, manager->plan_entry(file.path, true));
    manager->entries_.push_back(std::move(entry));
  }
  HEARTH_RETURN_IF_ERROR(manager->start());
  return manager;
}

Status ModelManager::start() {
  for (EntryPtr& entry : builtin_entries()) entries_.push_back(std::move(entry));
  std::sort(entries_.begin(), entries_.end(), [](const auto& lhs, const auto& rhs) { return lhs->id < rhs->id; });
  for (const auto& [id, settings] : options_.settings) {
    if (!contains(id)) {
      return invalid_argument_error("the settings name the model '" + id + "', which is not among the served files");
    }
  }

  // Pinned models load now: a node that cannot hold what it was told to keep
  // should say so at start, not at the first request.
  int64_t pinned_bytes = 0;
  for (const auto& entry : entries_) {
    if (!entry->invalid_reason.empty()) {
      // An invalid entry carries no settings; pinning it is asking for the impossible.
      auto it = options_.settings.find(entry->id);
      if (it != options_.settings.end() && it->second.pinned) {
        return invalid_argument_error("the pinned model '" + entry->id +
                                      "' cannot be served: " + entry->invalid_reason);
      }
      continue;
    }
    if (!entry->pinned) continue;
    if (entry->planned_bytes() > options_.budget_bytes) return cannot_fit_error(*entry);
    pinned_bytes += entry->planned_bytes();
    if (pinned_bytes > options_.budget_bytes) {
      return invalid_argument_error("the pinned models need " + format_byte_size(pinned_bytes) +
                                    " together, more than the model memory budget of " +
                                    format_byte_size(options_.budget_bytes));
    }
    const auto t_load_start = std::chrono::steady_clock::now();
    auto served = load_entry(entry);
    if (!served.ok()) return served.status();
    entry->served = std::move(served).value();
    entry->n_loads = 1;
    entry->load_ms = std::max<int64_t>(1, elapsed_ms(t_load_start));
    entry->idle_since_ms = now_ms();
  }
  loader_ = std::thread([this] { loader_loop(); });
  return ok_status();
}

ModelManager::~ModelManager() {
  bool drained = false;
  {
    std::lock_guard lock(mutex_);
    drained = stopping_;
  }
  if (!drained) drain(0);
  // The models are destroyed here, while every member is alive: a lease break
  // dispatched meanwhile (on_file_overwritten) still finds a whole manager.
  std::vector<EntryPtr> entries;
  std::vector<EntryPtr> retired;
  {
    std::lock_guard lock(mutex_);
    entries.swap(entries_);
    retired.swap(retired_);
    overwritten_.clear();  // each is in entries or retired too
    load_queue_.clear();
  }
}

int64_t ModelManager::now_ms() const { return options_.now_ms(); }

void ModelManager::notice(const std::string& line) const {
  if (options_.load.notice) options_.load.notice(line);
}

ModelManager::EntryPtr ModelManager::find_locked(std::string_view id) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), id,
                             [](const auto& entry, std::string_view key) { return entry->id < key; });
  if (it == entries_.end() || (*it)->id != id) return nullptr;
  return *it;
}

std::vector<ModelManager::Entry*> ModelManager::all_entries_locked() const {
  std::vector<Entry*> all;
  all.reserve(entries_.size() + retired_.size());
  for (const auto& entry : entries_) all.push_back(entry.get());
  for (const auto& entry : retired_) {
    if (entry->retired) all.push_back(entry.get());  // an overwritten one is in entries_ too
  }
  return all;
}

bool ModelManager::contains(std::string_view id) const {
  std::lock_guard lock(mutex_);
  return find_locked(id) != nullptr;
}

ModelInfo ModelManager::info_locked(const Entry& entry) const {
  ModelInfo info;
  info.id = entry.id;
  info.path = entry.path;
  info.invalid_reason = entry.invalid_reason;
  info.being_written = entry.being_written;
  if (!entry.invalid_reason.empty()) return info;
  info.created_s = entry.created_s;
  info.capabilities = entry.capabilities;
  info.n_ctx = entry.n_ctx;
  info.plan = entry.plan;
  info.fits_budget = entry.planned_bytes() <= options_.budget_bytes;
  info.resident = entry.served != nullptr;
  info.loading = entry.loading;
  info.waiting_for_room = entry.waiting_for_room;
  info.pinned = entry.pinned;
  info.n_active = entry.n_active;
  info.keep_alive_ms = entry.keep_alive_in_force_ms;
  info.idle_for_ms = entry.n_active == 0 && entry.idle_since_ms >= 0 ? now_ms() - entry.idle_since_ms : -1;
  info.last_used_unix_ms = entry.last_used_unix_ms;
  info.n_loads = entry.n_loads;
  info.n_unloads = entry.n_unloads;
  info.n_evictions = entry.n_evictions;
  info.load_ms = entry.load_ms;
  info.stats = entry.served ? std::optional(entry.served->engine->stats()) : entry.last_stats;
  if (entry.served) info.memory = entry.served->engine->memory();
  if (entry.external) {
    info.external_kind = std::string(external_engine_kind_name(entry.external->kind));
    if (entry.served) {
      if (const auto* external = dynamic_cast<const ExternalEngine*>(entry.served->engine.get())) {
        info.external_pid = external->process().pid();
        info.external_restarts = external->process().n_restarts();
        info.external_last_exit = external->process().last_exit();
      }
    }
  }
  return info;
}

std::optional<ModelInfo> ModelManager::info(std::string_view id) const {
  std::lock_guard lock(mutex_);
  EntryPtr entry = find_locked(id);
  if (!entry) return std::nullopt;
  return info_locked(*entry);
}

std::vector<ModelInfo> ModelManager::list() const {
  std::lock_guard lock(mutex_);
  std::vector<ModelInfo> out;
  out.reserve(entries_.size());
  for (const auto& entry : entries_) out.push_back(info_locked(*entry));
  return out;
}

int64_t ModelManager::committed_bytes() const {
  std::lock_guard lock(mutex_);
  int64_t n_bytes = 0;
  for (const Entry* entry : all_entries_locked()) {
    if (entry->served || entry->loading) n_bytes += entry->planned_bytes();
  }
  return n_bytes;
}

void ModelManager::retire_locked(const EntryPtr& entry) {
  entry->retired = true;
  if ((entry->served || entry->loading || entry->queued) && !entry->awaiting_unload) {
    entry->awaiting_unload = true;
    retired_.push_back(entry);
  }
  loader_cv_.notify_all();  // the loader unloads it once idle
}

std::vector<std::unique_ptr<ServedModel>> ModelManager::sweep_retired_locked() {
  std::vector<std::unique_ptr<ServedModel>> unloaded;
  std::erase_if(retired_, [&](const EntryPtr& entry) {
    if (entry->n_active > 0 || entry->loading || entry->queued) return false;
    if (entry->file_overwritten && !entry->overwrite_stopped && entry->served) return false;
    if (entry->served) unloaded.push_back(entry->unload());
    entry->awaiting_unload = false;
    return true;
  });
  return unloaded;
}

void ModelManager::on_file_overwritten(const std::weak_ptr<Entry>& weak_entry) {
  std::lock_guard lock(mutex_);
  EntryPtr entry = weak_entry.lock();
  if (!entry || entry->file_overwritten) return;
  entry->file_overwritten = true;
  overwritten_.push_back(std::move(entry));
  loader_cv_.notify_all();
}

void ModelManager::stop_overwritten(std::unique_lock<std::mutex>& lock, const EntryPtr& entry) {
  if (entry->served) {
    const std::string reason = "the model file " + entry->path + " is being overwritten; retry the request";
    notice("model '" + entry->id + "': " + entry->path +
           " is being opened for writing: its requests are cancelled and it is unloaded, then loaded again "
           "from the new file on next use");
    infer::Engine* engine = entry->served->engine.get();
    ++entry->n_active;  // keeps it loaded (and `engine` alive) while the lock is released
    lock.unlock();
    engine->drain(0, reason);  // returns once the engine no longer touches the weights
    lock.lock();
    --entry->n_active;
  }
  // Without a model (a load under way discards its result, see loader_loop)
  // there is nothing to stop.
  entry->overwrite_stopped = true;
  if (entry->served && !entry->awaiting_unload) {
    entry->awaiting_unload = true;
    retired_.push_back(entry);
  }
}

Result<ModelManager::EntryPtr> ModelManager::replan(const EntryPtr& stale) {
  std::lock_guard rescan_lock(rescan_mutex_);
  HEARTH_ASSIGN_OR_RETURN(EntryPtr fresh, plan_entry(stale->path, !dir_.empty()));
  std::lock_guard lock(mutex_);
  auto it = std::find(entries_.begin(), entries_.end(), stale);
  if (it == entries_.end()) {
    // Replaced or removed by a rescan meanwhile: whatever is listed now wins.
    EntryPtr listed = find_locked(stale->id);
    if (!listed) return not_found_error("The model '" + stale->id + "' does not exist");
    return listed;
  }
  retire_locked(stale);
  *it = fresh;
  return fresh;
}

Result<std::unique_ptr<ServedModel>> ModelManager::load_entry(const EntryPtr& entry) {
  if (entry->builtin != nullptr) {
    auto served = std::make_unique<ServedModel>();
    served->id = entry->id;
    served->path = entry->path;
    auto engine = entry->builtin->start();
    if (!engine.ok()) {
      return Status(engine.status().code(),
                    "cannot start the built-in model '" + entry->id + "': " + engine.status().message());
    }
    served->engine = std::move(engine).value();
    return served;
  }
  std::optional<ExternalEngineStart> external;
  if (entry->external) {
    external.emplace();
    external->config = *entry->external;
    external->plan = entry->plan;
    external->n_ctx = entry->n_ctx;
    external->n_parallel = static_cast<int32_t>(entry->plan_settings.n_parallel);
    external->capabilities = entry->capabilities;
  }
  auto served = load_served_model(
      entry->id, entry->path, options_.load,
      [this, weak_entry = std::weak_ptr<Entry>(entry)] { on_file_overwritten(weak_entry); },
      external ? &*external : nullptr);
  if (served.ok() && entry->external) {
    // An external engine's runtime is measured at start: where it holds more
    // than planned, the budget counts what it holds from now on.
    const int64_t held_bytes = (*served)->engine->memory().total_bytes();
    std::lock_guard lock(mutex_);
    if (held_bytes > entry->plan.total_bytes()) {
      const int64_t planned_bytes = entry->plan.total_bytes();
      entry->plan.overhead_bytes += held_bytes - planned_bytes;
      notice("model '" + entry->id + "': its engine process holds " + format_byte_size(held_bytes) +
             ", more than the " + format_byte_size(planned_bytes) + " planned; the budget counts " +
             format_byte_size(held_bytes) + " for it from now on");
    }
  }
  return served;
}

Status ModelManager::rescan() {
  if (dir_.empty()) return ok_status();
  std::lock_guard rescan_lock(rescan_mutex_);
  HEARTH_ASSIGN_OR_RETURN(std::vector<ScannedModelFile> scanned, scan_model_files(dir_));

  // What the list holds now: only new and changed files are planned (outside
  // mutex_; rescan_mutex_ keeps the list from changing meanwhile).
  struct Known {
    std::string path;
    FileIdentity identity;
    std::string invalid_reason;
    bool being_written = false;
  };
  std::map<std::string, Known, std::less<>> known;
  {
    std::lock_guard lock(mutex_);
    for (const auto& entry : entries_) {
      known[entry->id] = {entry->path, entry->identity, entry->invalid_reason, entry->being_written};
    }
  }
  std::vector<EntryPtr> fresh;
  std::set<std::string, std::less<>> present;
  for (const ScannedModelFile& file : scanned) {
    if (is_builtin_id(file.id)) continue;  // said once, at start
    present.insert(file.id);
    if (auto it = known.find(file.id); it != known.end()) {
      const Known& was = it->second;
      // A file planned while it was being written is planned again: its writer
      // may have finished without changing what stat() shows.
      const bool same = was.path == file.path && was.identity == file.identity && !was.being_written &&
                        (file.problem.empty() || was.invalid_reason == file.problem);
      if (same) continue;
    }
    if (!file.problem.empty()) {
      auto entry = std::make_shared<Entry>();
      entry->id = file.id;
      entry->path = file.path;
      entry->invalid_reason = file.problem;
      fresh.push_back(std::move(entry));
      continue;
    }
    Result<EntryPtr> entry = plan_entry(file.path, true);
    if (entry.ok()) fresh.push_back(std::move(entry).value());
  }

  std::vector<std::string> lines;
  {
    std::lock_guard lock(mutex_);
    for (EntryPtr& entry : fresh) {
      const std::string what = entry->invalid_reason.empty()
                                   ? "model '" + entry->id + "' from " + entry->path
                                   : "model '" + entry->id + "' is invalid and not served: " + entry->invalid_reason;
      auto it = std::lower_bound(entries_.begin(), entries_.end(), entry->id,
                                 [](const auto& listed, std::string_view key) { return listed->id < key; });
      if (it != entries_.end() && (*it)->id == entry->id) {
        retire_locked(*it);
        lines.push_back("models directory: " + entry->path + " changed: " + what +
                        ((*it)->served ? " (the loaded model unloads once idle)" : ""));
        *it = std::move(entry);
      } else {
        lines.push_back("models directory: new " + what);
        entries_.insert(it, std::move(entry));
      }
    }
    std::erase_if(entries_, [&](const EntryPtr& entry) {
      if (entry->builtin != nullptr || present.contains(entry->id)) return false;
      lines.push_back("models directory: " + entry->path + " is gone: model '" + entry->id + "' is no longer served" +
                      (entry->served ? " (the loaded model unloads once idle)" : ""));
      retire_locked(entry);
      return true;
    });
  }
  for (const std::string& line : lines) notice(line);
  return ok_status();
}
Status ModelManager::cannot_fit_error(const Entry& entry) const {
  const planner::MemoryPlan& plan = entry.plan;
  const planner::PlanSettings& settings = entry.plan_settings;
  const int64_t budget = options_.budget_bytes;
  if (entry.builtin != nullptr) {
    return failed_precondition_error("The built-in model '" + entry.id + "' needs " +
                                     format_byte_size(plan.total_bytes()) + " (estimated: weights " +
                                     format_byte_size(plan.weights_bytes) + ", scratch " +
                                     format_byte_size(plan.scratch_bytes) + ") but this node's model memory budget is " +
                                     format_byte_size(budget) + ". Raise the budget or lower its limits.");
  }
  std::string message = "The model '" + entry.id + "' needs " + format_byte_size(plan.total_bytes()) + " (weights " +
                        format_byte_size(plan.weights_bytes) + ", KV cache " + format_byte_size(plan.kv_bytes) +
                        " for " + std::to_string(plan.kv_pool_tokens) + " positions, scratch " +
                        format_byte_size(plan.scratch_bytes) + ", runtime " + format_byte_size(plan.overhead_bytes) +
                        ") but this node's model memory budget is " + format_byte_size(budget) + ".";
  std::vector<std::string> options;
  if (entry.whisper) {
    return failed_precondition_error(message + " Serve it on a larger machine or raise the budget.");
  }
  // Shorter context, same sequences (the pool follows the context unless its size was fixed).
  planner::PlanSettings by_context = settings;
  by_context.kv_pool_tokens = 0;
  const int64_t n_ctx_fit =
      planner::max_context_that_fits(entry.config, plan.weights_bytes, by_context, budget, entry.n_ctx - 1);
  if (n_ctx_fit >= 256) {
    options.push_back("a context of " + std::to_string(n_ctx_fit) + " tokens with " +
                      std::to_string(settings.n_parallel) + " parallel sequences");
  }
  // Fewer sequences, same context.
  for (int64_t n_parallel = settings.n_parallel - 1; n_parallel >= 1; --n_parallel) {
    planner::PlanSettings by_parallel = settings;
    by_parallel.n_parallel = n_parallel;
    by_parallel.kv_pool_tokens = 0;
    if (planner::plan_memory(entry.config, plan.weights_bytes, by_parallel).total_bytes() <= budget) {
      options.push_back(std::to_string(n_parallel) + " parallel sequence" + (n_parallel == 1 ? "" : "s") +
                        " at a context of " + std::to_string(entry.n_ctx) + " tokens");
      break;
    }
  }
  // A smaller quantization of the same model at the same settings.
  if (auto quant = planner::best_quant_that_fits(entry.config, settings, budget);
      quant && quant->weights_bytes < plan.weights_bytes) {
    options.push_back("a " + std::string(model::file_type_name(quant->file_type)) + " file of this model (" +
                      format_byte_size(quant->weights_bytes) + " of weights) at these settings");
  }
  if (options.empty()) {
    message += " Nothing smaller fits either: serve it on a larger machine or raise the budget.";
  } else {
    message += " It would fit with ";
    for (size_t option_idx = 0; option_idx < options.size(); ++option_idx) {
      if (option_idx > 0) message += option_idx + 1 == options.size() ? ", or " : ", ";
      message += options[option_idx];
    }
    message += ".";
  }
  return failed_precondition_error(std::move(message));
}

void ModelManager::acquire_async(std::string_view id, std::optional<int64_t> keep_alive_ms, AcquireCallback done) {
  std::unique_lock lock(mutex_);
  EntryPtr entry = find_locked(id);
  if (!entry && !dir_.empty()) {
    // Perhaps pulled into the directory since the last scan. A directory that
    // cannot be read leaves the list as it was: the answer is then kNotFound.
    lock.unlock();
    const Status scanned = rescan();
    if (!scanned.ok()) notice("models directory: " + scanned.message());
    lock.lock();
    entry = find_locked(id);
  }
  if (!entry) {
    lock.unlock();
    done(not_found_error("The model '" + std::string(id) + "' does not exist"));
    return;
  }
  if (stopping_) {
    lock.unlock();
    done(unavailable_error("The server is shutting down"));
    return;
  }
  if (entry->file_overwritten || entry->being_written) {
    if (entry->served || entry->loading) {
      lock.unlock();
      done(unavailable_error("The model file " + entry->path + " is being overwritten; retry the request"));
      return;
    }
    // Unloaded, and the writer let in (or planned while a writer had it open):
    // plan the new contents (its header alone) before loading them.
    const EntryPtr stale = entry;
    lock.unlock();
    Result<EntryPtr> replanned = replan(stale);
    if (!replanned.ok()) {
      done(replanned.status());
      return;
    }
    lock.lock();
    entry = *replanned;
    if (stopping_ || entry->file_overwritten) {
      Status error =
          unavailable_error(stopping_ ? "The server is shutting down"
                                      : "The model file " + entry->path + " is being overwritten; retry the request");
      lock.unlock();
      done(std::move(error));
      return;
    }
  }
  if (!entry->invalid_reason.empty()) {
    const std::string why = "The model '" + entry->id + "' cannot be served: " + entry->invalid_reason;
    // A copy still under way is worth a retry (503); a broken file is not (500).
    Status error = entry->being_written ? unavailable_error(why) : data_loss_error(why);
    lock.unlock();
    done(std::move(error));
    return;
  }
  if (entry->planned_bytes() > options_.budget_bytes) {
    Status error = cannot_fit_error(*entry);
    lock.unlock();
    done(std::move(error));
    return;
  }
  // The latest request's keep-alive wins, as in Ollama.
  entry->keep_alive_in_force_ms = keep_alive_ms.value_or(entry->keep_alive_ms);
  if (entry->served) {
    ++entry->n_active;
    entry->idle_since_ms = -1;
    entry->last_used_unix_ms = unix_now_ms();
    ModelLease lease(this, entry, entry->served.get());
    lock.unlock();
    done(std::move(lease));
    return;
  }
  entry->waiters.push_back(std::move(done));
  if (!entry->queued && !entry->loading) {
    entry->queued = true;
    load_queue_.push_back(entry);
    loader_cv_.notify_all();
  }
}

Result<ModelLease> ModelManager::acquire(std::string_view id, std::optional<int64_t> keep_alive_ms) {
  std::promise<Result<ModelLease>> promise;
  std::future<Result<ModelLease>> future = promise.get_future();
  acquire_async(id, keep_alive_ms, [&promise](Result<ModelLease> result) { promise.set_value(std::move(result)); });
  return future.get();
}

void ModelManager::release(const EntryPtr& entry) {
  std::lock_guard lock(mutex_);
  --entry->n_active;
  entry->last_used_unix_ms = unix_now_ms();
  if (entry->n_active == 0) entry->idle_since_ms = now_ms();
  // A waiting load may fit now, this one expires, or a retired one unloads.
  loader_cv_.notify_all();
}

void ModelManager::fail_waiters(std::unique_lock<std::mutex>& lock, Entry& entry, const Status& status) {
  std::vector<AcquireCallback> waiters = std::move(entry.waiters);
  entry.waiters.clear();
  lock.unlock();
  for (AcquireCallback& waiter : waiters) waiter(status);
  lock.lock();
}

Status ModelManager::make_room(std::unique_lock<std::mutex>& lock, Entry& wanted,
                               std::vector<std::unique_ptr<ServedModel>>* unloaded) {
  const int64_t deadline_ms = now_ms() + std::max<int64_t>(0, options_.load_wait_ms);
  while (true) {
    if (stopping_) return unavailable_error("The server is shutting down");
    // Walked afresh each time: a rescan may change the list while this waits.
    const std::vector<Entry*> all = all_entries_locked();
    int64_t committed = 0;
    for (const Entry* entry : all) {
      if (entry->served || entry->loading) committed += entry->planned_bytes();
    }
    // Evict idle, unpinned models, least recently used first, until it fits.
    while (committed + wanted.planned_bytes() > options_.budget_bytes) {
      Entry* victim = nullptr;
      for (Entry* entry : all) {
        if (!entry->served || entry->pinned || entry->n_active > 0) continue;
        if (victim == nullptr || entry->idle_since_ms < victim->idle_since_ms) victim = entry;
      }
      if (victim == nullptr) break;
      committed -= victim->planned_bytes();
      ++victim->n_evictions;
      unloaded->push_back(victim->unload());
    }
    if (committed + wanted.planned_bytes() <= options_.budget_bytes) return ok_status();
    const int64_t now = now_ms();
    if (now >= deadline_ms) {
      std::string busy;
      for (const Entry* entry : all) {
        if (!entry->served) continue;
        if (!busy.empty()) busy += ", ";
        busy += "'" + entry->id + "' (" + format_byte_size(entry->planned_bytes()) +
                (entry->pinned ? ", pinned)" : ", in use)");
      }
      return unavailable_error("The model '" + wanted.id + "' needs " + format_byte_size(wanted.planned_bytes()) +
                               " and the models in memory (" + busy + ") leave " +
                               format_byte_size(options_.budget_bytes - committed) + " of the " +
                               format_byte_size(options_.budget_bytes) + " budget; they stayed busy for " +
                               std::to_string(options_.load_wait_ms / 1000) + " s. Try again later");
    }
    // Unload what was evicted so far before waiting (their memory is free sooner).
    if (!unloaded->empty()) {
      lock.unlock();
      unloaded->clear();
      lock.lock();
      continue;
    }
    wanted.waiting_for_room = true;
    loader_cv_.wait_for(lock, std::chrono::milliseconds(std::min<int64_t>(deadline_ms - now, 1000)));
  }
}

ModelManager::EntryPtr ModelManager::next_load_locked() {
  if (load_queue_.empty()) return nullptr;
  EntryPtr entry = std::move(load_queue_.front());
  load_queue_.pop_front();
  entry->queued = false;
  return entry;
}

int32_t ModelManager::unload_expired() {
  std::vector<std::unique_ptr<ServedModel>> unloaded;
  {
    std::lock_guard lock(mutex_);
    const int64_t now = now_ms();
    for (Entry* entry : all_entries_locked()) {
      if (!entry->served || entry->pinned || entry->n_active > 0 || entry->keep_alive_in_force_ms < 0) continue;
      if (now - entry->idle_since_ms < entry->keep_alive_in_force_ms) continue;
      unloaded.push_back(entry->unload());
    }
  }
  return static_cast<int32_t>(unloaded.size());  // destroyed here, outside the lock
}

void ModelManager::loader_loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    // Models of removed or replaced files whose last lease ended: unloaded
    // here rather than on the thread that ended the lease.
    if (!overwritten_.empty()) {
      EntryPtr entry = std::move(overwritten_.front());
      overwritten_.pop_front();
      stop_overwritten(lock, entry);
      continue;
    }
    if (std::vector<std::unique_ptr<ServedModel>> swept = sweep_retired_locked(); !swept.empty()) {
      lock.unlock();
      swept.clear();
      lock.lock();
      continue;
    }
    if (EntryPtr entry = next_load_locked()) {
      if (entry->served) {
        // Loaded meanwhile (pinned at start, or an earlier queue entry): hand out leases.
        std::vector<AcquireCallback> waiters = std::move(entry->waiters);
        entry->waiters.clear();
        entry->n_active += static_cast<int32_t>(waiters.size());
        if (!waiters.empty()) {
          entry->idle_since_ms = -1;
          entry->last_used_unix_ms = unix_now_ms();
        }
        const ServedModel* served = entry->served.get();
        lock.unlock();
        for (AcquireCallback& waiter : waiters) waiter(ModelLease(this, entry, served));
        lock.lock();
        continue;
      }
      std::vector<std::unique_ptr<ServedModel>> unloaded;
      Status room = make_room(lock, *entry, &unloaded);
      entry->waiting_for_room = false;
      if (!room.ok()) {
        lock.unlock();
        unloaded.clear();
        lock.lock();
        fail_waiters(lock, *entry, room);
        continue;
      }
      entry->loading = true;
      lock.unlock();
      unloaded.clear();  // unmapped before the new model maps
      const auto t_load_start = std::chrono::steady_clock::now();
      Result<std::unique_ptr<ServedModel>> served = load_entry(entry);
      const int64_t load_ms = elapsed_ms(t_load_start);
      lock.lock();
      entry->loading = false;
      if (served.ok() && entry->file_overwritten) {
        // A writer opened the file while it loaded: let it in, and the next request loads the new file.
        lock.unlock();
        served = unavailable_error("the model file " + entry->path + " is being overwritten; retry the request");
        lock.lock();
      }
      if (!served.ok()) {
        fail_waiters(lock, *entry, served.status());
        continue;
      }
      entry->served = std::move(served).value();
      ++entry->n_loads;
      entry->load_ms = std::max<int64_t>(1, load_ms);
      entry->queued = true;
      load_queue_.push_front(std::move(entry));  // the branch above hands out the leases
      continue;
    }
    // Nothing to load: sleep until a request comes or the first idle model expires.
    const int64_t now = now_ms();
    int64_t wake_in_ms = std::numeric_limits<int64_t>::max();
    for (const Entry* entry : all_entries_locked()) {
      if (!entry->served || entry->pinned || entry->n_active > 0 || entry->keep_alive_in_force_ms < 0) continue;
      wake_in_ms = std::min(wake_in_ms, entry->idle_since_ms + entry->keep_alive_in_force_ms - now);
    }
    if (wake_in_ms <= 0) {
      lock.unlock();
      unload_expired();
      lock.lock();
      continue;
    }
    // Capped so an injected clock that jumps is noticed within a second.
    loader_cv_.wait_for(lock, std::chrono::milliseconds(std::min<int64_t>(wake_in_ms, 1000)));
  }
  // Stopping: fail every pending acquire.
  while (EntryPtr entry = next_load_locked()) {
    fail_waiters(lock, *entry, unavailable_error("The server is shutting down"));
  }
}

int32_t ModelManager::drain(int64_t timeout_ms) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !loader_.joinable()) return 0;
    stopping_ = true;
    loader_cv_.notify_all();
  }
  if (loader_.joinable()) loader_.join();
  // One thread per resident model, so every engine stops admitting at once
  // and all share the same deadline. Leases still held keep their model
  // resident; the engines finish or cancel their requests.
  std::vector<infer::Engine*> engines;
  {
    std::lock_guard lock(mutex_);
    for (const Entry* entry : all_entries_locked()) {
      if (entry->served) engines.push_back(entry->served->engine.get());
    }
  }
  std::atomic<int32_t> n_cancelled{0};
  std::vector<std::thread> drainers;
  drainers.reserve(engines.size());
  for (infer::Engine* engine : engines) {
    drainers.emplace_back([engine, timeout_ms, &n_cancelled] {
      n_cancelled += engine->drain(timeout_ms, "the server is shutting down");
    });
  }
  for (std::thread& drainer : drainers) drainer.join();
  return n_cancelled.load();
}

}  // namespace hearth::node
