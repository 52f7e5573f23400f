// jobs/batch_runner.h driven by a test executor: lines finish when the test
// says, windows are decided by an injected time of day, and every wait is for
// something the runner shows (its passes, the store), never for time.
#include "jobs/batch_runner.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <map>
#include <mutex>

#include "jobs_test_db.h"

namespace hearth::jobs {
namespace {

constexpr int64_t kHourMs = 3600 * 1000;

// A line's shared state between the executor (the test's side) and its run.
struct GateLine {
  LineTask task;
  std::function<void()> wake;
  std::optional<LineOutcome> outcome;
  bool cancelled = false;
};

class GateExecutor : public LineExecutor {
 public:
  // auto_finish: every line succeeds at once. Otherwise lines wait for finish() or a cancel.
  explicit GateExecutor(bool auto_finish) : auto_finish_(auto_finish) {}

  class Run : public LineRun {
   public:
    Run(GateExecutor& owner, std::shared_ptr<GateLine> line) : owner_(owner), line_(std::move(line)) {}
    std::optional<LineOutcome> poll() override {
      std::lock_guard<std::mutex> lock(owner_.mutex_);
      if (line_->outcome) return std::exchange(line_->outcome, std::nullopt);
      if (line_->cancelled) {
        line_->cancelled = false;
        LineOutcome retry;
        retry.retry = true;
        return retry;
      }
      return std::nullopt;
    }
    void cancel() override {
      std::function<void()> wake;
      {
        std::lock_guard<std::mutex> lock(owner_.mutex_);
        line_->cancelled = true;
        wake = line_->wake;
      }
      wake();
    }

   private:
    GateExecutor& owner_;
    std::shared_ptr<GateLine> line_;
  };

  std::unique_ptr<LineRun> start(const LineTask& task, std::function<void()> wake) override {
    auto line = std::make_shared<GateLine>();
    line->task = task;
    line->wake = std::move(wake);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++n_starts_[task.line_idx];
      if (retry_first_ && n_starts_[task.line_idx] == 1) {
        LineOutcome retry;
        retry.retry = true;
        line->outcome = retry;
      } else if (auto_finish_) {
        line->outcome = success(task);
      }
      lines_.push_back(line);
    }
    cv_.notify_all();
    return std::make_unique<Run>(*this, line);
  }

  static LineOutcome success(const LineTask& task) {
    LineOutcome outcome;
    outcome.result = LineResult{true, "out-" + task.custom_id, BatchTokens{2, 0, 3}};
    return outcome;
  }

  // Finishes the started line `line_idx` (its latest start) with success.
  void finish(int64_t line_idx) {
    std::function<void()> wake;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto it = lines_.rbegin(); it != lines_.rend(); ++it) {
        if ((*it)->task.line_idx != line_idx) continue;
        (*it)->outcome = success((*it)->task);
        wake = (*it)->wake;
        break;
      }
    }
    if (wake) wake();
  }

  void wait_for_starts(size_t n) {
    std::unique_lock<std::mutex> lock(mutex_);
    ASSERT_TRUE(cv_.wait_for(lock, std::chrono::seconds(30), [&] { return lines_.size() >= n; }))
        << "only " << lines_.size() << " lines started";
  }

  size_t n_started() {
    std::lock_guard<std::mutex> lock(mutex_);
    return lines_.size();
  }

  int n_starts_of(int64_t line_idx) {
    std::lock_guard<std::mutex> lock(mutex_);
    return n_starts_[line_idx];
  }

  void retry_first_start() { retry_first_ = true; }

 private:
  const bool auto_finish_;
  bool retry_first_ = false;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::shared_ptr<GateLine>> lines_;
  std::map<int64_t, int> n_starts_;
};

// Counts the runner's passes, so a test can wait for "at least one more pass".
struct PassLatch {
  std::mutex mutex;
  std::condition_variable cv;
  int64_t n_passes = 0;
  RunnerPass last;

  std::function<void(const RunnerPass&)> hook() {
    return [this](const RunnerPass& pass) {
      {
        std::lock_guard<std::mutex> lock(mutex);
        ++n_passes;
        last = pass;
      }
      cv.notify_all();
    };
  }

  int64_t passes() {
    std::lock_guard<std::mutex> lock(mutex);
    return n_passes;
  }

  // Waits until the runner finished its n-th pass.
  bool wait_for_passes(int64_t n) {
    std::unique_lock<std::mutex> lock(mutex);
    return cv.wait_for(lock, std::chrono::seconds(30), [&] { return n_passes >= n; });
  }

  // Waits until `predicate` holds after some pass (checked after each).
  bool wait_until(const std::function<bool()>& predicate) {
    std::unique_lock<std::mutex> lock(mutex);
    for (int64_t seen = -1;;) {
      if (seen != n_passes) {
        seen = n_passes;
        lock.unlock();
        const bool holds = predicate();
        lock.lock();
        if (holds) return true;
      }
      if (!cv.wait_for(lock, std::chrono::seconds(30), [&] { return n_passes != seen; })) return false;
    }
  }
};

struct Env {
  test::JobsDb db;
  std::optional<FileStore> files;
  std::optional<BatchStore> store;
  std::shared_ptr<std::atomic<int64_t>> ms_of_day = std::make_shared<std::atomic<int64_t>>(12 * kHourMs);

  Env() {
    auto opened_files = FileStore::open(*db.db, db.dir.file("files"), db.clock());
    EXPECT_TRUE(opened_files.ok());
    if (opened_files.ok()) files.emplace(std::move(opened_files).value());
    auto opened_store = BatchStore::open(*db.db, db.clock());
    EXPECT_TRUE(opened_store.ok());
    if (opened_store.ok()) store.emplace(std::move(opened_store).value());
  }

  BatchRecord create(int n_lines) {
    NewBatch batch;
    batch.endpoint = "/v1/embeddings";
    batch.model = "m";
    batch.input_file_id = "file-in";
    for (int idx = 0; idx < n_lines; ++idx) {
      std::string custom_id = "c";  // appended: GCC 12 warns (wrongly) on "c" + std::to_string(idx)
      custom_id += std::to_string(idx);
      batch.lines.push_back({std::move(custom_id), "{}"});
    }
    auto created = store->create(std::move(batch));
    EXPECT_TRUE(created.ok());
    return created.ok() ? *created : BatchRecord{};
  }

  BatchRunnerOptions options(PassLatch& latch) {
    BatchRunnerOptions options;
    options.now_unix_ms = db.clock();
    options.ms_of_day = [day = ms_of_day](int64_t) { return day->load(); };
    options.on_pass = latch.hook();
    options.retry_delay_ms = 0;
    return options;
  }

  BatchStatus status_of(const std::string& id) {
    auto batch = store->get(id);
    return batch.ok() ? batch->status : BatchStatus::kFailed;
  }
};

TEST(BatchRunner, RunsEveryLineOnceAndWritesTheOutputFile) {
  Env env;
  ASSERT_TRUE(env.store && env.files);
  GateExecutor executor(/*auto_finish=*/true);
  PassLatch latch;
  const BatchRecord batch = env.create(10);
  auto runner = BatchRunner::start(*env.store, *env.files, executor, env.options(latch));
  ASSERT_TRUE(runner.ok()) << runner.status().message();
  ASSERT_TRUE(latch.wait_until([&] { return env.status_of(batch.id) == BatchStatus::kCompleted; }));
  (*runner)->stop();
  auto done = env.store->get(batch.id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->n_completed, 10);
  EXPECT_EQ(done->n_failed, 0);
  EXPECT_EQ(done->tokens.output_tokens, 30);
  EXPECT_TRUE(done->finalizing_at_s.has_value());
  ASSERT_TRUE(done->output_file_id.has_value());
  EXPECT_FALSE(done->error_file_id.has_value());
  auto output = env.files->read(*done->output_file_id, "", 1 << 20);
  ASSERT_TRUE(output.ok());
  std::string expected;
  for (int idx = 0; idx < 10; ++idx) expected += "out-c" + std::to_string(idx) + "\n";
  EXPECT_EQ(*output, expected);
  for (int idx = 0; idx < 10; ++idx) EXPECT_EQ(executor.n_starts_of(idx), 1);
}

TEST(BatchRunner, WaitsForTheWindow) {
  Env env;
  ASSERT_TRUE(env.store && env.files);
  GateExecutor executor(/*auto_finish=*/true);
  PassLatch latch;
  const BatchRecord batch = env.create(3);
  BatchRunnerOptions options = env.options(latch);
  auto policy = parse_window_policy({"22:00-06:00"}, "");
  ASSERT_TRUE(policy.ok());
  options.windows = *policy;
  auto runner = BatchRunner::start(*env.store, *env.files, executor, std::move(options));
  ASSERT_TRUE(runner.ok());
  ASSERT_TRUE(latch.wait_for_passes(1));  // one whole pass at noon
  EXPECT_EQ(executor.n_started(), 0u);
  EXPECT_FALSE(latch.last.window_open);
  EXPECT_EQ(env.status_of(batch.id), BatchStatus::kInProgress);
  env.ms_of_day->store(23 * kHourMs);
  (*runner)->notify();
  ASSERT_TRUE(latch.wait_until([&] { return env.status_of(batch.id) == BatchStatus::kCompleted; }));
  EXPECT_EQ(executor.n_started(), 3u);
}

TEST(BatchRunner, IdleRuleFollowsInteractiveRequests) {
  Env env;
  ASSERT_TRUE(env.store && env.files);
  GateExecutor executor(/*auto_finish=*/true);
  PassLatch latch;
  auto steady = std::make_shared<std::atomic<int64_t>>(0);
  BatchRunnerOptions options = env.options(latch);
  options.now_steady_ms = [steady] { return steady->load(); };
  auto policy = parse_window_policy({}, "10m");
  ASSERT_TRUE(policy.ok());
  options.windows = *policy;
  auto runner = BatchRunner::start(*env.store, *env.files, executor, std::move(options));
  ASSERT_TRUE(runner.ok());
  const BatchRecord batch = env.create(2);
  steady->store(9 * 60 * 1000);
  int64_t before = latch.passes();
  (*runner)->notify();
  ASSERT_TRUE(latch.wait_for_passes(before + 1));
  EXPECT_EQ(executor.n_started(), 0u);
  (*runner)->note_interactive();  // at 9 min: the idle clock starts again
  steady->store(15 * 60 * 1000);
  before = latch.passes();
  (*runner)->notify();
  ASSERT_TRUE(latch.wait_for_passes(before + 1));
  EXPECT_EQ(executor.n_started(), 0u);  // only 6 min idle
  steady->store(19 * 60 * 1000);
  (*runner)->notify();
  ASSERT_TRUE(latch.wait_until([&] { return env.status_of(batch.id) == BatchStatus::kCompleted; }));
}

TEST(BatchRunner, CancelKeepsFinishedLinesAndStopsTheRest) {
  Env env;
  ASSERT_TRUE(env.store && env.files);
  GateExecutor executor(/*auto_finish=*/false);
  PassLatch latch;
  BatchRunnerOptions options = env.options(latch);
  options.max_running_lines = 2;
  const BatchRecord batch = env.create(5);
  auto runner = BatchRunner::start(*env.store, *env.files, executor, std::move(options));
  ASSERT_TRUE(runner.ok());
  executor.wait_for_starts(2);
  executor.finish(0);
  ASSERT_TRUE(latch.wait_until([&] {
    auto now = env.store->get(batch.id);
    return now.ok() && now->n_completed == 1;
  }));
  ASSERT_TRUE(env.store->request_cancel(batch.id).ok());
  (*runner)->notify();
  ASSERT_TRUE(latch.wait_until([&] { return env.status_of(batch.id) == BatchStatus::kCancelled; }));
  auto done = env.store->get(batch.id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->n_completed, 1);
  EXPECT_TRUE(done->cancelled_at_s.has_value());
  ASSERT_TRUE(done->output_file_id.has_value());
  auto output = env.files->read(*done->output_file_id, "", 1 << 20);
  ASSERT_TRUE(output.ok());
  EXPECT_EQ(*output, "out-c0\n");
}

TEST(BatchRunner, RetriedLinesRunAgainAndStoppedLinesAreNotCommitted) {
  Env env;
  ASSERT_TRUE(env.store && env.files);
  const BatchRecord batch = env.create(4);
  {
    // A runner stopped with lines running: nothing of them is committed.
    GateExecutor gated(/*auto_finish=*/false);
    PassLatch latch;
    auto runner = BatchRunner::start(*env.store, *env.files, gated, env.options(latch));
    ASSERT_TRUE(runner.ok());
    gated.wait_for_starts(4);
    (*runner)->stop();
    auto after = env.store->get(batch.id);
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(after->n_completed, 0);
  }
  // The next runner runs every line (the first start of each is a retry outcome).
  GateExecutor executor(/*auto_finish=*/true);
  executor.retry_first_start();
  PassLatch latch;
  auto runner = BatchRunner::start(*env.store, *env.files, executor, env.options(latch));
  ASSERT_TRUE(runner.ok());
  ASSERT_TRUE(latch.wait_until([&] { return env.status_of(batch.id) == BatchStatus::kCompleted; }));
  auto done = env.store->get(batch.id);
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->n_completed, 4);
  for (int idx = 0; idx < 4; ++idx) EXPECT_EQ(executor.n_starts_of(idx), 2);
  auto output = env.files->read(*done->output_file_id, "", 1 << 20);
  ASSERT_TRUE(output.ok());
  EXPECT_EQ(*output, "out-c0\nout-c1\nout-c2\nout-c3\n");
}

TEST(BatchRunner, ExpiresPastItsWindow) {
  Env env;
  ASSERT_TRUE(env.store && env.files);
  GateExecutor executor(/*auto_finish=*/true);
  PassLatch latch;
  BatchRunnerOptions options = env.options(latch);
  auto policy = parse_window_policy({"22:00-06:00"}, "");
  ASSERT_TRUE(policy.ok());
  options.windows = *policy;  // noon: nothing runs
  const BatchRecord batch = env.create(2);
  env.db.now_ms->fetch_add(int64_t{25} * kHourMs);
  auto runner = BatchRunner::start(*env.store, *env.files, executor, std::move(options));
  ASSERT_TRUE(runner.ok());
  ASSERT_TRUE(latch.wait_until([&] { return env.status_of(batch.id) == BatchStatus::kExpired; }));
  EXPECT_EQ(executor.n_started(), 0u);
  auto done = env.store->get(batch.id);
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(done->expired_at_s.has_value());
  EXPECT_FALSE(done->output_file_id.has_value());
}

}  // namespace
}  // namespace hearth::jobs
