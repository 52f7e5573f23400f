// BatchRunner: the thread that works through the batch queue in hearth.db
// (jobs/batch_store.h). It runs up to max_running_lines lines at once through
// a LineExecutor (at the engine's batch priority, behind interactive
// requests), only while the windows allow (jobs/batch_window.h), commits each
// finished line exactly once, and ends batches: when no line is left
// (finalizing, the output and error files written through the FileStore,
// completed), on cancel (running lines stopped, the done ones kept,
// cancelled) and past expires_at (expired, likewise).
//
// Restart: nothing lives only in memory. A line that was running when the
// process died was never committed and runs again; a batch found finalizing
// writes its files again (same ids, same bytes) and completes.
//
//   BatchRunnerOptions options;
//   options.windows = policy;
//   HEARTH_ASSIGN_OR_RETURN(auto runner, BatchRunner::start(store, files, executor, options));
//   runner->notify();            // after a create or a cancel
//   runner->note_interactive();  // every interactive request (the idle rule)
//   runner->stop();              // before the executor's models go away
//
// Thread-safety: notify(), note_interactive() and stop() from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "base/status.h"
#include "jobs/batch_store.h"
#include "jobs/batch_window.h"
#include "jobs/file_store.h"
#include "jobs/line_executor.h"

namespace hearth::jobs {

// One pass of the runner's loop, for tests and status.
struct RunnerPass {
  int64_t n_running = 0;  // lines running after the pass
  int64_t n_started = 0;  // lines started in the pass
  int64_t n_committed = 0;
  bool window_open = false;  // the server's policy allowed work at the pass's moment
};

struct BatchRunnerOptions {
  BatchWindowPolicy windows;
  int32_t max_running_lines = 4;
  // How long a line waits before it runs again after a retry outcome.
  int64_t retry_delay_ms = 1000;
  // The longest the loop sleeps with nothing to wake it (windows are
  // re-checked at least this often).
  int64_t max_sleep_ms = 60'000;
  std::function<int64_t()> now_unix_ms;     // default: base/clock.h unix_now_ms
  std::function<int64_t()> now_steady_ms;   // default: steady_now_ms
  std::function<int64_t(int64_t)> ms_of_day;  // local time of day of a Unix time; default local_ms_of_day
  // Called on the runner's thread after each pass (tests latch on it).
  std::function<void(const RunnerPass&)> on_pass;
  // Called with each error the loop met and carried on after (a store error,
  // a file that could not be written); default: the log.
  std::function<void(const Status&)> on_error;
};

class BatchRunner {
 public:
  // The stores and the executor must outlive the runner (stop() first).
  static Result<std::unique_ptr<BatchRunner>> start(BatchStore& store, FileStore& files, LineExecutor& executor,
                                                    BatchRunnerOptions options);
  ~BatchRunner();
  BatchRunner(const BatchRunner&) = delete;
  BatchRunner& operator=(const BatchRunner&) = delete;

  // Something changed in the store (a batch created or cancelled): look now.
  void notify();
  // An interactive request arrived: the idle rule's clock starts again.
  void note_interactive();
  // Stops the loop: running lines are cancelled and not committed (they run
  // again at the next start). Idempotent.
  void stop();

  const BatchWindowPolicy& windows() const { return options_.windows; }

 private:
  struct Running;
  BatchRunner(BatchStore& store, FileStore& files, LineExecutor& executor, BatchRunnerOptions options);
  void loop();
  RunnerPass pass(std::vector<Running>& running);
  Status finalize(const BatchRecord& batch, BatchStatus final_status);
  void report(const Status& status);

  BatchStore& store_;
  FileStore& files_;
  LineExecutor& executor_;
  BatchRunnerOptions options_;
  std::atomic<int64_t> last_interactive_steady_ms_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool woken_ = false;     // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  std::map<std::pair<std::string, int64_t>, int64_t> retry_at_steady_ms_;  // runner thread only
  int64_t next_retry_steady_ms_ = 0;                                      // runner thread only; 0: none
  std::thread thread_;
};

}  // namespace hearth::jobs
