// ModelManager: the models a node can serve, loaded on demand and kept within
// a memory budget. Every model is planned (planner::plan_memory, from its GGUF
// header alone) when the manager is created; a model is loaded when a request
// needs it and unloaded when its keep-alive passes or another model needs the
// room (least recently used first, counted in bytes). Pinned models load at
// start and stay. A model whose plan exceeds the whole budget is refused before
// any load, with what would fit.
//
//   ModelManagerOptions options;
//   options.budget_bytes = int64_t{20} << 30;
//   HEARTH_ASSIGN_OR_RETURN(auto manager, ModelManager::create(paths, std::move(options)));
//   HEARTH_ASSIGN_OR_RETURN(ModelLease lease, manager->acquire("qwen2.5-0.5b", std::nullopt));
//   lease->scheduler->submit(...);   // the model stays loaded while the lease lives
//
// Thread-safety: every method may be called from any thread. A load runs on
// the manager's own loader thread, one at a time; acquire_async never blocks on
// it. The manager must outlive every lease.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/status.h"
#include "infer/scheduler.h"
#include "model/llama_arch.h"
#include "node/served_model.h"
#include "planner/memory_plan.h"

namespace hearth::node {

inline constexpr int64_t kDefaultKeepAliveMs = 5 * 60 * 1000;  // Ollama's default
inline constexpr int64_t kDefaultLoadWaitMs = 60 * 1000;

// Per-model settings from the config file.
struct ModelSettings {
  std::optional<int64_t> keep_alive_ms;  // negative: never unload when idle
  bool pinned = false;                   // loaded at start, never unloaded
};

struct ModelManagerOptions {
  ServedModelOptions load;  // context and engine limits of every model
  // Bytes every resident model's plan may add up to. Required (> 0).
  int64_t budget_bytes = 0;
  // How long an idle model stays loaded unless its settings or a request say
  // otherwise; negative: forever, 0: unload as soon as idle.
  int64_t default_keep_alive_ms = kDefaultKeepAliveMs;
  std::map<std::string, ModelSettings, std::less<>> settings;  // by model id
  // How long a load may wait for busy models to finish so that it fits; past
  // it the request fails with kUnavailable (HTTP 503, retry later).
  int64_t load_wait_ms = kDefaultLoadWaitMs;
  // A monotonic clock in milliseconds (tests inject one); default steady_clock.
  std::function<int64_t()> now_ms;
};

// What the manager knows about one model, for listings and status.
struct ModelInfo {
  std::string id;
  std::string path;
  int64_t created_s = 0;
  int64_t n_ctx = 0;         // the context it is (or would be) served with
  planner::MemoryPlan plan;  // its planned bytes at the manager's settings
  bool fits_budget = false;  // plan.total_bytes() <= budget
  bool resident = false;
  bool loading = false;
  bool pinned = false;
  int32_t n_active = 0;           // leases held now
  int64_t keep_alive_ms = 0;      // in force after its last request
  int64_t idle_for_ms = -1;       // since its last lease ended; -1: in use or never used
  int64_t last_used_unix_ms = 0;  // wall clock of its last lease's end or start; 0: never
  int64_t n_loads = 0;
  int64_t load_ms = 0;  // how long its last load took; 0: never loaded
  // The engine's counters and measured rates: live while resident, else as
  // they were when it was last unloaded (nullopt: never loaded).
  std::optional<infer::SchedulerStats> stats;
};

class ModelManager;

// Keeps one model resident (not evictable) while it lives. Movable.
class ModelLease {
 public:
  ModelLease() = default;
  ModelLease(ModelLease&& other) noexcept;
  ModelLease& operator=(ModelLease&& other) noexcept;
  ModelLease(const ModelLease&) = delete;
  ModelLease& operator=(const ModelLease&) = delete;
  ~ModelLease();

  const ServedModel& operator*() const { return *served_; }
  const ServedModel* operator->() const { return served_; }
  const ServedModel* get() const { return served_; }
  // Ends the lease now (the destructor's job).
  void release();

 private:
  friend class ModelManager;
  ModelLease(ModelManager* manager, size_t entry_idx, const ServedModel* served)
      : manager_(manager), entry_idx_(entry_idx), served_(served) {}

  ModelManager* manager_ = nullptr;
  size_t entry_idx_ = 0;
  const ServedModel* served_ = nullptr;
};

class ModelManager {
 public:
  // Reads every file's header (a file that is not a servable GGUF fails the
  // call, naming it), plans it, loads the pinned models and starts the loader
  // thread. kInvalidArgument for two files with one id, settings naming no
  // model, a non-positive budget, or pinned models that together exceed it.
  static Result<std::unique_ptr<ModelManager>> create(std::span<const std::string> paths,
                                                      ModelManagerOptions&& options);

  ModelManager(const ModelManager&) = delete;
  ModelManager& operator=(const ModelManager&) = delete;
  // Drains (with no wait) if drain() was not called.
  ~ModelManager();

  bool contains(std::string_view id) const;
  // nullopt when no model has this id.
  std::optional<ModelInfo> info(std::string_view id) const;
  // Every model, sorted by id.
  std::vector<ModelInfo> list() const;
  int64_t budget_bytes() const { return options_.budget_bytes; }
  // Planned bytes of the resident and loading models.
  int64_t committed_bytes() const;

  using AcquireCallback = std::function<void(Result<ModelLease>)>;
  // Calls `done` exactly once: at once on this thread when the model is
  // resident, else on the loader thread once it is loaded or failed.
  // keep_alive_ms (nullopt: the model's setting) applies after this lease ends,
  // as Ollama's keep_alive does. Errors: kNotFound (no such model),
  // kFailedPrecondition (it can never fit the budget; the message says what
  // would), kUnavailable (other models stayed busy for load_wait_ms, or the
  // manager is draining), and the load's own errors naming the file.
  void acquire_async(std::string_view id, std::optional<int64_t> keep_alive_ms, AcquireCallback done);
  // The same, blocking until done.
  Result<ModelLease> acquire(std::string_view id, std::optional<int64_t> keep_alive_ms);

  // Unloads every idle, unpinned model whose keep-alive has passed; returns
  // how many. The loader thread calls it when the first one is due.
  int32_t unload_expired();

  // Stops loading (pending acquires fail with kUnavailable), then drains every
  // resident model's scheduler at once, sharing one deadline (see
  // infer::Scheduler::drain); returns the sequences cancelled at the deadline.
  int32_t drain(int64_t timeout_ms);

 private:
  struct Entry;
  explicit ModelManager(ModelManagerOptions&& options);

  int64_t now_ms() const;
  void loader_loop();
  void release(size_t entry_idx);
  // Under mutex_: the pending load to run next, or nullopt.
  std::optional<size_t> next_load_locked();
  // Makes room for `entry_idx` by unloading idle models (into `unloaded`);
  // waits for busy ones up to load_wait_ms. Under `lock`.
  Status make_room(std::unique_lock<std::mutex>& lock, size_t entry_idx,
                   std::vector<std::unique_ptr<ServedModel>>* unloaded);
  Status cannot_fit_error(const Entry& entry) const;
  // The entry's index; nullopt when no model has this id. entries_ is
  // immutable after create(), so no lock.
  std::optional<size_t> find_entry(std::string_view id) const;
  ModelInfo info_locked(const Entry& entry) const;
  void fail_waiters(std::unique_lock<std::mutex>& lock, size_t entry_idx, const Status& status);

  friend class ModelLease;

  ModelManagerOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable loader_cv_;            // a load was queued, a lease ended, or stopping
  std::vector<std::unique_ptr<Entry>> entries_;  // sorted by id; the vector is immutable after create()
  std::deque<size_t> load_queue_;                // guarded by mutex_
  bool stopping_ = false;                        // guarded by mutex_
  std::thread loader_;
};

}  // namespace hearth::node
