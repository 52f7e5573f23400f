#include "api/batch_line_executor.h"

#include <mutex>
#include <optional>
#include <vector>

#include "api/embeddings.h"
#include "api/generation_job.h"
#include "api/json_fields.h"
#include "api/json_output.h"
#include "api/model_lease_wait.h"
#include "api/openai_errors.h"
#include "api/request_ids.h"
#include "api/sequence_channel.h"
#include "base/clock.h"

namespace hearth::api {
namespace {

// FNV-1a: a stable 64-bit hash (std::hash may differ between builds).
uint64_t line_seed(const std::string& batch_id, int64_t line_idx) {
  uint64_t hash = 1469598103934665603ULL;
  const std::string key = batch_id + ":" + std::to_string(line_idx);
  for (char c : key) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

jobs::LineOutcome retry_outcome(std::string why) {
  jobs::LineOutcome outcome;
  outcome.retry = true;
  outcome.retry_reason = std::move(why);
  return outcome;
}

// Whether a failure is the node's state rather than the line's: run it again later.
bool is_transient(const Status& status) {
  return status.code() == ErrorCode::kUnavailable || status.code() == ErrorCode::kResourceExhausted;
}

// A run whose outcome is known at start.
class DoneRun : public jobs::LineRun {
 public:
  explicit DoneRun(jobs::LineOutcome outcome) : outcome_(std::move(outcome)) {}
  std::optional<jobs::LineOutcome> poll() override { return std::exchange(outcome_, std::nullopt); }
  void cancel() override {}

 private:
  std::optional<jobs::LineOutcome> outcome_;
};

// Copies a sequence's events on the engine thread and wakes the runner once, at the end.
class LineObserver : public infer::SequenceObserver {
 public:
  LineObserver(bool with_logprobs, std::function<void()> wake)
      : with_logprobs_(with_logprobs), wake_(std::move(wake)) {}

  void on_token(const infer::TokenEvent& event) override {
    std::lock_guard<std::mutex> lock(mutex_);
    try {
      TokenOutput token;
      token.text = std::string(event.text);
      if (with_logprobs_) {
        token.token = event.token;
        token.top_logprobs.assign(event.top_logprobs.begin(), event.top_logprobs.end());
      }
      tokens_.push_back(std::move(token));
    } catch (...) {
      lost_ = true;
    }
  }

  void on_finish(const infer::FinishEvent& event) override {
    std::function<void()> wake;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      try {
        FinishOutput finish;
        finish.reason = event.reason;
        finish.text = std::string(event.text);
        finish.error = event.error;
        finish.n_prompt_tokens = event.n_prompt_tokens;
        finish.n_cached_prompt_tokens = event.n_cached_prompt_tokens;
        finish.n_generated_tokens = event.n_generated_tokens;
        finish.stop_index = event.stop_index;
        finish.ttft_ms = event.ttft_ms;
        finish.total_ms = event.total_ms;
        finish_ = std::move(finish);
      } catch (...) {
        lost_ = true;
        finish_.emplace();
        finish_->reason = infer::FinishReason::kCancelled;
      }
      wake = wake_;
    }
    if (wake) wake();
  }

  // Everything, once finished.
  bool take(std::vector<TokenOutput>* tokens, FinishOutput* finish, bool* lost) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!finish_) return false;
    *tokens = std::move(tokens_);
    *finish = std::move(*finish_);
    *lost = lost_;
    finish_.reset();
    return true;
  }

  void detach() {
    std::lock_guard<std::mutex> lock(mutex_);
    wake_ = nullptr;
  }

 private:
  const bool with_logprobs_;
  std::mutex mutex_;
  std::function<void()> wake_;         // guarded by mutex_
  std::vector<TokenOutput> tokens_;    // guarded by mutex_
  std::optional<FinishOutput> finish_;  // guarded by mutex_
  bool lost_ = false;                  // guarded by mutex_
};

// What every run of a line knows to render its output line and usage row.
struct LineIdentity {
  std::string batch_request_id;  // "batch_req_..."
  std::string response_id;       // "chatcmpl-...", "cmpl-...", "req-..."
  std::string custom_id;
  std::string model;
  std::string key_name;
};

jobs::LineOutcome error_outcome(const LineIdentity& line, const ApiError& error) {
  jobs::LineOutcome outcome;
  outcome.result.success = false;
  outcome.result.output_line =
      render_batch_output_line(line.batch_request_id, line.custom_id, error.http_status, line.response_id,
                               render_error_body(error));
  return outcome;
}

class GenerationRun : public jobs::LineRun {
 public:
  GenerationRun(LineIdentity line, node::ModelLease lease, std::unique_ptr<ResponseRenderer> renderer,
                std::shared_ptr<LineObserver> observer, std::shared_ptr<infer::SequenceHandle> handle,
                ledger::UsageWriter* usage, std::string node_name)
      : line_(std::move(line)),
        lease_(std::move(lease)),
        renderer_(std::move(renderer)),
        observer_(std::move(observer)),
        handle_(std::move(handle)),
        usage_(usage),
        node_name_(std::move(node_name)),
        t_start_ms_(steady_now_ms()) {}

  ~GenerationRun() override {
    handle_->cancel();  // nothing if it finished
    observer_->detach();
  }

  std::optional<jobs::LineOutcome> poll() override {
    std::vector<TokenOutput> tokens;
    FinishOutput finish;
    bool lost = false;
    if (!observer_->take(&tokens, &finish, &lost)) return std::nullopt;
    if (lost) return retry_outcome("the server ran out of memory copying the answer");
    if (finish.reason == infer::FinishReason::kCancelled || !finish.error.ok()) {
      if (finish.error.ok() || is_transient(finish.error)) {
        return retry_outcome(finish.error.ok() ? "cancelled" : finish.error.message());
      }
      return error_outcome(line_, api_error(finish.error));
    }
    renderer_->collect(tokens);
    const std::string body = renderer_->response_body(finish);
    if (usage_ != nullptr) {
      ledger::UsageRecord row;
      row.ts_unix_ms = unix_now_ms();
      row.node = node_name_;
      row.key_name = line_.key_name;
      row.model = line_.model;
      row.prompt_tokens = finish.n_prompt_tokens;
      row.completion_tokens = finish.n_generated_tokens;
      row.wall_us = std::max<int64_t>(steady_now_ms() - t_start_ms_, 0) * 1000;
      (void)usage_->record(std::move(row));  // a full queue drops the row (counted there), never the line
    }
    jobs::LineOutcome outcome;
    outcome.result.success = true;
    outcome.result.output_line =
        render_batch_output_line(line_.batch_request_id, line_.custom_id, 200, line_.response_id, body);
    outcome.result.tokens = {finish.n_prompt_tokens, finish.n_cached_prompt_tokens, finish.n_generated_tokens};
    return outcome;
  }

  void cancel() override { handle_->cancel(); }

 private:
  LineIdentity line_;
  node::ModelLease lease_;  // the model stays loaded while the line runs
  std::unique_ptr<ResponseRenderer> renderer_;
  std::shared_ptr<LineObserver> observer_;
  std::shared_ptr<infer::SequenceHandle> handle_;
  ledger::UsageWriter* usage_;
  std::string node_name_;
  int64_t t_start_ms_;
};

// The embedding engine's result, handed from its thread.
struct EmbedSlot {
  std::mutex mutex;
  std::optional<Result<infer::EmbedResult>> result;  // guarded by mutex
  std::function<void()> wake;                        // guarded by mutex
};

class EmbeddingRun : public jobs::LineRun {
 public:
  EmbeddingRun(LineIdentity line, node::ModelLease lease, EmbeddingsRequest request, std::shared_ptr<EmbedSlot> slot)
      : line_(std::move(line)), lease_(std::move(lease)), request_(std::move(request)), slot_(std::move(slot)) {}

  ~EmbeddingRun() override {
    std::lock_guard<std::mutex> lock(slot_->mutex);
    slot_->wake = nullptr;
  }

  std::optional<jobs::LineOutcome> poll() override {
    std::optional<Result<infer::EmbedResult>> result;
    {
      std::lock_guard<std::mutex> lock(slot_->mutex);
      result = std::exchange(slot_->result, std::nullopt);
    }
    if (!result) return std::nullopt;
    if (!result->ok()) {
      if (is_transient(result->status())) return retry_outcome(result->status().message());
      return error_outcome(line_, api_error(result->status()));
    }
    ApiResult<std::string> body = render_embeddings_response(request_, result->value());
    if (!body.ok()) return error_outcome(line_, body.error());
    jobs::LineOutcome outcome;
    outcome.result.success = true;
    outcome.result.output_line =
        render_batch_output_line(line_.batch_request_id, line_.custom_id, 200, line_.response_id, *body);
    outcome.result.tokens.input_tokens = result->value().n_prompt_tokens;
    return outcome;
  }

  // Embedding requests are short and the engine has no cancel: the result is
  // dropped when it lands after the run is gone.
  void cancel() override {}

 private:
  LineIdentity line_;
  node::ModelLease lease_;
  EmbeddingsRequest request_;
  std::shared_ptr<EmbedSlot> slot_;
};

}  // namespace

std::string render_batch_output_line(const std::string& request_id, const std::string& custom_id, int status_code,
                                     const std::string& response_id, const std::string& body) {
  // `body` is already JSON: spliced in rather than parsed and dumped again.
  return "{\"id\":" + dump_json(request_id) + ",\"custom_id\":" + dump_json(custom_id) +
         ",\"response\":{\"status_code\":" + std::to_string(status_code) +
         ",\"request_id\":" + dump_json(response_id) + ",\"body\":" + body + "},\"error\":null}";
}

std::unique_ptr<jobs::LineRun> BatchLineExecutor::start(const jobs::LineTask& task, std::function<void()> wake) {
  RequestIds ids(line_seed(task.batch_id, task.line_idx));
  LineIdentity line;
  line.batch_request_id = ids.next_id("batch_req_");
  line.custom_id = task.custom_id;
  line.key_name = task.key_name;
  const bool embeddings = task.endpoint == "/v1/embeddings";
  const GenerationKind kind = task.endpoint == "/v1/completions" ? GenerationKind::kCompletion : GenerationKind::kChat;
  line.response_id = ids.next_id(embeddings ? "req-" : kind == GenerationKind::kChat ? "chatcmpl-" : "cmpl-");
  const auto done = [&](const ApiError& error) { return std::make_unique<DoneRun>(error_outcome(line, error)); };

  if (embeddings) {
    ApiResult<EmbeddingsRequest> parsed = parse_embeddings_request(task.body);
    if (!parsed.ok()) return done(parsed.error());
    line.model = parsed->model;
    if (std::optional<ApiError> refused =
            model_request_error(models_, parsed->model, model::Capability::kEmbed, "embeddings")) {
      return done(*refused);
    }
    Result<node::ModelLease> lease = models_.acquire(parsed->model, std::nullopt);
    if (!lease.ok()) {
      if (is_transient(lease.status())) return std::make_unique<DoneRun>(retry_outcome(lease.status().message()));
      return done(acquire_error(lease.status(), false));
    }
    ApiResult<infer::EmbedRequest> embed = build_embed_request(*parsed, *(*lease)->tokenizer, (*lease)->n_ctx());
    if (!embed.ok()) return done(embed.error());
    embed->priority = infer::Priority::kBatch;  // yields the node's compute threads to interactive work
    auto slot = std::make_shared<EmbedSlot>();
    slot->wake = std::move(wake);
    Status submitted = (*lease)->engine->embed(std::move(*embed), [slot](Result<infer::EmbedResult> result) {
      std::function<void()> wake_runner;
      {
        std::lock_guard<std::mutex> lock(slot->mutex);
        slot->result = std::move(result);
        wake_runner = slot->wake;
      }
      if (wake_runner) wake_runner();
    });
    if (!submitted.ok()) {
      if (is_transient(submitted)) return std::make_unique<DoneRun>(retry_outcome(submitted.message()));
      return done(api_error(submitted, "input"));
    }
    return std::make_unique<EmbeddingRun>(std::move(line), std::move(*lease), std::move(*parsed), std::move(slot));
  }

  ApiResult<ParsedGeneration> parsed = parse_generation(kind, task.body);
  if (!parsed.ok()) return done(parsed.error());
  line.model = parsed->model();
  if (parsed->generation().stream) {
    return done(invalid_field_error("stream", "stream is not supported in a batch: each line's answer is whole"));
  }
  if (std::optional<ApiError> refused =
          model_request_error(models_, parsed->model(), model::Capability::kGenerate, "text generation")) {
    return done(*refused);
  }
  Result<node::ModelLease> lease = models_.acquire(parsed->model(), parsed->generation().keep_alive_ms);
  if (!lease.ok()) {
    if (is_transient(lease.status())) return std::make_unique<DoneRun>(retry_outcome(lease.status().message()));
    return done(acquire_error(lease.status(), false));
  }
  ApiResult<GenerationJob> job = build_generation_job(*parsed, **lease, line.response_id, unix_now_ms() / 1000, ids);
  if (!job.ok()) return done(job.error());
  job->sequence.priority = infer::Priority::kBatch;
  auto observer = std::make_shared<LineObserver>(job->logprobs, std::move(wake));
  Result<std::shared_ptr<infer::SequenceHandle>> submitted = (*lease)->engine->submit(std::move(job->sequence), observer);
  if (!submitted.ok()) {
    observer->detach();
    if (is_transient(submitted.status())) {
      return std::make_unique<DoneRun>(retry_outcome(submitted.status().message()));
    }
    return done(api_error(submitted.status(), kind == GenerationKind::kCompletion ? "prompt" : "messages"));
  }
  return std::make_unique<GenerationRun>(std::move(line), std::move(*lease), std::move(job->renderer),
                                         std::move(observer), std::move(*submitted), usage_, node_name_);
}

}  // namespace hearth::api
