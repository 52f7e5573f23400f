#include "node/external_engine.h"

#include <algorithm>
#include <chrono>

#include "base/log.h"
#include "infer/generator.h"
#include "infer/stop_matcher.h"

namespace hearth::node {

namespace {

constexpr int64_t kProbeTimeoutMs = 2000;

double ms_between(std::chrono::steady_clock::time_point from, std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

std::string engine_name(const ExternalEngineStart& start) {
  return "model '" + start.id + "' (" + std::string(external_engine_kind_name(start.config.kind)) + ")";
}

}  // namespace

// One submitted sequence: the sink of its stream and the source of its
// observer's events. Lives until its end is handled.
class ExternalEngine::Sequence final : public ExternalStreamSink {
 public:
  Sequence(ExternalEngine* engine, std::shared_ptr<infer::SequenceObserver> observer,
           std::shared_ptr<infer::SequenceHandle> handle, std::vector<std::string> stops, int64_t n_prompt_tokens)
      : engine_(engine),
        observer_(std::move(observer)),
        handle_(std::move(handle)),
        stops_(std::move(stops)),
        n_prompt_tokens_(n_prompt_tokens),
        t_submit_(std::chrono::steady_clock::now()) {}

  const std::shared_ptr<infer::SequenceHandle>& handle() const { return handle_; }

  bool on_piece(ExternalPiece&& piece) override {
    if (handle_->cancelled() || stopped_) return false;
    if (n_pieces_ == 0) t_first_ = std::chrono::steady_clock::now();
    ++n_pieces_;
    infer::StopMatcher::Step step = stops_.push(piece.text);
    if (step.stopped) {
      stopped_ = true;
      stop_index_ = static_cast<int32_t>(step.stop_index);
      if (!step.text.empty()) {
        released_ = std::move(step.text);
        infer::TokenEvent event;
        event.text = released_;
        observer_->on_token(event);
      }
      return false;
    }
    released_ = std::move(step.text);
    infer::TokenEvent event;
    event.text = released_;
    if (piece.has_logprob) {
      event.token = std::move(piece.token);
      top_ = std::move(piece.top_logprobs);
      event.top_logprobs = top_;
    }
    observer_->on_token(event);
    return true;
  }

  void on_end(ExternalEnd&& end) override {
    const auto t_end = std::chrono::steady_clock::now();
    infer::FinishEvent finish;
    std::string tail;
    if (stopped_) {
      finish.reason = infer::FinishReason::kStop;
      finish.stop_index = stop_index_;
    } else if (handle_->cancelled()) {
      finish.reason = infer::FinishReason::kCancelled;
      finish.error = engine_->cancel_status();
    } else if (!end.error.ok()) {
      finish.reason = infer::FinishReason::kCancelled;
      finish.error = end.error;
    } else {
      finish.reason = end.length ? infer::FinishReason::kLength : infer::FinishReason::kStop;
      tail = stops_.flush();
      finish.text = tail;
    }
    const int64_t n_generated = std::max<int64_t>(n_pieces_, end.n_generated_tokens);
    finish.n_prompt_tokens = n_prompt_tokens_;
    finish.n_generated_tokens = n_generated;
    const double ttft_ms = n_pieces_ > 0 ? ms_between(t_submit_, t_first_) : 0.0;
    finish.ttft_ms = ttft_ms;
    finish.total_ms = ms_between(t_submit_, t_end);
    observer_->on_finish(finish);
    // Rates only from answers that ran their course (a stop string counts).
    double prefill_ms = 0.0;
    double decode_ms = 0.0;
    if (n_pieces_ > 0 && (end.error.ok() || stopped_) && !handle_->cancelled()) {
      prefill_ms = end.prompt_ms > 0.0 ? end.prompt_ms : ttft_ms;
      decode_ms = end.decode_ms > 0.0 ? end.decode_ms : finish.total_ms - ttft_ms;
    }
    engine_->finished(this, n_prompt_tokens_, n_generated, prefill_ms, decode_ms);
  }

 private:
  ExternalEngine* engine_;
  std::shared_ptr<infer::SequenceObserver> observer_;
  std::shared_ptr<infer::SequenceHandle> handle_;
  infer::StopMatcher stops_;
  const int64_t n_prompt_tokens_;
  const std::chrono::steady_clock::time_point t_submit_;
  // The client's thread only.
  std::chrono::steady_clock::time_point t_first_;
  int64_t n_pieces_ = 0;
  bool stopped_ = false;
  int32_t stop_index_ = -1;
  std::string released_;                  // backs the TokenEvent's text
  std::vector<infer::TokenLogprob> top_;  // backs its top_logprobs
};

Result<std::unique_ptr<ExternalEngine>> ExternalEngine::start(ExternalEngineStart&& start,
                                                              const text::Tokenizer& tokenizer,
                                                              const ExternalClientFactory& client_factory) {
  if (!client_factory) return failed_precondition_error("no client for external engines was configured");
  std::unique_ptr<ExternalEngine> engine(new ExternalEngine(std::move(start), tokenizer));
  engine->client_ = client_factory();
  ExternalEngine* raw = engine.get();
  ExternalProcessOptions options;
  options.name = engine_name(raw->start_);
  options.argv = [raw](int port) -> Result<std::vector<std::string>> {
    ExternalLaunch launch;
    launch.file = raw->start_.path;
    launch.id = raw->start_.id;
    launch.port = port;
    launch.n_ctx = raw->start_.n_ctx;
    launch.n_parallel = raw->start_.n_parallel;
    return expand_external_command(raw->start_.config, launch);
  };
  options.probe = [raw](int port) { return raw->client_->probe(port, raw->start_.config.ready_path, kProbeTimeoutMs); };
  options.ready_timeout_ms = raw->start_.config.ready_timeout_ms;
  options.restart_backoff_ms = raw->start_.config.restart_backoff_ms;
  options.restart_backoff_max_ms = raw->start_.config.restart_backoff_max_ms;
  options.on_ready = [raw](int) { raw->measure_overhead(); };
  HEARTH_ASSIGN_OR_RETURN(engine->process_, ExternalProcess::start(std::move(options)));
  engine->measure_overhead();
  return engine;
}

ExternalEngine::~ExternalEngine() {
  bool busy = false;
  {
    std::lock_guard lock(mutex_);
    busy = !running_.empty();
  }
  if (busy) drain(0, "the model is being unloaded");
  process_.reset();  // stops the process before the client goes
}

void ExternalEngine::measure_overhead() {
  const std::optional<int64_t> anon_bytes = process_ ? process_->resident_anon_bytes() : std::nullopt;
  if (!anon_bytes) return;
  const int64_t beyond_plan = *anon_bytes - start_.plan.kv_bytes - start_.plan.scratch_bytes;
  int64_t previous = measured_overhead_bytes_.load();
  while (beyond_plan > previous && !measured_overhead_bytes_.compare_exchange_weak(previous, beyond_plan)) {
  }
}

infer::EngineMemory ExternalEngine::memory() const {
  infer::EngineMemory memory;
  memory.weights_bytes = start_.plan.weights_bytes;
  memory.cache_bytes = start_.plan.kv_bytes;
  // The process's runtime is counted with its working buffers.
  memory.scratch_bytes =
      start_.plan.scratch_bytes + std::max(start_.plan.overhead_bytes, measured_overhead_bytes_.load());
  return memory;
}

infer::EngineStats ExternalEngine::stats() const {
  std::lock_guard lock(mutex_);
  infer::EngineStats stats = stats_;
  stats.n_running = static_cast<int32_t>(running_.size());
  stats.prefill_tps = prefill_s_total_ > 0.0 ? static_cast<double>(n_rated_prompt_tokens_) / prefill_s_total_ : 0.0;
  stats.decode_tps = decode_s_total_ > 0.0 ? static_cast<double>(n_rated_decode_tokens_) / decode_s_total_ : 0.0;
  return stats;
}

Status ExternalEngine::cancel_status() const {
  std::lock_guard lock(mutex_);
  if (draining_) return unavailable_error(drain_reason_);
  return ok_status();
}

Result<std::shared_ptr<infer::SequenceHandle>> ExternalEngine::submit(
    infer::SequenceRequest&& request, std::shared_ptr<infer::SequenceObserver> observer) {
  if (!model::has_capability(start_.capabilities, model::Capability::kGenerate)) {
    return infer::missing_capability_error("text generation", model::Capability::kGenerate, start_.capabilities);
  }
  if (request.grammar) {
    return failed_precondition_error("structured output (a JSON schema) is not available for the model '" + start_.id +
                                     "': it is served by an external engine (" +
                                     std::string(external_engine_kind_name(start_.config.kind)) + ")");
  }
  HEARTH_RETURN_IF_ERROR(
      infer::validate_generate_request(request.prompt, request.params, start_.n_ctx, tokenizer_.n_vocab()));
  if (request.n_top_logprobs < -1 || request.n_top_logprobs > 20) {
    return invalid_argument_error("top_logprobs " + std::to_string(request.n_top_logprobs) + " is outside [0, 20]");
  }

  ExternalGeneration generation;
  generation.kind = start_.config.kind;
  generation.served_model = start_.config.served_model.empty() ? start_.id : start_.config.served_model;
  generation.prompt_form = start_.config.prompt_form;
  if (generation.prompt_form == ExternalPromptForm::kText) {
    generation.prompt_text = tokenizer_.decode(request.prompt, /*skip_special=*/false);
  }
  generation.max_tokens = request.params.max_tokens;
  generation.sampling = request.params.sampling;
  generation.ignore_eos = request.params.ignore_eos;
  generation.n_top_logprobs = request.n_top_logprobs;
  generation.stall_timeout_ms = start_.config.stall_timeout_ms;
  const int64_t n_prompt_tokens = static_cast<int64_t>(request.prompt.size());
  if (generation.prompt_form == ExternalPromptForm::kTokens) generation.prompt_ids = std::move(request.prompt);

  auto handle = std::make_shared<infer::SequenceHandle>();
  auto sequence =
      std::make_shared<Sequence>(this, std::move(observer), handle, std::move(request.params.stop), n_prompt_tokens);
  {
    std::lock_guard lock(mutex_);
    if (draining_) return unavailable_error(drain_reason_);
    const std::optional<int> port = process_->ready_port();
    if (!port) {
      const std::string last_exit = process_->last_exit();
      return unavailable_error("the engine of the model '" + start_.id + "' (" +
                               std::string(external_engine_kind_name(start_.config.kind)) + ") is restarting" +
                               (last_exit.empty() ? std::string() : " (it " + last_exit + ")") + "; retry shortly");
    }
    generation.port = *port;
    running_.push_back(sequence);
  }
  client_->generate(std::move(generation), handle, sequence);
  return handle;
}

void ExternalEngine::finished(Sequence* sequence, int64_t n_prompt_tokens, int64_t n_generated_tokens,
                              double prefill_ms, double decode_ms) {
  std::lock_guard lock(mutex_);
  stats_.n_prompt_tokens_total += n_prompt_tokens;
  stats_.n_generated_tokens_total += n_generated_tokens;
  if (prefill_ms > 0.0) {
    prefill_s_total_ += prefill_ms / 1000.0;
    n_rated_prompt_tokens_ += n_prompt_tokens;
  }
  // The first token came with the prefill; the rest are decode.
  if (decode_ms > 0.0 && n_generated_tokens > 1) {
    decode_s_total_ += decode_ms / 1000.0;
    n_rated_decode_tokens_ += n_generated_tokens - 1;
  }
  std::erase_if(running_, [sequence](const std::shared_ptr<Sequence>& running) { return running.get() == sequence; });
  if (running_.empty()) idle_cv_.notify_all();
}

int32_t ExternalEngine::drain(int64_t timeout_ms, std::string_view reason) {
  std::unique_lock lock(mutex_);
  draining_ = true;
  drain_reason_ = std::string(reason);
  idle_cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(0, timeout_ms)),
                    [this] { return running_.empty(); });
  const int32_t n_cancelled = static_cast<int32_t>(running_.size());
  for (const std::shared_ptr<Sequence>& sequence : running_) sequence->handle()->cancel();
  // The client ends a cancelled stream within its poll interval.
  idle_cv_.wait(lock, [this] { return running_.empty(); });
  return n_cancelled;
}

}  // namespace hearth::node
