// The batch runner's LineExecutor on this node: a line's body is read as the
// request its endpoint takes (chat or text completion, embeddings; every
// check an HTTP request gets), run on the model's engine at batch priority
// (interactive requests go first: infer/scheduler.h), and rendered as one
// line of OpenAI's batch output format:
//   {"id":"batch_req_...","custom_id":...,"response":{"status_code":200,"request_id":...,"body":{...}},"error":null}
// A request that fails (a bad body, an unknown model, an engine error) is a
// line of the error file with its HTTP status and OpenAI error body. A line
// stopped by something not its own (the node shutting down, a model busy
// loading others, a full queue, a cancel) is a retry: not committed, run
// again later.
// ref: https://platform.openai.com/docs/api-reference/batch/request-output
//
// Reproducible: a line without a seed gets one derived from its batch id and
// line number, as do its response ids, so running a line again (after a
// crash) gives the same output.
//
// Lines run only on this node's own engines: a batch never reaches a cloud
// provider, whatever its data class. Each finished line's tokens go to the
// usage ledger under the batch's key.
//
// Thread-safety: start(), poll() and cancel() on the runner's thread; the
// engine's callbacks on its own thread only copy and wake.
#pragma once

#include <memory>
#include <string>

#include "jobs/line_executor.h"
#include "ledger/usage_writer.h"
#include "node/model_manager.h"

namespace hearth::api {

class BatchLineExecutor : public jobs::LineExecutor {
 public:
  // `models` and `usage` (null: no usage rows) must outlive the executor and its runs.
  BatchLineExecutor(node::ModelManager& models, ledger::UsageWriter* usage, std::string node_name)
      : models_(models), usage_(usage), node_name_(std::move(node_name)) {}

  std::unique_ptr<jobs::LineRun> start(const jobs::LineTask& task, std::function<void()> wake) override;

 private:
  node::ModelManager& models_;
  ledger::UsageWriter* usage_;
  std::string node_name_;
};

// One output line for `body` (a JSON response or error body) with its status.
std::string render_batch_output_line(const std::string& request_id, const std::string& custom_id, int status_code,
                                     const std::string& response_id, const std::string& body);

}  // namespace hearth::api
