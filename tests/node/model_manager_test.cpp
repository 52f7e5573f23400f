// The model manager with real (tiny, synthesized) model files: loads on
// demand, byte-based LRU eviction within the budget, busy and pinned models
// kept, keep-alive expiry on an injected clock, refusal with advice before any
// load, and drain.
#include "node/model_manager.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "base/thread_pool.h"
#include "cli/synth.h"
#include "cli/whisper_synth.h"
#include "model/shape_catalog.h"
#include "node/file_lease.h"

namespace hearth::node {
namespace {

namespace fs = std::filesystem;

class ModelManagerTest : public ::testing::Test {
 protected:
  static fs::path dir() {
    return fs::temp_directory_path() / ("hearth_model_manager_test_" + std::to_string(::getpid()));
  }
  // small-a, small-b, small-c: tiny Q8_0 (same size); big: tiny F32 (larger weights).
  static void SetUpTestSuite() {
    fs::create_directories(dir());
    ThreadPool pool(1);
    for (const char* name : {"small-a", "small-b", "small-c", "big"}) {
      cli::SynthOptions synth;
      synth.shape = model::find_shape("tiny");
      ASSERT_NE(synth.shape, nullptr);
      synth.file_type = std::string(name) == "big" ? model::FileType::kF32 : model::FileType::kQ8_0;
      synth.out_path = (dir() / (std::string(name) + ".gguf")).string();
      const Status written = cli::synthesize_model(synth, pool, nullptr);
      ASSERT_TRUE(written.ok()) << written.to_string();
    }
  }
  static void TearDownTestSuite() { fs::remove_all(dir()); }

  static std::string path(const char* name) { return (dir() / (std::string(name) + ".gguf")).string(); }

  // Options with a small engine (one sequence, context 256) and a fake clock.
  ModelManagerOptions options(int64_t budget_bytes) {
    ModelManagerOptions out;
    out.load.n_ctx = 256;
    out.load.scheduler.max_seqs = 1;
    out.load.scheduler.n_threads = 1;
    out.budget_bytes = budget_bytes;
    out.load_wait_ms = 0;
    out.now_ms = [this] { return clock_ms_.load(); };
    return out;
  }

  std::unique_ptr<ModelManager> create(std::vector<std::string> paths, ModelManagerOptions&& opts) {
    auto manager = ModelManager::create(paths, std::move(opts));
    EXPECT_TRUE(manager.ok()) << manager.status().to_string();
    return manager.ok() ? std::move(manager).value() : nullptr;
  }

  // Planned bytes of each kind of model at options()'s settings.
  void measure() {
    auto probe = create({path("small-a"), path("big")}, options(int64_t{1} << 40));
    ASSERT_NE(probe, nullptr);
    small_bytes_ = probe->info("small-a")->plan.total_bytes();
    big_bytes_ = probe->info("big")->plan.total_bytes();
    ASSERT_GT(big_bytes_, small_bytes_);
  }

  bool resident(const ModelManager& manager, const char* id) { return manager.info(id)->resident; }

  // Polls the manager until `holds(info of id)`; false only past a generous
  // guard (a failure, never what makes a test pass).
  template <typename Predicate>
  static bool wait_for_info(const ModelManager& manager, const char* id, Predicate holds) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (!holds(*manager.info(id))) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::yield();
    }
    return true;
  }

  std::atomic<int64_t> clock_ms_{1'000'000};
  int64_t small_bytes_ = 0;
  int64_t big_bytes_ = 0;
};

TEST_F(ModelManagerTest, LoadsOnDemandOnceAndKeepsItWhileLeased) {
  auto manager = create({path("small-a"), path("small-b")}, options(int64_t{1} << 40));
  ASSERT_NE(manager, nullptr);
  EXPECT_FALSE(resident(*manager, "small-a"));
  EXPECT_EQ(manager->committed_bytes(), 0);
  {
    auto lease = manager->acquire("small-a", std::nullopt);
    ASSERT_TRUE(lease.ok()) << lease.status().to_string();
    EXPECT_EQ((*lease)->id, "small-a");
    EXPECT_EQ((*lease)->n_ctx(), 256);
    const ModelInfo info = *manager->info("small-a");
    EXPECT_TRUE(info.resident);
    EXPECT_EQ(info.n_active, 1);
    EXPECT_EQ(info.n_loads, 1);
    EXPECT_GT(info.last_used_unix_ms, 0);
    EXPECT_EQ(manager->committed_bytes(), info.plan.total_bytes());
    EXPECT_EQ(info.capabilities, model::capability_bit(model::Capability::kGenerate));
    // What the engine holds is what was planned: weights and KV pool exactly,
    // scratch within its planned peak.
    ASSERT_TRUE(info.memory.has_value());
    EXPECT_EQ(info.memory->weights_bytes, info.plan.weights_bytes);
    EXPECT_EQ(info.memory->cache_bytes, info.plan.kv_bytes);
    EXPECT_GT(info.memory->scratch_bytes, 0);
    EXPECT_LE(info.memory->scratch_bytes, info.plan.scratch_bytes);
  }
  EXPECT_FALSE(manager->info("small-b")->memory.has_value());  // not resident
  EXPECT_EQ(manager->info("small-b")->capabilities, model::capability_bit(model::Capability::kGenerate));
  auto again = manager->acquire("small-a", std::nullopt);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(manager->info("small-a")->n_loads, 1);
  EXPECT_FALSE(resident(*manager, "small-b"));
}

TEST_F(ModelManagerTest, ConcurrentRequestsShareOneLoad) {
  auto manager = create({path("small-a")}, options(int64_t{1} << 40));
  ASSERT_NE(manager, nullptr);
  std::vector<std::future<bool>> results;
  for (int request_idx = 0; request_idx < 8; ++request_idx) {
    results.push_back(std::async(std::launch::async, [&manager] {
      auto lease = manager->acquire("small-a", std::nullopt);
      return lease.ok() && (*lease)->engine != nullptr;
    }));
  }
  for (auto& result : results) EXPECT_TRUE(result.get());
  EXPECT_EQ(manager->info("small-a")->n_loads, 1);
  EXPECT_EQ(manager->info("small-a")->n_active, 0);
}

TEST_F(ModelManagerTest, EvictsTheLeastRecentlyUsed) {
  measure();
  // Room for two small models.
  auto manager = create({path("small-a"), path("small-b"), path("small-c")}, options(2 * small_bytes_ + 1));
  ASSERT_NE(manager, nullptr);
  ASSERT_TRUE(manager->acquire("small-a", std::nullopt).ok());
  clock_ms_ += 10;
  ASSERT_TRUE(manager->acquire("small-b", std::nullopt).ok());
  clock_ms_ += 10;
  ASSERT_TRUE(manager->acquire("small-a", std::nullopt).ok());  // a is now the most recent
  clock_ms_ += 10;
  ASSERT_TRUE(manager->acquire("small-c", std::nullopt).ok());
  EXPECT_TRUE(resident(*manager, "small-a"));
  EXPECT_FALSE(resident(*manager, "small-b"));
  EXPECT_TRUE(resident(*manager, "small-c"));
  EXPECT_LE(manager->committed_bytes(), manager->budget_bytes());
}

TEST_F(ModelManagerTest, EvictsByBytesNotByCount) {
  measure();
  {
    // Budget big + small: loading big next to two small models evicts only the older one.
    auto manager = create({path("small-a"), path("small-b"), path("big")}, options(big_bytes_ + small_bytes_));
    ASSERT_NE(manager, nullptr);
    ASSERT_TRUE(manager->acquire("small-a", std::nullopt).ok());
    clock_ms_ += 10;
    ASSERT_TRUE(manager->acquire("small-b", std::nullopt).ok());
    clock_ms_ += 10;
    ASSERT_TRUE(manager->acquire("big", std::nullopt).ok());
    EXPECT_FALSE(resident(*manager, "small-a"));
    EXPECT_TRUE(resident(*manager, "small-b"));
    EXPECT_TRUE(resident(*manager, "big"));
  }
  {
    // One byte less: both small models must go.
    auto manager = create({path("small-a"), path("small-b"), path("big")}, options(big_bytes_ + small_bytes_ - 1));
    ASSERT_NE(manager, nullptr);
    ASSERT_TRUE(manager->acquire("small-a", std::nullopt).ok());
    clock_ms_ += 10;
    ASSERT_TRUE(manager->acquire("small-b", std::nullopt).ok());
    clock_ms_ += 10;
    ASSERT_TRUE(manager->acquire("big", std::nullopt).ok());
    EXPECT_FALSE(resident(*manager, "small-a"));
    EXPECT_FALSE(resident(*manager, "small-b"));
    EXPECT_TRUE(resident(*manager, "big"));
  }
}

TEST_F(ModelManagerTest, ABusyModelIsNotEvicted) {
  measure();
  ModelManagerOptions opts = options(small_bytes_ + 1);  // one model at a time
  opts.load_wait_ms = 100;
  opts.now_ms = nullptr;  // real time: the wait is real
  auto manager = create({path("small-a"), path("small-b")}, std::move(opts));
  ASSERT_NE(manager, nullptr);
  auto held = manager->acquire("small-a", std::nullopt);
  ASSERT_TRUE(held.ok());
  auto refused = manager->acquire("small-b", std::nullopt);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(refused.status().message().find("'small-a'"), std::string::npos) << refused.status().message();
  EXPECT_NE(refused.status().message().find("in use"), std::string::npos) << refused.status().message();
  EXPECT_TRUE(resident(*manager, "small-a"));
  EXPECT_FALSE(resident(*manager, "small-b"));
  held->release();
  auto loaded = manager->acquire("small-b", std::nullopt);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_FALSE(resident(*manager, "small-a"));
}

TEST_F(ModelManagerTest, ALoadWaitsForABusyModelToFinish) {
  measure();
  ModelManagerOptions opts = options(small_bytes_ + 1);
  opts.load_wait_ms = 30'000;
  opts.now_ms = nullptr;
  auto manager = create({path("small-a"), path("small-b")}, std::move(opts));
  ASSERT_NE(manager, nullptr);
  auto held = manager->acquire("small-a", std::nullopt);
  ASSERT_TRUE(held.ok());
  std::promise<Result<ModelLease>> waited;
  manager->acquire_async("small-b", std::nullopt,
                         [&waited](Result<ModelLease> lease) { waited.set_value(std::move(lease)); });
  ASSERT_TRUE(wait_for_info(*manager, "small-b", [](const ModelInfo& info) { return info.waiting_for_room; }));
  held->release();
  Result<ModelLease> loaded = waited.get_future().get();
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_FALSE(manager->info("small-b")->waiting_for_room);
  EXPECT_FALSE(resident(*manager, "small-a"));
}

TEST_F(ModelManagerTest, PinnedModelsLoadAtStartAndStay) {
  measure();
  ModelManagerOptions opts = options(2 * small_bytes_ + 1);
  opts.settings["small-a"].pinned = true;
  opts.settings["small-a"].keep_alive_ms = 0;  // pinning wins over keep-alive
  auto manager = create({path("small-a"), path("small-b"), path("small-c")}, std::move(opts));
  ASSERT_NE(manager, nullptr);
  EXPECT_TRUE(resident(*manager, "small-a"));
  EXPECT_TRUE(manager->info("small-a")->pinned);
  for (const char* id : {"small-b", "small-c", "small-b"}) {
    clock_ms_ += 10;
    ASSERT_TRUE(manager->acquire(id, std::nullopt).ok()) << id;
  }
  clock_ms_ += 3'600'000;
  manager->unload_expired();
  EXPECT_TRUE(resident(*manager, "small-a"));
  EXPECT_EQ(manager->info("small-a")->n_loads, 1);
}

TEST_F(ModelManagerTest, PinnedModelsBeyondTheBudgetRefuseToStart) {
  measure();
  ModelManagerOptions opts = options(2 * small_bytes_ - 1);
  opts.settings["small-a"].pinned = true;
  opts.settings["small-b"].pinned = true;
  const std::string paths[] = {path("small-a"), path("small-b")};
  auto manager = ModelManager::create(paths, std::move(opts));
  ASSERT_FALSE(manager.ok());
  EXPECT_NE(manager.status().message().find("pinned models need"), std::string::npos) << manager.status().message();
}

TEST_F(ModelManagerTest, IdleModelsUnloadAfterTheirKeepAlive) {
  ModelManagerOptions opts = options(int64_t{1} << 40);
  opts.default_keep_alive_ms = 60'000;
  opts.settings["small-c"].keep_alive_ms = -1;
  auto manager = create({path("small-a"), path("small-b"), path("small-c")}, std::move(opts));
  ASSERT_NE(manager, nullptr);
  ASSERT_TRUE(manager->acquire("small-a", std::nullopt).ok());    // the default, 60 s
  ASSERT_TRUE(manager->acquire("small-b", int64_t{5'000}).ok());  // the request's keep_alive
  ASSERT_TRUE(manager->acquire("small-c", std::nullopt).ok());    // configured: forever
  EXPECT_EQ(manager->info("small-b")->keep_alive_ms, 5'000);
  clock_ms_ += 4'999;
  EXPECT_EQ(manager->unload_expired(), 0);
  clock_ms_ += 1;
  EXPECT_EQ(manager->unload_expired(), 1);
  EXPECT_FALSE(resident(*manager, "small-b"));
  EXPECT_TRUE(resident(*manager, "small-a"));
  clock_ms_ += 55'000;
  EXPECT_EQ(manager->unload_expired(), 1);
  EXPECT_FALSE(resident(*manager, "small-a"));
  clock_ms_ += int64_t{1} << 40;
  EXPECT_EQ(manager->unload_expired(), 0);
  EXPECT_TRUE(resident(*manager, "small-c"));
  // A held lease is never expired, however old.
  auto held = manager->acquire("small-a", int64_t{1});
  ASSERT_TRUE(held.ok());
  clock_ms_ += 1'000'000;
  EXPECT_EQ(manager->unload_expired(), 0);
  EXPECT_TRUE(resident(*manager, "small-a"));
}

TEST_F(ModelManagerTest, KeepAliveZeroUnloadsAsSoonAsIdle) {
  ModelManagerOptions opts = options(int64_t{1} << 40);
  opts.now_ms = nullptr;  // the loader thread's own wake-up does it
  auto manager = create({path("small-a")}, std::move(opts));
  ASSERT_NE(manager, nullptr);
  ASSERT_TRUE(manager->acquire("small-a", int64_t{0}).ok());
  EXPECT_TRUE(wait_for_info(*manager, "small-a", [](const ModelInfo& info) { return !info.resident; }));
}

TEST_F(ModelManagerTest, AModelThatCanNeverFitIsRefusedBeforeLoadingWithAdvice) {
  measure();
  auto manager = create({path("big"), path("small-a")}, options(big_bytes_ - 1));
  ASSERT_NE(manager, nullptr);
  EXPECT_FALSE(manager->info("big")->fits_budget);
  auto refused = manager->acquire("big", std::nullopt);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kFailedPrecondition);
  const std::string& message = refused.status().message();
  EXPECT_NE(message.find("The model 'big' needs"), std::string::npos) << message;
  EXPECT_NE(message.find("budget"), std::string::npos) << message;
  EXPECT_NE(message.find("It would fit with"), std::string::npos) << message;
  EXPECT_NE(message.find("file of this model"), std::string::npos) << message;  // a smaller quantization
  EXPECT_EQ(manager->info("big")->n_loads, 0);
  EXPECT_EQ(manager->committed_bytes(), 0);
}

TEST_F(ModelManagerTest, BadIdsAndSettingsAreRefused) {
  auto manager = create({path("small-a")}, options(int64_t{1} << 40));
  ASSERT_NE(manager, nullptr);
  auto unknown = manager->acquire("no-such-model", std::nullopt);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().code(), ErrorCode::kNotFound);

  ModelManagerOptions opts = options(int64_t{1} << 40);
  opts.settings["absent"].pinned = true;
  const std::string one[] = {path("small-a")};
  auto misnamed = ModelManager::create(one, std::move(opts));
  ASSERT_FALSE(misnamed.ok());
  EXPECT_NE(misnamed.status().message().find("'absent'"), std::string::npos);

  const std::string twice[] = {path("small-a"), path("small-a")};
  auto duplicate = ModelManager::create(twice, options(int64_t{1} << 40));
  ASSERT_FALSE(duplicate.ok());
  EXPECT_NE(duplicate.status().message().find("two model files"), std::string::npos);

  auto no_budget = ModelManager::create(one, options(0));
  ASSERT_FALSE(no_budget.ok());

  const std::string not_gguf_path = (dir() / "not-a-model.gguf").string();
  {
    std::FILE* file = std::fopen(not_gguf_path.c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fputs("hello", file);
    std::fclose(file);
  }
  const std::string bad[] = {not_gguf_path};
  auto corrupt = ModelManager::create(bad, options(int64_t{1} << 40));
  ASSERT_FALSE(corrupt.ok());
  EXPECT_NE(corrupt.status().message().find(not_gguf_path), std::string::npos);
  fs::remove(not_gguf_path);
}

TEST_F(ModelManagerTest, AnEmptyManagerServesNothing) {
  auto manager = create({}, options(int64_t{1} << 30));
  ASSERT_NE(manager, nullptr);
  EXPECT_TRUE(manager->list().empty());
  EXPECT_FALSE(manager->contains("tiny"));
  EXPECT_EQ(manager->drain(0), 0);
}

TEST_F(ModelManagerTest, AMissingFileIsNamed) {
  const std::string missing = (dir() / "missing.gguf").string();
  const std::string paths[] = {missing};
  auto manager = ModelManager::create(paths, options(int64_t{1} << 30));
  ASSERT_FALSE(manager.ok());
  EXPECT_NE(manager.status().message().find(missing), std::string::npos) << manager.status().message();
}

TEST_F(ModelManagerTest, DrainFailsAWaitingLoad) {
  measure();
  ModelManagerOptions opts = options(small_bytes_ + 1);
  opts.load_wait_ms = 60'000;
  opts.now_ms = nullptr;
  auto manager = create({path("small-a"), path("small-b")}, std::move(opts));
  ASSERT_NE(manager, nullptr);
  auto held = manager->acquire("small-a", std::nullopt);
  ASSERT_TRUE(held.ok());
  std::promise<Status> waited;
  manager->acquire_async("small-b", std::nullopt,
                         [&waited](Result<ModelLease> lease) { waited.set_value(lease.status()); });
  ASSERT_TRUE(wait_for_info(*manager, "small-b", [](const ModelInfo& info) { return info.waiting_for_room; }));
  EXPECT_EQ(manager->drain(1000), 0);
  const Status status = waited.get_future().get();
  EXPECT_EQ(status.code(), ErrorCode::kUnavailable);
  auto after = manager->acquire("small-a", std::nullopt);
  EXPECT_EQ(after.status().code(), ErrorCode::kUnavailable);
  held->release();
}

// A models directory: the valid files are served, the rest listed with why.
TEST_F(ModelManagerTest, ADirectoryServesItsValidFilesAndListsTheInvalidOnes) {
  const fs::path models = dir() / "invalid-dir";
  fs::create_directories(models);
  fs::create_symlink(path("small-a"), models / "small-a.gguf");
  {
    std::FILE* file = std::fopen((models / "junk.gguf").c_str(), "w");
    ASSERT_NE(file, nullptr);
    std::fputs("not a model", file);
    std::fclose(file);
  }
  fs::create_directories(models / "folder.gguf");
  fs::create_symlink(models / "gone.bin", models / "dangling.gguf");
  auto manager = ModelManager::create_for_dir(models.string(), options(int64_t{1} << 40));
  ASSERT_TRUE(manager.ok()) << manager.status().to_string();
  const std::vector<ModelInfo> listed = (*manager)->list();
  ASSERT_EQ(listed.size(), 4u);
  for (const ModelInfo& model : listed) {
    if (model.id == "small-a") {
      EXPECT_TRUE(model.invalid_reason.empty()) << model.invalid_reason;
    } else {
      EXPECT_NE(model.invalid_reason.find(model.id + ".gguf"), std::string::npos) << model.invalid_reason;
    }
  }
  auto junk = (*manager)->acquire("junk", std::nullopt);
  ASSERT_FALSE(junk.ok());
  EXPECT_EQ(junk.status().code(), ErrorCode::kDataLoss);
  EXPECT_NE(junk.status().message().find("junk.gguf"), std::string::npos) << junk.status().message();
  EXPECT_TRUE((*manager)->acquire("small-a", std::nullopt).ok());

  // Pinning an invalid file still fails the start: the user asked for it.
  ModelManagerOptions pinned = options(int64_t{1} << 40);
  pinned.settings["junk"].pinned = true;
  auto refused = ModelManager::create_for_dir(models.string(), std::move(pinned));
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("junk.gguf"), std::string::npos) << refused.status().message();
  fs::remove_all(models);
}

TEST_F(ModelManagerTest, RescanSeesFilesAddedRemovedAndChanged) {
  measure();
  const fs::path models = dir() / "rescan-dir";
  fs::create_directories(models);
  fs::create_symlink(path("small-a"), models / "a.gguf");
  auto created = ModelManager::create_for_dir(models.string(), options(int64_t{1} << 40));
  ASSERT_TRUE(created.ok()) << created.status().to_string();
  ModelManager& manager = **created;

  // Added: an unknown id rescans before it is refused.
  fs::create_symlink(path("small-b"), models / "b.gguf");
  auto b = manager.acquire("b", std::nullopt);
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_EQ(manager.info("b")->plan.total_bytes(), small_bytes_);

  // Changed while leased: the new file is planned, the loaded model stays until its lease ends.
  fs::remove(models / "b.gguf");
  fs::create_symlink(path("big"), models / "b.gguf");
  ASSERT_TRUE(manager.rescan().ok());
  EXPECT_EQ(manager.info("b")->plan.total_bytes(), big_bytes_);
  EXPECT_FALSE(manager.info("b")->resident);
  EXPECT_EQ(manager.committed_bytes(), small_bytes_);  // the old one, still leased
  EXPECT_EQ((*b)->id, "b");                            // still usable
  b->release();

  // Removed: no longer listed nor served.
  fs::remove(models / "a.gguf");
  ASSERT_TRUE(manager.rescan().ok());
  EXPECT_FALSE(manager.contains("a"));
  EXPECT_EQ(manager.acquire("a", std::nullopt).status().code(), ErrorCode::kNotFound);
  auto big = manager.acquire("b", std::nullopt);
  ASSERT_TRUE(big.ok()) << big.status().to_string();
  EXPECT_TRUE(manager.info("b")->resident);
  fs::remove_all(models);
}

// Overwriting a loaded model's file in place: the writer's open(O_TRUNC) is
// held by the lease until the model is unloaded, then the next acquire plans
// and loads the new contents. Another model is not affected.
TEST_F(ModelManagerTest, AFileOverwrittenInPlaceIsUnloadedFirstThenReloaded) {
  measure();
  const fs::path models = dir() / "overwrite-dir";
  fs::create_directories(models);
  const fs::path target = models / "m.gguf";
  fs::copy_file(path("small-a"), target);
  fs::create_symlink(path("small-b"), models / "other.gguf");
  ModelManagerOptions opts = options(int64_t{1} << 40);
  std::vector<std::string> notices;
  std::mutex notices_mutex;
  opts.load.notice = [&](const std::string& line) {
    std::lock_guard lock(notices_mutex);
    notices.push_back(line);
  };
  auto created = ModelManager::create_for_dir(models.string(), std::move(opts));
  ASSERT_TRUE(created.ok()) << created.status().to_string();
  ModelManager& manager = **created;
  ASSERT_TRUE(manager.acquire("m", std::nullopt).ok());
  auto other = manager.acquire("other", std::nullopt);
  ASSERT_TRUE(other.ok());
  {
    std::lock_guard lock(notices_mutex);
    for (const std::string& line : notices) {
      if (line.find("not protected") != std::string::npos) GTEST_SKIP() << "no lease: " << line;
    }
  }
  EXPECT_EQ(manager.info("m")->plan.total_bytes(), small_bytes_);

  // As cp does. Blocks until the manager has let go of the file.
  const int fd = ::open(target.c_str(), O_WRONLY | O_TRUNC);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  EXPECT_FALSE(manager.info("m")->resident);
  std::ifstream big_file(path("big"), std::ios::binary);
  const std::string contents((std::istreambuf_iterator<char>(big_file)), std::istreambuf_iterator<char>());
  ASSERT_EQ(::write(fd, contents.data(), contents.size()), static_cast<ssize_t>(contents.size()));
  ::close(fd);

  auto reloaded = manager.acquire("m", std::nullopt);
  ASSERT_TRUE(reloaded.ok()) << reloaded.status().to_string();
  EXPECT_EQ(manager.info("m")->plan.total_bytes(), big_bytes_);
  EXPECT_TRUE(manager.info("other")->resident);
  EXPECT_EQ(manager.info("other")->n_loads, 1);
  fs::remove_all(models);
}

TEST_F(ModelManagerTest, AFileBeingWrittenIsNotLoadedUntilTheWriterIsDone) {
  measure();
  const fs::path models = dir() / "writing-dir";
  fs::create_directories(models);
  const fs::path target = models / "m.gguf";
  fs::copy_file(path("small-a"), target);
  auto created = ModelManager::create_for_dir(models.string(), options(int64_t{1} << 40));
  ASSERT_TRUE(created.ok()) << created.status().to_string();
  ModelManager& manager = **created;

  if (auto probe = FileLease::take(target.string(), [] {}); !probe.ok()) {
    GTEST_SKIP() << "no leases here: " << probe.status().message();
  }

  // A copy in progress holds the file open for writing: mapping it now would
  // map a file that nothing protects from the next truncation (the soak's SIGBUS).
  const int fd = ::open(target.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  auto while_writing = manager.acquire("m", std::nullopt);
  ASSERT_FALSE(while_writing.ok());
  EXPECT_EQ(while_writing.status().code(), ErrorCode::kUnavailable);
  EXPECT_NE(while_writing.status().message().find("being written"), std::string::npos)
      << while_writing.status().message();
  EXPECT_FALSE(manager.info("m")->resident);
  ::close(fd);

  auto loaded = manager.acquire("m", std::nullopt);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_TRUE(manager.info("m")->resident);
  loaded->release();
  fs::remove_all(models);
}

// The soak's twelve 500s: a copy that was under way when the directory was
// scanned left the file listed as invalid for good (a 500), though the copy
// finished a moment later without changing what stat() shows.
TEST_F(ModelManagerTest, AFileScannedWhileBeingWrittenIsRetriedNotInvalid) {
  measure();
  const fs::path models = dir() / "scanned-while-writing";
  fs::create_directories(models);
  auto created = ModelManager::create_for_dir(models.string(), options(int64_t{1} << 40));
  ASSERT_TRUE(created.ok()) << created.status().to_string();
  ModelManager& manager = **created;
  const fs::path target = models / "m.gguf";
  fs::copy_file(path("small-a"), target);
  if (auto probe = FileLease::take(target.string(), [] {}); !probe.ok()) {
    GTEST_SKIP() << "no leases here: " << probe.status().message();
  }

  const int fd = ::open(target.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0) << std::strerror(errno);
  ASSERT_TRUE(manager.rescan().ok());
  ASSERT_TRUE(manager.info("m").has_value());
  EXPECT_TRUE(manager.info("m")->being_written);
  auto while_writing = manager.acquire("m", std::nullopt);
  ASSERT_FALSE(while_writing.ok());
  EXPECT_EQ(while_writing.status().code(), ErrorCode::kUnavailable) << while_writing.status().to_string();
  ::close(fd);  // the writer is done; size and mtime are what the scan saw

  auto loaded = manager.acquire("m", std::nullopt);
  ASSERT_TRUE(loaded.ok()) << loaded.status().to_string();
  EXPECT_FALSE(manager.info("m")->being_written);
  EXPECT_TRUE(manager.info("m")->invalid_reason.empty());
  loaded->release();
  fs::remove_all(models);
}

// A whisper file is planned in its engine's terms, served by media::WhisperEngine (kTranscribe) and
// holds what was planned.
TEST_F(ModelManagerTest, AWhisperFileIsServedByTheSpeechEngine) {
  const model::WhisperShape* shape = model::find_whisper_shape("whisper-tiny");
  ASSERT_NE(shape, nullptr);
  const std::string file = path("whisper-tiny");
  ThreadPool pool(2);
  ASSERT_TRUE(cli::synthesize_whisper(*shape, model::FileType::kQ8_0, file, 1, pool, nullptr).ok());
  auto manager = create({file}, options(int64_t{1} << 40));
  ASSERT_NE(manager, nullptr);
  const ModelInfo planned = *manager->info("whisper-tiny");
  EXPECT_EQ(planned.capabilities, model::capability_bit(model::Capability::kTranscribe));
  EXPECT_GT(planned.plan.weights_bytes, 0);
  EXPECT_GT(planned.plan.kv_bytes, 0);
  {
    auto lease = manager->acquire("whisper-tiny", std::nullopt);
    ASSERT_TRUE(lease.ok()) << lease.status().to_string();
    infer::Engine& engine = *(*lease)->engine;
    EXPECT_TRUE(model::has_capability(engine.capabilities(), model::Capability::kTranscribe));
    EXPECT_EQ((*lease)->n_ctx(), 448);
    const ModelInfo info = *manager->info("whisper-tiny");
    ASSERT_TRUE(info.memory.has_value());
    EXPECT_EQ(info.memory->weights_bytes, info.plan.weights_bytes);
    EXPECT_EQ(info.memory->cache_bytes, info.plan.kv_bytes);
    EXPECT_LE(info.memory->scratch_bytes, info.plan.scratch_bytes);
    EXPECT_EQ(manager->committed_bytes(), info.plan.total_bytes());
    // Text generation is refused by the engine itself.
    EXPECT_EQ(engine.embed(infer::EmbedRequest{}, [](Result<infer::EmbedResult>) {}).code(),
              ErrorCode::kFailedPrecondition);
  }
  // Too small a budget: refused with the plan's terms, no context or quantization advice.
  auto small = create({file}, options(planned.plan.weights_bytes));
  ASSERT_NE(small, nullptr);
  auto refused = small->acquire("whisper-tiny", std::nullopt);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("raise the budget"), std::string::npos) << refused.status().message();
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace hearth::node
