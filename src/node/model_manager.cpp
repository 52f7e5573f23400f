#include "node/model_manager.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <limits>
#include <thread>

#include "base/byte_size.h"
#include "model/file_type.h"
#include "model/gguf.h"
#include "node/model_files.h"
#include "planner/fit_search.h"

namespace hearth::node {

struct ModelManager::Entry {
  // Immutable after create().
  std::string id;
  std::string path;
  int64_t created_s = 0;
  model::LlamaConfig config;
  planner::PlanSettings plan_settings;
  planner::MemoryPlan plan;
  int64_t n_ctx = 0;
  bool pinned = false;
  int64_t keep_alive_ms = kDefaultKeepAliveMs;  // configured

  // Guarded by ModelManager::mutex_.
  std::unique_ptr<ServedModel> served;
  bool loading = false;
  bool queued = false;
  int32_t n_active = 0;
  int64_t keep_alive_in_force_ms = kDefaultKeepAliveMs;
  int64_t idle_since_ms = -1;  // monotonic; -1 while in use or never loaded
  int64_t last_used_unix_ms = 0;
  int64_t n_loads = 0;
  int64_t load_ms = 0;
  std::optional<infer::SchedulerStats> last_stats;  // at the last unload
  std::vector<AcquireCallback> waiters;

  int64_t planned_bytes() const { return plan.total_bytes(); }

  // Takes the model out (the caller destroys it outside the manager's lock),
  // keeping its engine's counters for status.
  std::unique_ptr<ServedModel> unload() {
    last_stats = served->scheduler->stats();
    idle_since_ms = -1;
    return std::move(served);
  }
};

namespace {

int64_t unix_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

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
    : manager_(std::exchange(other.manager_, nullptr)), entry_idx_(other.entry_idx_), served_(other.served_) {}

ModelLease& ModelLease::operator=(ModelLease&& other) noexcept {
  if (this != &other) {
    release();
    manager_ = std::exchange(other.manager_, nullptr);
    entry_idx_ = other.entry_idx_;
    served_ = other.served_;
  }
  return *this;
}

ModelLease::~ModelLease() { release(); }

void ModelLease::release() {
  if (manager_ != nullptr) std::exchange(manager_, nullptr)->release(entry_idx_);
}

// ---- ModelManager ----

ModelManager::ModelManager(ModelManagerOptions&& options) : options_(std::move(options)) {
  if (!options_.now_ms) {
    options_.now_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
    };
  }
}

Result<std::unique_ptr<ModelManager>> ModelManager::create(std::span<const std::string> paths,
                                                           ModelManagerOptions&& options) {
  if (options.budget_bytes <= 0) return invalid_argument_error("the model memory budget must be positive");
  std::unique_ptr<ModelManager> manager(new ModelManager(std::move(options)));
  const ModelManagerOptions& opts = manager->options_;
  for (const std::string& path : paths) {
    auto entry = std::make_unique<Entry>();
    entry->id = model_id_from_path(path);
    entry->path = path;
    for (const auto& other : manager->entries_) {
      if (other->id == entry->id) {
        return invalid_argument_error("two model files give the id '" + entry->id + "': " + other->path + " and " +
                                      path);
      }
    }
    // The header alone: mapping is cheap, and a file that cannot be served is
    // refused now rather than at its first request.
    auto file = model::GgufFile::open(path);
    if (!file.ok()) return Status(file.status().code(), "cannot load " + path + ": " + file.status().message());
    auto config = model::read_llama_config(*file);
    if (!config.ok()) return Status(config.status().code(), "cannot load " + path + ": " + config.status().message());
    auto weights = model::bind_llama_weights(*file, *config);
    if (!weights.ok()) {
      return Status(weights.status().code(), "cannot load " + path + ": " + weights.status().message());
    }
    entry->config = *config;
    entry->created_s = file_modification_time_s(path);
    entry->n_ctx = serving_context(entry->config, opts.load);
    entry->plan_settings = plan_settings_for(opts.load, entry->n_ctx);
    HEARTH_RETURN_IF_ERROR(planner::validate_settings(entry->plan_settings));
    entry->plan = planner::plan_memory(entry->config, planner::file_weights_bytes(*file), entry->plan_settings);
    entry->keep_alive_ms = opts.default_keep_alive_ms;
    if (auto it = opts.settings.find(entry->id); it != opts.settings.end()) {
      entry->pinned = it->second.pinned;
      if (it->second.keep_alive_ms) entry->keep_alive_ms = *it->second.keep_alive_ms;
    }
    entry->keep_alive_in_force_ms = entry->keep_alive_ms;
    manager->entries_.push_back(std::move(entry));
  }
  std::sort(manager->entries_.begin(), manager->entries_.end(),
            [](const auto& lhs, const auto& rhs) { return lhs->id < rhs->id; });
  for (const auto& [id, settings] : opts.settings) {
    if (!manager->contains(id)) {
      return invalid_argument_error("the settings name the model '" + id + "', which is not among the served files");
    }
  }

  // Pinned models load now: a node that cannot hold what it was told to keep
  // should say so at start, not at the first request.
  int64_t pinned_bytes = 0;
  for (const auto& entry : manager->entries_) {
    if (!entry->pinned) continue;
    if (entry->planned_bytes() > opts.budget_bytes) return manager->cannot_fit_error(*entry);
    pinned_bytes += entry->planned_bytes();
    if (pinned_bytes > opts.budget_bytes) {
      return invalid_argument_error("the pinned models need " + format_byte_size(pinned_bytes) +
                                    " together, more than the model memory budget of " +
                                    format_byte_size(opts.budget_bytes));
    }
    const auto t_load_start = std::chrono::steady_clock::now();
    auto served = load_served_model(entry->id, entry->path, opts.load);
    if (!served.ok()) return served.status();
    entry->served = std::move(served).value();
    entry->n_loads = 1;
    entry->load_ms = std::max<int64_t>(1, elapsed_ms(t_load_start));
    entry->idle_since_ms = manager->now_ms();
  }
  manager->loader_ = std::thread([raw = manager.get()] { raw->loader_loop(); });
  return manager;
}

ModelManager::~ModelManager() {
  bool drained = false;
  {
    std::lock_guard lock(mutex_);
    drained = stopping_;
  }
  if (!drained) drain(0);
}

int64_t ModelManager::now_ms() const { return options_.now_ms(); }

std::optional<size_t> ModelManager::find_entry(std::string_view id) const {
  auto it = std::lower_bound(entries_.begin(), entries_.end(), id,
                             [](const auto& entry, std::string_view key) { return entry->id < key; });
  if (it == entries_.end() || (*it)->id != id) return std::nullopt;
  return static_cast<size_t>(it - entries_.begin());
}

bool ModelManager::contains(std::string_view id) const { return find_entry(id).has_value(); }

ModelInfo ModelManager::info_locked(const Entry& entry) const {
  ModelInfo info;
  info.id = entry.id;
  info.path = entry.path;
  info.created_s = entry.created_s;
  info.n_ctx = entry.n_ctx;
  info.plan = entry.plan;
  info.fits_budget = entry.planned_bytes() <= options_.budget_bytes;
  info.resident = entry.served != nullptr;
  info.loading = entry.loading;
  info.pinned = entry.pinned;
  info.n_active = entry.n_active;
  info.keep_alive_ms = entry.keep_alive_in_force_ms;
  info.idle_for_ms = entry.n_active == 0 && entry.idle_since_ms >= 0 ? now_ms() - entry.idle_since_ms : -1;
  info.last_used_unix_ms = entry.last_used_unix_ms;
  info.n_loads = entry.n_loads;
  info.load_ms = entry.load_ms;
  info.stats = entry.served ? std::optional(entry.served->scheduler->stats()) : entry.last_stats;
  return info;
}

std::optional<ModelInfo> ModelManager::info(std::string_view id) const {
  const std::optional<size_t> entry_idx = find_entry(id);
  if (!entry_idx) return std::nullopt;
  std::lock_guard lock(mutex_);
  return info_locked(*entries_[*entry_idx]);
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
  for (const auto& entry : entries_) {
    if (entry->served || entry->loading) n_bytes += entry->planned_bytes();
  }
  return n_bytes;
}

Status ModelManager::cannot_fit_error(const Entry& entry) const {
  const planner::MemoryPlan& plan = entry.plan;
  const planner::PlanSettings& settings = entry.plan_settings;
  const int64_t budget = options_.budget_bytes;
  std::string message = "The model '" + entry.id + "' needs " + format_byte_size(plan.total_bytes()) + " (weights " +
                        format_byte_size(plan.weights_bytes) + ", KV cache " + format_byte_size(plan.kv_bytes) +
                        " for " + std::to_string(plan.kv_pool_tokens) + " positions, scratch " +
                        format_byte_size(plan.scratch_bytes) + ", runtime " + format_byte_size(plan.overhead_bytes) +
                        ") but this node's model memory budget is " + format_byte_size(budget) + ".";
  std::vector<std::string> options;
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
  const std::optional<size_t> found = find_entry(id);
  if (!found) {
    done(not_found_error("The model '" + std::string(id) + "' does not exist"));
    return;
  }
  const size_t entry_idx = *found;
  std::unique_lock lock(mutex_);
  Entry& entry = *entries_[entry_idx];
  if (stopping_) {
    lock.unlock();
    done(unavailable_error("The server is shutting down"));
    return;
  }
  if (entry.planned_bytes() > options_.budget_bytes) {
    Status error = cannot_fit_error(entry);
    lock.unlock();
    done(std::move(error));
    return;
  }
  // The latest request's keep-alive wins, as in Ollama.
  entry.keep_alive_in_force_ms = keep_alive_ms.value_or(entry.keep_alive_ms);
  if (entry.served) {
    ++entry.n_active;
    entry.idle_since_ms = -1;
    entry.last_used_unix_ms = unix_now_ms();
    ModelLease lease(this, entry_idx, entry.served.get());
    lock.unlock();
    done(std::move(lease));
    return;
  }
  entry.waiters.push_back(std::move(done));
  if (!entry.queued && !entry.loading) {
    entry.queued = true;
    load_queue_.push_back(entry_idx);
    loader_cv_.notify_all();
  }
}

Result<ModelLease> ModelManager::acquire(std::string_view id, std::optional<int64_t> keep_alive_ms) {
  std::promise<Result<ModelLease>> promise;
  std::future<Result<ModelLease>> future = promise.get_future();
  acquire_async(id, keep_alive_ms, [&promise](Result<ModelLease> result) { promise.set_value(std::move(result)); });
  return future.get();
}

void ModelManager::release(size_t entry_idx) {
  std::lock_guard lock(mutex_);
  Entry& entry = *entries_[entry_idx];
  --entry.n_active;
  entry.last_used_unix_ms = unix_now_ms();
  if (entry.n_active == 0) entry.idle_since_ms = now_ms();
  loader_cv_.notify_all();  // a waiting load may fit now, or this one expires
}

void ModelManager::fail_waiters(std::unique_lock<std::mutex>& lock, size_t entry_idx, const Status& status) {
  std::vector<AcquireCallback> waiters = std::move(entries_[entry_idx]->waiters);
  entries_[entry_idx]->waiters.clear();
  lock.unlock();
  for (AcquireCallback& waiter : waiters) waiter(status);
  lock.lock();
}

Status ModelManager::make_room(std::unique_lock<std::mutex>& lock, size_t entry_idx,
                               std::vector<std::unique_ptr<ServedModel>>* unloaded) {
  const Entry& wanted = *entries_[entry_idx];
  const int64_t deadline_ms = now_ms() + std::max<int64_t>(0, options_.load_wait_ms);
  while (true) {
    if (stopping_) return unavailable_error("The server is shutting down");
    int64_t committed = 0;
    for (const auto& entry : entries_) {
      if (entry->served || entry->loading) committed += entry->planned_bytes();
    }
    // Evict idle, unpinned models, least recently used first, until it fits.
    while (committed + wanted.planned_bytes() > options_.budget_bytes) {
      Entry* victim = nullptr;
      for (const auto& entry : entries_) {
        if (!entry->served || entry->pinned || entry->n_active > 0) continue;
        if (victim == nullptr || entry->idle_since_ms < victim->idle_since_ms) victim = entry.get();
      }
      if (victim == nullptr) break;
      committed -= victim->planned_bytes();
      unloaded->push_back(victim->unload());
    }
    if (committed + wanted.planned_bytes() <= options_.budget_bytes) return ok_status();
    const int64_t now = now_ms();
    if (now >= deadline_ms) {
      std::string busy;
      for (const auto& entry : entries_) {
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
    loader_cv_.wait_for(lock, std::chrono::milliseconds(std::min<int64_t>(deadline_ms - now, 1000)));
  }
}

std::optional<size_t> ModelManager::next_load_locked() {
  if (load_queue_.empty()) return std::nullopt;
  const size_t entry_idx = load_queue_.front();
  load_queue_.pop_front();
  entries_[entry_idx]->queued = false;
  return entry_idx;
}

int32_t ModelManager::unload_expired() {
  std::vector<std::unique_ptr<ServedModel>> unloaded;
  {
    std::lock_guard lock(mutex_);
    const int64_t now = now_ms();
    for (const auto& entry : entries_) {
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
    if (std::optional<size_t> entry_idx = next_load_locked()) {
      Entry& entry = *entries_[*entry_idx];
      if (entry.served) {
        // Loaded meanwhile (pinned at start, or an earlier queue entry): hand out leases.
        std::vector<AcquireCallback> waiters = std::move(entry.waiters);
        entry.waiters.clear();
        entry.n_active += static_cast<int32_t>(waiters.size());
        if (!waiters.empty()) {
          entry.idle_since_ms = -1;
          entry.last_used_unix_ms = unix_now_ms();
        }
        const ServedModel* served = entry.served.get();
        lock.unlock();
        for (AcquireCallback& waiter : waiters) waiter(ModelLease(this, *entry_idx, served));
        lock.lock();
        continue;
      }
      std::vector<std::unique_ptr<ServedModel>> unloaded;
      Status room = make_room(lock, *entry_idx, &unloaded);
      if (!room.ok()) {
        lock.unlock();
        unloaded.clear();
        lock.lock();
        fail_waiters(lock, *entry_idx, room);
        continue;
      }
      entry.loading = true;
      lock.unlock();
      unloaded.clear();  // unmapped before the new model maps
      const auto t_load_start = std::chrono::steady_clock::now();
      Result<std::unique_ptr<ServedModel>> served = load_served_model(entry.id, entry.path, options_.load);
      const int64_t load_ms = elapsed_ms(t_load_start);
      lock.lock();
      entry.loading = false;
      if (!served.ok()) {
        fail_waiters(lock, *entry_idx, served.status());
        continue;
      }
      entry.served = std::move(served).value();
      ++entry.n_loads;
      entry.load_ms = std::max<int64_t>(1, load_ms);
      load_queue_.push_front(*entry_idx);  // the branch above hands out the leases
      entry.queued = true;
      continue;
    }
    // Nothing to load: sleep until a request comes or the first idle model expires.
    const int64_t now = now_ms();
    int64_t wake_in_ms = std::numeric_limits<int64_t>::max();
    for (const auto& entry : entries_) {
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
  while (std::optional<size_t> entry_idx = next_load_locked()) {
    fail_waiters(lock, *entry_idx, unavailable_error("The server is shutting down"));
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
  // One thread per resident model, so every scheduler stops admitting at once
  // and all share the same deadline. Leases still held keep their model
  // resident; the schedulers finish or cancel their sequences.
  std::vector<infer::Scheduler*> schedulers;
  {
    std::lock_guard lock(mutex_);
    for (const auto& entry : entries_) {
      if (entry->served) schedulers.push_back(entry->served->scheduler.get());
    }
  }
  std::atomic<int32_t> n_cancelled{0};
  std::vector<std::thread> drainers;
  drainers.reserve(schedulers.size());
  for (infer::Scheduler* scheduler : schedulers) {
    drainers.emplace_back([scheduler, timeout_ms, &n_cancelled] { n_cancelled += scheduler->drain(timeout_ms); });
  }
  for (std::thread& drainer : drainers) drainer.join();
  return n_cancelled.load();
}

}  // namespace hearth::node
