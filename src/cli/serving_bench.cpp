#include "cli/serving_bench.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "cli/bench.h"
#include "cli/flag_range.h"
#include "infer/llama_forward.h"
#include "infer/rng.h"

namespace hearth::cli {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr int64_t kStreamPrompt = 16;       // prompt tokens of each stream in the decode test
constexpr int64_t kMaxBatchTokens = 65536;  // infer::Scheduler's bounds on max_batch_tokens and n_threads
constexpr int64_t kMaxThreads = 1024;
constexpr int64_t kMaxStreams = 16;  // bench_command sizes the scheduler's max_seqs for 16 streams

// Records when a request's first token came and when it finished.
class Probe : public infer::SequenceObserver {
 public:
  void on_token(const infer::TokenEvent&) override {
    std::lock_guard lock(mu_);
    if (!first_token_) first_token_ = Clock::now();
    ++n_tokens_;
    cv_.notify_all();
  }
  void on_finish(const infer::FinishEvent& event) override {
    std::lock_guard lock(mu_);
    finished_ = Clock::now();
    ttft_ms_ = event.ttft_ms;
    error_ = event.error;
    cv_.notify_all();
  }
  // Waits for the first token (or the finish). False on timeout.
  bool wait_first_token(std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return first_token_ || finished_; });
  }
  bool wait_finished(std::chrono::seconds timeout) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [this] { return finished_.has_value(); });
  }
  Clock::time_point first_token() {
    std::lock_guard lock(mu_);
    return first_token_.value_or(Clock::now());
  }
  Clock::time_point finished() {
    std::lock_guard lock(mu_);
    return finished_.value_or(Clock::now());
  }
  int64_t n_tokens() {
    std::lock_guard lock(mu_);
    return n_tokens_;
  }
  double ttft_ms() {
    std::lock_guard lock(mu_);
    return ttft_ms_;
  }
  Status error() {
    std::lock_guard lock(mu_);
    return error_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<Clock::time_point> first_token_;
  std::optional<Clock::time_point> finished_;
  int64_t n_tokens_ = 0;
  double ttft_ms_ = 0;
  Status error_;
};

constexpr auto kTimeout = std::chrono::seconds(900);

class Bench {
 public:
  Bench(infer::Scheduler& scheduler, int64_t n_vocab) : scheduler_(scheduler), n_vocab_(n_vocab), rng_(20261126) {}

  std::vector<int32_t> random_prompt(int64_t n) {
    std::vector<int32_t> ids(static_cast<size_t>(n));
    for (int32_t& id : ids) id = static_cast<int32_t>(rng_.next_u64() % static_cast<uint64_t>(n_vocab_));
    return ids;
  }

  struct Running {
    std::shared_ptr<Probe> probe;
    std::shared_ptr<infer::SequenceHandle> handle;
  };

  Result<Running> start(std::vector<int32_t> prompt, int32_t max_tokens, infer::Priority priority) {
    infer::SequenceRequest request;
    request.prompt = std::move(prompt);
    request.params.max_tokens = max_tokens;
    request.params.sampling.temperature = 0.0f;
    request.params.ignore_eos = true;
    request.priority = priority;
    auto probe = std::make_shared<Probe>();
    HEARTH_ASSIGN_OR_RETURN(auto handle, scheduler_.submit(std::move(request), probe));
    return Running{probe, handle};
  }

  // TTFT of one max_tokens-1 request, as the scheduler measured it.
  Result<double> ttft(std::vector<int32_t> prompt) {
    HEARTH_ASSIGN_OR_RETURN(Running run, start(std::move(prompt), 1, infer::Priority::kInteractive));
    if (!run.probe->wait_finished(kTimeout)) return internal_error("a TTFT request did not finish");
    HEARTH_RETURN_IF_ERROR(run.probe->error());
    return run.probe->ttft_ms();
  }

  static void stop_all(std::vector<Running>& runs) {
    for (Running& run : runs) run.handle->cancel();
    for (Running& run : runs) run.probe->wait_finished(kTimeout);
    runs.clear();
  }

 private:
  infer::Scheduler& scheduler_;
  int64_t n_vocab_;
  infer::Rng rng_;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

Status validate_serving_bench_options(const ServingBenchOptions& options) {
  const infer::SchedulerOptions& scheduler = options.scheduler;
  HEARTH_RETURN_IF_ERROR(check_flag_range("--ctx", scheduler.n_ctx, 1, infer::InferContext::kMaxContext));
  HEARTH_RETURN_IF_ERROR(check_flag_range("--max-batch-tokens", scheduler.max_batch_tokens, 1, kMaxBatchTokens));
  HEARTH_RETURN_IF_ERROR(check_flag_range("--threads", scheduler.n_threads, 0, kMaxThreads));
  HEARTH_RETURN_IF_ERROR(check_flag_range("--prompt-tokens", options.n_prompt, 1, scheduler.n_ctx - 1));
  HEARTH_RETURN_IF_ERROR(check_flag_range("--gen-tokens", options.n_gen, 1, scheduler.n_ctx - kStreamPrompt));
  HEARTH_RETURN_IF_ERROR(check_flag_range("--shared-tokens", options.n_shared, 0, options.n_prompt - 1));
  HEARTH_RETURN_IF_ERROR(check_flag_range("--reps", options.n_reps, 1, kMaxBenchReps));
  if (options.stream_counts.empty()) return invalid_argument_error("--streams needs at least one count");
  for (const int32_t n_streams : options.stream_counts) {
    HEARTH_RETURN_IF_ERROR(check_flag_range("--streams", n_streams, 1, kMaxStreams));
  }
  return ok_status();
}

Result<ServingBenchResult> run_serving_bench(const infer::LlamaModel& model, const text::Tokenizer& tokenizer,
                                             const ServingBenchOptions& options) {
  HEARTH_RETURN_IF_ERROR(validate_serving_bench_options(options));
  HEARTH_ASSIGN_OR_RETURN(auto scheduler, infer::Scheduler::create(model, tokenizer, options.scheduler));
  Bench bench(*scheduler, model.config().n_vocab);
  ServingBenchResult result;
  const int64_t n_ctx = options.scheduler.n_ctx;

  // Warm-up: page the weights in.
  HEARTH_RETURN_IF_ERROR(bench.ttft(bench.random_prompt(64)).status());

  for (const int32_t n_streams : options.stream_counts) {
    std::vector<Bench::Running> runs;
    for (int32_t idx = 0; idx < n_streams; ++idx) {
      HEARTH_ASSIGN_OR_RETURN(Bench::Running run, bench.start(bench.random_prompt(kStreamPrompt), options.n_gen,
                                                              infer::Priority::kInteractive));
      runs.push_back(run);
    }
    Clock::time_point first = Clock::time_point::max();
    Clock::time_point last = Clock::time_point::min();
    int64_t n_decoded = 0;
    for (Bench::Running& run : runs) {
      if (!run.probe->wait_finished(kTimeout)) return internal_error("a stream did not finish");
      HEARTH_RETURN_IF_ERROR(run.probe->error());
      first = std::min(first, run.probe->first_token());
      last = std::max(last, run.probe->finished());
      n_decoded += run.probe->n_tokens() - 1;
    }
    const double seconds = std::chrono::duration<double>(last - first).count();
    StreamsResult streams;
    streams.n_streams = n_streams;
    streams.aggregate_tps = seconds > 0 ? static_cast<double>(n_decoded) / seconds : 0.0;
    streams.per_stream_tps = streams.aggregate_tps / n_streams;
    result.streams.push_back(streams);
  }

  std::vector<double> idle, busy, prefix, under_batch;
  for (int32_t rep = 0; rep < options.n_reps; ++rep) {
    HEARTH_ASSIGN_OR_RETURN(double ms, bench.ttft(bench.random_prompt(options.n_prompt)));
    idle.push_back(ms);
  }
  {
    std::vector<Bench::Running> runs;
    const auto n_long = static_cast<int32_t>(n_ctx - kStreamPrompt);
    for (int idx = 0; idx < 8; ++idx) {
      HEARTH_ASSIGN_OR_RETURN(Bench::Running run,
                              bench.start(bench.random_prompt(kStreamPrompt), n_long, infer::Priority::kInteractive));
      runs.push_back(run);
    }
    for (Bench::Running& run : runs) run.probe->wait_first_token(kTimeout);
    for (int32_t rep = 0; rep < options.n_reps; ++rep) {
      HEARTH_ASSIGN_OR_RETURN(double ms, bench.ttft(bench.random_prompt(options.n_prompt)));
      busy.push_back(ms);
    }
    Bench::stop_all(runs);
  }
  for (int32_t rep = 0; rep < options.n_reps; ++rep) {
    std::vector<int32_t> earlier = bench.random_prompt(options.n_prompt);
    HEARTH_RETURN_IF_ERROR(bench.ttft(earlier).status());
    std::vector<int32_t> later(earlier.begin(), earlier.begin() + options.n_shared);
    const std::vector<int32_t> tail = bench.random_prompt(options.n_prompt - options.n_shared);
    later.insert(later.end(), tail.begin(), tail.end());
    HEARTH_ASSIGN_OR_RETURN(double ms, bench.ttft(later));
    prefix.push_back(ms);
  }
  {
    std::vector<Bench::Running> runs;
    const auto n_batch_gen = static_cast<int32_t>(std::min<int64_t>(256, n_ctx - options.n_prompt));
    for (int idx = 0; idx < 16; ++idx) {
      HEARTH_ASSIGN_OR_RETURN(Bench::Running run,
                              bench.start(bench.random_prompt(options.n_prompt), n_batch_gen, infer::Priority::kBatch));
      runs.push_back(run);
    }
    // Let the batch work get under way (its prefill saturates the engine).
    std::this_thread::sleep_for(500ms);
    for (int32_t rep = 0; rep < options.n_reps; ++rep) {
      HEARTH_ASSIGN_OR_RETURN(double ms, bench.ttft(bench.random_prompt(options.n_prompt)));
      under_batch.push_back(ms);
    }
    Bench::stop_all(runs);
  }
  result.ttft_idle_ms = median(idle);
  result.ttft_busy_ms = median(busy);
  result.ttft_prefix_ms = median(prefix);
  result.ttft_under_batch_ms = median(under_batch);
  return result;
}

}  // namespace hearth::cli
