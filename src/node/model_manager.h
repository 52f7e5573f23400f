// ModelManager: the models a node can serve, loaded on demand and kept within
// a memory budget. Every model is planned (planner::plan_memory, from its GGUF
// header alone) when the manager is created; a model is loaded when a request
// needs it and unloaded when its keep-alive passes or another model needs the
// room (least recently used first, counted in bytes). Pinned models load at
// start and stay. A model whose plan exceeds the whole budget is refused before
// any load, with what would fit.
//
// Served from a models directory (create_for_dir), the manager lists every
// entry named *.gguf: a file that is not a servable GGUF, a directory or a
// dangling link is listed as invalid (ModelInfo::invalid_reason) and requests
// for it fail naming why, while the others are served. rescan() picks up
// files added, removed or changed since (each file is stat()ed; only new or
// changed ones, by device, inode, size and modification time, are planned
// again). A removed or replaced file's loaded model stays until its last
// lease ends. Explicit files (create) are fixed: rescan() does nothing.
//
// A loaded model holds a FileLease on its file (file_lease.h). When another
// process opens the file to overwrite it, the model stops taking requests
// (kUnavailable: the file is being overwritten), its running sequences are
// cancelled with that reason, and it is unloaded once its leases end; then the
// writer proceeds. The next request plans the new file and loads it. Other
// models are not affected.
//
//   ModelManagerOptions options;
//   options.budget_bytes = int64_t{20} << 30;
//   HEARTH_ASSIGN_OR_RETURN(auto manager, ModelManager::create(paths, std::move(options)));
//   HEARTH_ASSIGN_OR_RETURN(ModelLease lease, manager->acquire("qwen2.5-0.5b", std::nullopt));
//   lease->engine->submit(...);   // the model stays loaded while the lease lives
//
// Thread-safety: every method may be called from any thread. A load runs on
// the manager's own loader thread, one at a time; acquire_async never blocks on
// it (but may rescan the directory on an unknown id). The manager must outlive
// every lease.
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
#include "node/builtin_model.h"
#include "node/external_engine_config.h"
#include "node/served_model.h"
#include "planner/memory_plan.h"

namespace hearth::node {

inline constexpr int64_t kDefaultKeepAliveMs = 5 * 60 * 1000;  // Ollama's default
inline constexpr int64_t kDefaultLoadWaitMs = 60 * 1000;

// Per-model settings from the config file.
struct ModelSettings {
  std::optional<int64_t> keep_alive_ms;  // negative: never unload when idle
  bool pinned = false;                   // loaded at start, never unloaded
  // Set: served by an external engine process (engine = "llama-server", ...).
  std::optional<ExternalEngineConfig> external;
};

struct ModelManagerOptions {
  // Context and engine limits of every model. load.scheduler.compute: the node's compute
  // threads, which all its engines share; null: the manager starts a pool of
  // load.scheduler.n_threads.
  ServedModelOptions load;
  // Bytes every resident model's plan may add up to. Required (> 0).
  int64_t budget_bytes = 0;
  // How long an idle model stays loaded unless its settings or a request say
  // otherwise; negative: forever, 0: unload as soon as idle.
  int64_t default_keep_alive_ms = kDefaultKeepAliveMs;
  std::map<std::string, ModelSettings, std::less<>> settings;  // by model id
  // How long a load may wait for busy models to finish so that it fits; past
  // it the request fails with kUnavailable (HTTP 503, retry later).
  int64_t load_wait_ms = kDefaultLoadWaitMs;
  // Models served by installed libraries (node/builtin_models.h), listed
  // beside the files, planned from their estimates; never rescanned away. A
  // file whose id is a built-in's is left out of a directory (with a notice)
  // and refused among explicit files.
  std::vector<BuiltinModel> builtin_models;
  // A monotonic clock in milliseconds (tests inject one); default steady_clock.
  std::function<int64_t()> now_ms;
};

// What the manager knows about one model, for listings and status.
struct ModelInfo {
  std::string id;
  std::string path;
  // Not empty: the file cannot be served (not a GGUF hearth can load, a
  // directory, a dangling link); says why, naming the path. Nothing below is
  // set for such a model.
  std::string invalid_reason;
  // With invalid_reason: another process had the file open for writing when
  // it was read (a copy under way). Read again at its next use; 503 meanwhile.
  bool being_written = false;
  int64_t created_s = 0;
  model::Capabilities capabilities = 0;  // what its engine serves (generate, embed, ...)
  int64_t n_ctx = 0;                     // the context it is (or would be) served with
  planner::MemoryPlan plan;              // its planned bytes at the manager's settings
  bool fits_budget = false;              // plan.total_bytes() <= budget
  bool resident = false;
  bool loading = false;
  // Its load waits for busy models to end so that it fits the budget (at most
  // load_wait_ms).
  bool waiting_for_room = false;
  bool pinned = false;
  int32_t n_active = 0;           // leases held now
  int64_t keep_alive_ms = 0;      // in force after its last request
  int64_t idle_for_ms = -1;       // since its last lease ended; -1: in use or never used
  int64_t last_used_unix_ms = 0;  // wall clock of its last lease's end or start; 0: never
  int64_t n_loads = 0;
  int64_t n_unloads = 0;    // since start, for any reason (evictions included)
  int64_t n_evictions = 0;  // unloads that made room for another model's load
  int64_t load_ms = 0;  // how long its last load took; 0: never loaded
  // The engine's counters and measured rates: live while resident, else as
  // they were when it was last unloaded (nullopt: never loaded).
  std::optional<infer::EngineStats> stats;
  // While resident: what its engine holds, term by term (never more than plan).
  std::optional<infer::EngineMemory> memory;
  // Served by an external engine process: its kind ("llama-server", ...;
  // empty: hearth's own engine) and, while resident, the process's pid (0
  // while it restarts), its restarts and how it last exited.
  std::string external_kind;
  int64_t external_pid = 0;
  int32_t external_restarts = 0;
  std::string external_last_exit;
};

class ModelManager;
struct ManagedModel;  // one model file's entry; defined in model_manager.cpp

// Keeps one model resident (not evictable) while it lives, even if its file
// is removed or replaced meanwhile. Movable.
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
  ModelLease(ModelManager* manager, std::shared_ptr<ManagedModel> entry, const ServedModel* served)
      : manager_(manager), entry_(std::move(entry)), served_(served) {}

  ModelManager* manager_ = nullptr;
  // Shared with the manager's list: the entry outlives its removal from it
  // while a lease holds it.
  std::shared_ptr<ManagedModel> entry_;
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
  // Serves every *.gguf entry of `dir` (see the top of this file): invalid
  // entries are listed with why rather than failing the call; a pinned model
  // that is invalid does fail it. kNotFound, kInvalidArgument or kIo when the
  // directory cannot be read; the other errors as create().
  static Result<std::unique_ptr<ModelManager>> create_for_dir(const std::string& dir, ModelManagerOptions&& options);

  ModelManager(const ModelManager&) = delete;
  ModelManager& operator=(const ModelManager&) = delete;
  // Drains (with no wait) if drain() was not called.
  ~ModelManager();

  // Whether a model (valid or not) has this id, as of the last scan.
  bool contains(std::string_view id) const;
  // nullopt when no model has this id.
  std::optional<ModelInfo> info(std::string_view id) const;
  // Every model, invalid ones included, sorted by id.
  std::vector<ModelInfo> list() const;
  // Served from a directory: brings the list up to date with it (files added,
  // removed, changed or now invalid), reporting each change through
  // options.load.notice. Cheap when nothing changed: one stat per entry.
  // Errors when the directory cannot be read (the list stays as it was).
  // Explicit files: does nothing.
  Status rescan();
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
  // manager is draining), kDataLoss for an invalid file (the message says why)
  // and the load's own errors naming the file. An unknown id rescans the
  // directory once before kNotFound.
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
  using Entry = ManagedModel;
  using EntryPtr = std::shared_ptr<Entry>;
  explicit ModelManager(ModelManagerOptions&& options);

  int64_t now_ms() const;
  void loader_loop();
  void release(const EntryPtr& entry);
  // The entries of options_.builtin_models, planned from their estimates.
  std::vector<EntryPtr> builtin_entries() const;
  // Whether `id` is a built-in model's.
  bool is_builtin_id(std::string_view id) const;
  // A planned entry for the file at `path`, or an invalid one saying why
  // when `tolerate_invalid`; else the file's error.
  Result<EntryPtr> plan_entry(const std::string& path, bool tolerate_invalid) const;
  // Checks the settings against the entries and loads the pinned models.
  Status start();
  // Under mutex_: the pending load to run next, or null.
  EntryPtr next_load_locked();
  // Makes room for `wanted` by unloading idle models (into `unloaded`);
  // waits for busy ones up to load_wait_ms (wanted.waiting_for_room is set
  // while it waits; the caller clears it). Under `lock`.
  Status make_room(std::unique_lock<std::mutex>& lock, Entry& wanted,
                   std::vector<std::unique_ptr<ServedModel>>* unloaded);
  Status cannot_fit_error(const Entry& entry) const;
  // Under mutex_: the entry with this id, or null.
  EntryPtr find_locked(std::string_view id) const;
  // Under mutex_: entries_ then retired_, for walks over everything resident.
  std::vector<Entry*> all_entries_locked() const;
  // Under mutex_: marks `entry`, being taken out of entries_ (replaced or its
  // file gone), retired; while its model is loaded or loading it waits in
  // retired_ for the loader thread to unload it once its last lease ends.
  void retire_locked(const EntryPtr& entry);
  // Dispatcher thread (FileLease's on_break): queues the entry for the loader
  // thread to stop and unload. Takes mutex_ only.
  void on_file_overwritten(const std::weak_ptr<Entry>& weak_entry);
  // Loader thread, under `lock`: cancels the overwritten model's sequences
  // (without the lock) and queues it for unloading once its leases end.
  void stop_overwritten(std::unique_lock<std::mutex>& lock, const EntryPtr& entry);
  // Plans `stale` (whose file was overwritten and whose model is unloaded)
  // again and puts the new entry in its place; returns the listed entry.
  Result<EntryPtr> replan(const EntryPtr& stale);
  // Loads the entry's file with a lease whose break reaches this manager.
  Result<std::unique_ptr<ServedModel>> load_entry(const EntryPtr& entry);
  // Under mutex_: takes out of retired_ the entries no lease or load holds;
  // returns their models for the caller to destroy outside the lock.
  std::vector<std::unique_ptr<ServedModel>> sweep_retired_locked();
  ModelInfo info_locked(const Entry& entry) const;
  void fail_waiters(std::unique_lock<std::mutex>& lock, Entry& entry, const Status& status);
  void notice(const std::string& line) const;

  friend class ModelLease;

  ModelManagerOptions options_;
  std::string dir_;          // set by create_for_dir; immutable after it
  std::mutex rescan_mutex_;  // one rescan at a time (held while planning, without mutex_)
  mutable std::mutex mutex_;
  std::condition_variable loader_cv_;  // a load was queued, a lease ended, or stopping
  std::vector<EntryPtr> entries_;      // guarded by mutex_; sorted by id
  // Guarded by mutex_: entries whose model unloads once no lease holds it:
  // taken out of entries_ (retired) while loaded or loading, or whose file is
  // being overwritten (still listed, stopped by stop_overwritten).
  std::vector<EntryPtr> retired_;
  std::deque<EntryPtr> overwritten_;  // guarded by mutex_; for stop_overwritten
  std::deque<EntryPtr> load_queue_;   // guarded by mutex_
  bool stopping_ = false;             // guarded by mutex_
  std::thread loader_;
};

}  // namespace hearth::node
