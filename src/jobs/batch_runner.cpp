#include "jobs/batch_runner.h"

#include <algorithm>
#include <set>

#include "base/clock.h"
#include "base/log.h"

namespace hearth::jobs {

struct BatchRunner::Running {
  std::string batch_id;
  int64_t line_idx = 0;
  std::unique_ptr<LineRun> run;
};

namespace {

std::string output_file_id(const BatchRecord& batch, std::string_view what) {
  return "file-" + batch.id.substr(std::string_view("batch_").size()) + "_" + std::string(what);
}

}  // namespace

Result<std::unique_ptr<BatchRunner>> BatchRunner::start(BatchStore& store, FileStore& files, LineExecutor& executor,
                                                        BatchRunnerOptions options) {
  if (options.max_running_lines < 1) return invalid_argument_error("max_running_lines must be at least 1");
  if (options.retry_delay_ms < 0 || options.max_sleep_ms < 1) {
    return invalid_argument_error("retry_delay_ms must be >= 0 and max_sleep_ms >= 1");
  }
  if (!options.now_unix_ms) options.now_unix_ms = unix_now_ms;
  if (!options.now_steady_ms) options.now_steady_ms = steady_now_ms;
  if (!options.ms_of_day) options.ms_of_day = local_ms_of_day;
  std::unique_ptr<BatchRunner> runner(new BatchRunner(store, files, executor, std::move(options)));
  runner->thread_ = std::thread([raw = runner.get()] { raw->loop(); });
  return runner;
}

BatchRunner::BatchRunner(BatchStore& store, FileStore& files, LineExecutor& executor, BatchRunnerOptions options)
    : store_(store),
      files_(files),
      executor_(executor),
      options_(std::move(options)),
      last_interactive_steady_ms_(options_.now_steady_ms()) {}

BatchRunner::~BatchRunner() { stop(); }

void BatchRunner::notify() {
  std::lock_guard<std::mutex> lock(mutex_);
  woken_ = true;
  cv_.notify_one();
}

void BatchRunner::note_interactive() {
  last_interactive_steady_ms_.store(options_.now_steady_ms(), std::memory_order_relaxed);
}

void BatchRunner::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    cv_.notify_one();
  }
  if (thread_.joinable()) thread_.join();
}

void BatchRunner::report(const Status& status) {
  if (options_.on_error) {
    options_.on_error(status);
  } else {
    log_message(LogLevel::kError, "batch runner: " + status.message());
  }
}

Status BatchRunner::finalize(const BatchRecord& batch, BatchStatus final_status) {
  if (final_status == BatchStatus::kCompleted) HEARTH_RETURN_IF_ERROR(store_.mark_finalizing(batch.id));
  HEARTH_ASSIGN_OR_RETURN(BatchOutputs outputs, store_.outputs(batch.id));
  std::optional<std::string> output_id;
  std::optional<std::string> error_id;
  if (outputs.n_output_lines > 0) {
    HEARTH_ASSIGN_OR_RETURN(StoredFile file, files_.put(output_file_id(batch, "output"), batch.key_name, "batch_output",
                                                        batch.id + "_output.jsonl", outputs.output));
    output_id = file.id;
  }
  if (outputs.n_error_lines > 0) {
    HEARTH_ASSIGN_OR_RETURN(StoredFile file, files_.put(output_file_id(batch, "error"), batch.key_name, "batch_output",
                                                        batch.id + "_error.jsonl", outputs.errors));
    error_id = file.id;
  }
  return store_.finish(batch.id, final_status, std::move(output_id), std::move(error_id));
}

RunnerPass BatchRunner::pass(std::vector<Running>& running) {
  RunnerPass summary;
  // Lines that finished: commit, or schedule again.
  for (auto it = running.begin(); it != running.end();) {
    std::optional<LineOutcome> outcome = it->run->poll();
    if (!outcome) {
      ++it;
      continue;
    }
    if (outcome->retry) {
      const int64_t at = options_.now_steady_ms() + options_.retry_delay_ms;
      retry_at_steady_ms_[{it->batch_id, it->line_idx}] = at;
    } else {
      Result<bool> committed = store_.commit_line(it->batch_id, it->line_idx, outcome->result);
      if (!committed.ok()) {
        report(committed.status());
        retry_at_steady_ms_[{it->batch_id, it->line_idx}] = options_.now_steady_ms() + options_.retry_delay_ms;
      } else if (*committed) {
        ++summary.n_committed;
      }
    }
    it = running.erase(it);
  }

  const int64_t now_steady = options_.now_steady_ms();
  const int64_t now_unix_ms = options_.now_unix_ms();
  const WindowMoment moment{options_.ms_of_day(now_unix_ms),
                            now_steady - last_interactive_steady_ms_.load(std::memory_order_relaxed)};
  summary.window_open = window_open(options_.windows, moment);
  std::erase_if(retry_at_steady_ms_, [&](const auto& entry) { return entry.second <= now_steady; });
  next_retry_steady_ms_ = 0;
  for (const auto& [line, at] : retry_at_steady_ms_) {
    next_retry_steady_ms_ = next_retry_steady_ms_ == 0 ? at : std::min(next_retry_steady_ms_, at);
  }

  Result<std::vector<BatchRecord>> active = store_.active();
  if (!active.ok()) {
    report(active.status());
    summary.n_running = static_cast<int64_t>(running.size());
    return summary;
  }
  for (const BatchRecord& batch : *active) {
    const auto is_mine = [&](const Running& entry) { return entry.batch_id == batch.id; };
    const int64_t n_mine = std::count_if(running.begin(), running.end(), is_mine);
    const bool expired = batch.status == BatchStatus::kInProgress && batch.expires_at_s &&
                         now_unix_ms / 1000 >= *batch.expires_at_s;
    if (batch.status == BatchStatus::kCancelling || expired) {
      // Stop its lines; once none runs, end it with what was done.
      for (Running& entry : running) {
        if (is_mine(entry)) entry.run->cancel();
      }
      if (n_mine == 0) {
        Status ended = finalize(batch, expired ? BatchStatus::kExpired : BatchStatus::kCancelled);
        if (!ended.ok()) report(ended);
      }
      continue;
    }
    if (batch.status == BatchStatus::kFinalizing) {
      Status ended = finalize(batch, BatchStatus::kCompleted);
      if (!ended.ok()) report(ended);
      continue;
    }
    // in_progress
    std::optional<TimeWindow> job_window;
    if (!batch.job_window.empty()) {
      Result<TimeWindow> parsed = parse_time_window(batch.job_window);
      if (parsed.ok()) job_window = *parsed;
    }
    const int64_t capacity = options_.max_running_lines - static_cast<int64_t>(running.size());
    const bool may_start = capacity > 0 && window_open_for_job(options_.windows, job_window, moment);
    // Enough pending lines to fill the capacity past those running or waiting to retry.
    const int64_t n_fetch = (may_start ? capacity : 0) + n_mine + static_cast<int64_t>(retry_at_steady_ms_.size()) + 1;
    Result<std::vector<PendingLine>> pending = store_.pending_lines(batch.id, -1, n_fetch);
    if (!pending.ok()) {
      report(pending.status());
      continue;
    }
    if (pending->empty()) {
      if (n_mine == 0) {
        Status ended = finalize(batch, BatchStatus::kCompleted);
        if (!ended.ok()) report(ended);
      }
      continue;
    }
    if (!may_start) continue;
    std::set<int64_t> mine;
    for (const Running& entry : running) {
      if (is_mine(entry)) mine.insert(entry.line_idx);
    }
    for (PendingLine& line : *pending) {
      if (static_cast<int64_t>(running.size()) >= options_.max_running_lines) break;
      if (mine.contains(line.line_idx) || retry_at_steady_ms_.contains({batch.id, line.line_idx})) continue;
      LineTask task{batch.id,         line.line_idx,  std::move(line.custom_id), batch.endpoint,
                    std::move(line.body), batch.key_name, batch.data_class};
      std::unique_ptr<LineRun> run = executor_.start(task, [this] { notify(); });
      running.push_back(Running{batch.id, line.line_idx, std::move(run)});
      ++summary.n_started;
    }
  }
  summary.n_running = static_cast<int64_t>(running.size());
  return summary;
}

void BatchRunner::loop() {
  std::vector<Running> running;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_) break;
      woken_ = false;
    }
    const RunnerPass summary = pass(running);
    if (options_.on_pass) options_.on_pass(summary);
    // A line started in the pass may have its outcome already (one that failed
    // at once does not wake the runner), and a commit may have freed room:
    // look again before sleeping.
    if (summary.n_started > 0 || summary.n_committed > 0) continue;
    int64_t sleep_ms = options_.max_sleep_ms;
    const int64_t now_steady = options_.now_steady_ms();
    const WindowMoment moment{options_.ms_of_day(options_.now_unix_ms()),
                              now_steady - last_interactive_steady_ms_.load(std::memory_order_relaxed)};
    sleep_ms = std::min(sleep_ms, ms_until_window_change(options_.windows, std::nullopt, moment));
    if (next_retry_steady_ms_ != 0) sleep_ms = std::min(sleep_ms, std::max<int64_t>(next_retry_steady_ms_ - now_steady, 0));
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(sleep_ms, 1)),
                 [this] { return woken_ || stopping_; });
  }
  // Destroying a run cancels its line (the engine ends it at its next step)
  // and nothing of it is committed: it runs again at the next start.
  for (Running& entry : running) entry.run->cancel();
  running.clear();
}

}  // namespace hearth::jobs
