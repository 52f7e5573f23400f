// What runs one batch line: the API layer implements it (it reads the line's
// JSON body, runs it on the node's engine at batch priority and renders the
// output line), so the runner (jobs/batch_runner.h) never sees JSON.
//
//   std::unique_ptr<LineRun> run = executor.start(task, [&] { runner_wake(); });
//   ... later, on the runner's thread: if (std::optional<LineOutcome> outcome = run->poll()) commit(*outcome);
//
// Thread-safety: start() and a run's poll()/cancel() are called on the
// runner's thread only; `wake` may be called from any thread and must not
// block.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "jobs/batch_store.h"

namespace hearth::jobs {

struct LineTask {
  std::string batch_id;
  int64_t line_idx = 0;
  std::string custom_id;
  std::string endpoint;    // the batch's endpoint: every line's url
  std::string body;        // the line's request body
  std::string key_name;    // the batch's key ("" without one)
  std::string data_class;  // the batch's data class: where its lines may run
};

struct LineOutcome {
  // True: the line did not finish for a reason that is not its own (the node
  // is shutting down, the model is busy, the line was cancelled): it is not
  // committed and runs again later. `result` is then unused.
  bool retry = false;
  std::string retry_reason;
  LineResult result;
};

// One line being run. Destroying it cancels it if it has not finished.
class LineRun {
 public:
  virtual ~LineRun() = default;
  // nullopt while it runs; its outcome once (then nullopt again).
  virtual std::optional<LineOutcome> poll() = 0;
  // Asks it to stop; poll() then gives a retry outcome (or its result, when it finished first).
  virtual void cancel() = 0;
};

class LineExecutor {
 public:
  virtual ~LineExecutor() = default;
  // Starts `task`; may block while the line's model loads. `wake` is called
  // when poll() has the outcome. A line that fails at once returns a run
  // whose poll() has the outcome already.
  virtual std::unique_ptr<LineRun> start(const LineTask& task, std::function<void()> wake) = 0;
};

}  // namespace hearth::jobs
