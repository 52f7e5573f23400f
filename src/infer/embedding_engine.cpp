#include "infer/embedding_engine.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "base/thread_pool.h"
#include "infer/batch_forward.h"
#include "infer/encoder_forward.h"
#include "infer/kv_block_pool.h"
#include "model/arch/config_limits.h"
#include "tensor/matmul.h"

namespace hearth::infer {
namespace {

// LlamaConfig::pooling (llama.cpp's llama_pooling_type values).
constexpr int64_t kPoolMean = 1;
constexpr int64_t kPoolCls = 2;
constexpr int64_t kPoolLast = 3;
constexpr int64_t kPoolRank = 4;

// Blocks beyond the longest input and a full step, so a few short inputs
// that end mid-block still share a step with them.
constexpr int64_t kSlackBlocks = 8;

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

Status validate_options(const EmbeddingEngineOptions& options) {
  auto outside = [](const char* name, int64_t value, int64_t lo, int64_t hi) {
    return invalid_argument_error(std::string(name) + " is " + std::to_string(value) + "; it must be in [" +
                                  std::to_string(lo) + ", " + std::to_string(hi) + "]");
  };
  if (options.n_ctx < 1 || options.n_ctx > model::kMaxContext) {
    return outside("n_ctx", options.n_ctx, 1, model::kMaxContext);
  }
  if (options.max_batch_tokens < 1 || options.max_batch_tokens > 65536) {
    return outside("max_batch_tokens", options.max_batch_tokens, 1, 65536);
  }
  if (options.max_queued < 1 || options.max_queued > 1 << 20)
    return outside("max_queued", options.max_queued, 1, 1 << 20);
  if (options.kv_block_tokens < 1 || options.kv_block_tokens > 4096) {
    return outside("kv_block_tokens", options.kv_block_tokens, 1, 4096);
  }
  if (options.kv_dtype != tensor::DType::kF16 && options.kv_dtype != tensor::DType::kF32) {
    return invalid_argument_error("kv_dtype must be f16 or f32");
  }
  return ok_status();
}

// One request as the engine thread holds it.
struct Job {
  EmbedRequest request;
  std::vector<std::vector<int32_t>> segments;  // rerank: per input (empty: all 0)
  EmbedCallback done;
  std::vector<std::vector<float>> vectors;  // per input, filled as each finishes
  size_t n_started = 0;                     // inputs taken into steps
  size_t n_finished = 0;
  int64_t n_tokens = 0;
};
using JobPtr = std::shared_ptr<Job>;

// One input in progress: its positions computed so far and its blocks.
struct ActiveInput {
  JobPtr job;
  size_t input_idx = 0;
  int64_t n_computed = 0;
  int64_t n_chunk = 0;  // positions of this step
  std::vector<int32_t> blocks;
  std::vector<double> pooled;  // mean: the running sum; cls/last: the row
};

}  // namespace

int64_t embedding_pool_tokens(const EmbeddingEngineOptions& options) {
  const int64_t block = options.kv_block_tokens;
  return (ceil_div(options.n_ctx, block) + ceil_div(options.max_batch_tokens, block) + kSlackBlocks) * block;
}

class EmbeddingEngine::Impl {
 public:
  Impl(std::unique_ptr<LlamaModel> model, const EmbeddingEngineOptions& options, std::shared_ptr<ComputePool> compute)
      : model_(std::move(model)), options_(options), compute_(std::move(compute)) {
    const model::LlamaConfig& config = model_->config();
    if (config.encoder) {
      encoder_ = std::make_unique<EncoderForward>(*model_, compute_->threads());
    } else {
      cache_ = std::make_unique<KvBlockPool>(
          KvShape{config.n_layer, config.n_head_kv, config.head_dim},
          static_cast<int32_t>(embedding_pool_tokens(options) / options.kv_block_tokens), options.kv_block_tokens,
          options.kv_dtype);
      forward_ = std::make_unique<BatchForward>(*model_, *cache_, compute_->threads(), options.max_batch_tokens, options.n_ctx);
      memory_.cache_bytes = cache_->n_bytes();
    }
    memory_.weights_bytes = model_->file().tensor_data_bytes();
    memory_.scratch_bytes = scratch_bytes();
  }

  ~Impl() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void start() {
    thread_ = std::thread([this] { run(); });
  }

  Status embed(EmbedRequest&& request, EmbedCallback done);
  Status rerank(RerankRequest&& request, RerankCallback done);
  int32_t drain(int64_t timeout_ms, std::string_view reason);
  bool ranks() const { return model_->config().pooling == kPoolRank; }

  EngineStats stats() const {
    std::lock_guard lock(mu_);
    return stats_;
  }
  EngineMemory memory() const {
    std::lock_guard lock(mu_);
    return memory_;
  }
  int64_t n_ctx() const { return options_.n_ctx; }
  int64_t n_embd() const { return model_->config().n_embd; }

 private:
  void run();
  // Packs and runs one step over the jobs in pending_; false when nothing was runnable.
  bool step();
  // An encoder's step: whole inputs, as many as fit max_batch_tokens (at least one).
  bool step_encoder();
  // Completes the jobs whose inputs are all finished, in arrival order, and updates the stats.
  void end_step(int64_t n_step_tokens);
  // Finishes `input`: pools, normalizes, frees its blocks, completes its job when it was the last.
  void finish_input(ActiveInput& input);
  // Stores input `input_idx` of `job`: `pooled` (a sum of n_rows rows for mean pooling) normalized.
  void store_vector(Job& job, size_t input_idx, std::vector<double>& pooled, int64_t n_rows);
  // Stores the classification head's outputs for the first position's hidden state `first_row`.
  void store_scores(Job& job, size_t input_idx, const float* first_row);
  // The checks embed() and rerank() make before queueing; sets *n_tokens.
  Status check_inputs(const std::vector<std::vector<int32_t>>& inputs,
                      const std::vector<std::vector<int32_t>>& segments, int64_t* n_tokens) const;
  Status enqueue(std::shared_ptr<Job> job);
  int64_t scratch_bytes() const { return encoder_ ? encoder_->scratch_bytes() : forward_->scratch_bytes(); }
  void fail_all(const Status& status);

  std::unique_ptr<LlamaModel> model_;
  EmbeddingEngineOptions options_;
  std::shared_ptr<ComputePool> compute_;  // the forward passes run on its threads during a turn
  // Decoder families: the KV pool and the causal pass; encoders: the bidirectional pass alone.
  std::unique_ptr<KvBlockPool> cache_;
  std::unique_ptr<BatchForward> forward_;
  std::unique_ptr<EncoderForward> encoder_;
  std::vector<EncoderInput> encoder_inputs_;  // engine thread only

  // Engine thread only.
  std::deque<JobPtr> pending_;       // taken from the inbox, not all inputs finished
  std::vector<ActiveInput> active_;  // inputs in this step (carried over when chunked)
  std::vector<BatchSequence> batch_;
  double forward_seconds_ = 0.0;

  mutable std::mutex mu_;
  std::condition_variable cv_;       // engine thread: work or stop
  std::condition_variable idle_cv_;  // drain(): nothing left
  std::deque<JobPtr> inbox_;         // guarded by mu_
  int32_t n_jobs_ = 0;               // guarded by mu_: inbox + pending
  bool stopping_ = false;            // guarded by mu_
  bool draining_ = false;            // guarded by mu_
  bool cancel_all_ = false;          // guarded by mu_
  std::string cancel_reason_;        // guarded by mu_
  int32_t n_cancelled_ = 0;          // guarded by mu_
  EngineStats stats_;                // guarded by mu_
  EngineMemory memory_;              // guarded by mu_
  std::thread thread_;
};

Status EmbeddingEngine::Impl::check_inputs(const std::vector<std::vector<int32_t>>& inputs,
                                           const std::vector<std::vector<int32_t>>& segments,
                                           int64_t* n_tokens_out) const {
  if (inputs.empty()) return invalid_argument_error("there is no input");
  if (!segments.empty() && segments.size() != inputs.size()) {
    return out_of_range_error("there are " + std::to_string(segments.size()) + " segment lists for " +
                              std::to_string(inputs.size()) + " inputs");
  }
  const int64_t n_vocab = model_->config().n_vocab;
  const int64_t n_types = std::max<int64_t>(1, model_->config().n_token_types);
  int64_t n_tokens = 0;
  for (size_t input_idx = 0; input_idx < inputs.size(); ++input_idx) {
    const std::vector<int32_t>& ids = inputs[input_idx];
    const std::string which = "input " + std::to_string(input_idx);
    if (ids.empty()) return invalid_argument_error(which + " is empty");
    if (static_cast<int64_t>(ids.size()) > options_.n_ctx) {
      return out_of_range_error(which + " has " + std::to_string(ids.size()) + " tokens; the model takes at most " +
                                std::to_string(options_.n_ctx));
    }
    for (int32_t id : ids) {
      if (id < 0 || id >= n_vocab) {
        return out_of_range_error(which + " holds the token id " + std::to_string(id) + ", outside the vocabulary of " +
                                  std::to_string(n_vocab));
      }
    }
    if (!segments.empty()) {
      const std::vector<int32_t>& types = segments[input_idx];
      if (!types.empty() && types.size() != ids.size()) {
        return out_of_range_error(which + " has " + std::to_string(ids.size()) + " tokens but " +
                                  std::to_string(types.size()) + " segments");
      }
      for (int32_t type : types) {
        if (type < 0 || type >= n_types) {
          return out_of_range_error(which + " holds the segment " + std::to_string(type) + "; the model has " +
                                    std::to_string(n_types) + " token types");
        }
      }
    }
    n_tokens += static_cast<int64_t>(ids.size());
  }
  *n_tokens_out = n_tokens;
  return ok_status();
}

Status EmbeddingEngine::Impl::embed(EmbedRequest&& request, EmbedCallback done) {
  if (ranks()) {
    return missing_capability_error("embeddings", model::Capability::kEmbed,
                                    model::capability_bit(model::Capability::kRerank));
  }
  int64_t n_tokens = 0;
  HEARTH_RETURN_IF_ERROR(check_inputs(request.inputs, {}, &n_tokens));
  auto job = std::make_shared<Job>();
  job->request = std::move(request);
  job->done = std::move(done);
  job->vectors.resize(job->request.inputs.size());
  job->n_tokens = n_tokens;
  return enqueue(std::move(job));
}

Status EmbeddingEngine::Impl::rerank(RerankRequest&& request, RerankCallback done) {
  if (!ranks()) {
    return missing_capability_error("reranking", model::Capability::kRerank,
                                    model::capability_bit(model::Capability::kEmbed));
  }
  int64_t n_tokens = 0;
  HEARTH_RETURN_IF_ERROR(check_inputs(request.inputs, request.segments, &n_tokens));
  auto job = std::make_shared<Job>();
  job->request.inputs = std::move(request.inputs);
  job->segments = std::move(request.segments);
  job->done = [done = std::move(done)](Result<EmbedResult> result) {
    if (!result.ok()) {
      done(result.status());
      return;
    }
    RerankResult scores;
    for (const std::vector<float>& outputs : result->vectors) scores.scores.push_back(outputs.empty() ? 0.0f : outputs[0]);
    scores.n_prompt_tokens = result->n_prompt_tokens;
    done(std::move(scores));
  };
  job->vectors.resize(job->request.inputs.size());
  job->n_tokens = n_tokens;
  return enqueue(std::move(job));
}

Status EmbeddingEngine::Impl::enqueue(std::shared_ptr<Job> job) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || draining_) return unavailable_error("the embedding engine is shutting down");
    if (n_jobs_ >= options_.max_queued) {
      return resource_exhausted_error(std::to_string(n_jobs_) + " embedding requests are already waiting");
    }
    inbox_.push_back(std::move(job));
    ++n_jobs_;
    stats_.n_waiting = n_jobs_;
  }
  cv_.notify_all();
  return ok_status();
}

int32_t EmbeddingEngine::Impl::drain(int64_t timeout_ms, std::string_view reason) {
  std::unique_lock lock(mu_);
  draining_ = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(std::max<int64_t>(0, timeout_ms));
  idle_cv_.wait_until(lock, deadline, [this] { return n_jobs_ == 0 || stopping_; });
  if (n_jobs_ == 0) return 0;
  cancel_all_ = true;
  cancel_reason_ = std::string(reason);
  cv_.notify_all();
  idle_cv_.wait(lock, [this] { return n_jobs_ == 0 || stopping_; });
  return std::exchange(n_cancelled_, 0);
}

void EmbeddingEngine::Impl::run() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || cancel_all_ || !inbox_.empty() || !pending_.empty(); });
      while (!inbox_.empty()) {
        pending_.push_back(std::move(inbox_.front()));
        inbox_.pop_front();
      }
      if (stopping_ || cancel_all_) {
        const Status status =
            unavailable_error(stopping_ ? std::string("the embedding engine stopped") : cancel_reason_);
        const bool stop = stopping_;
        cancel_all_ = false;
        lock.unlock();
        fail_all(status);
        if (stop) return;
        continue;
      }
    }
    step();
  }
}

bool EmbeddingEngine::Impl::step_encoder() {
  struct Picked {
    JobPtr job;
    size_t input_idx;
  };
  std::vector<Picked> picked;
  encoder_inputs_.clear();
  int64_t n_step_tokens = 0;
  bool full = false;  // inputs are taken in arrival order: the first that does not fit ends the step
  for (const JobPtr& job : pending_) {
    while (!full && job->n_started < job->request.inputs.size()) {
      const std::vector<int32_t>& ids = job->request.inputs[job->n_started];
      const auto n_ids = static_cast<int64_t>(ids.size());
      if (!picked.empty() && n_step_tokens + n_ids > options_.max_batch_tokens) {
        full = true;
        break;
      }
      picked.push_back({job, job->n_started});
      const std::vector<int32_t>* segments = job->segments.empty() ? nullptr : &job->segments[job->n_started];
      encoder_inputs_.push_back({ids, segments != nullptr ? std::span<const int32_t>(*segments) : std::span<const int32_t>()});
      n_step_tokens += n_ids;
      ++job->n_started;
    }
    if (full) break;
  }
  if (picked.empty()) return false;

  const bool interactive = std::any_of(picked.begin(), picked.end(),
                                       [](const Picked& pick) { return pick.job->request.priority == Priority::kInteractive; });
  const ComputePool::Turn turn = compute_->take_turn(interactive ? Priority::kInteractive : Priority::kBatch);
  const auto t_start = std::chrono::steady_clock::now();
  const std::span<const float> hidden = encoder_->forward(encoder_inputs_);
  forward_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();

  const int64_t pooling = model_->config().pooling;
  const auto n_embd = static_cast<size_t>(model_->config().n_embd);
  size_t row = 0;
  std::vector<double> pooled;
  for (size_t pick_idx = 0; pick_idx < picked.size(); ++pick_idx) {
    const auto n_ids = static_cast<int64_t>(encoder_inputs_[pick_idx].ids.size());
    if (pooling == kPoolRank) {
      store_scores(*picked[pick_idx].job, picked[pick_idx].input_idx, hidden.data() + row * n_embd);
      row += static_cast<size_t>(n_ids);
      continue;
    }
    pooled.assign(n_embd, 0.0);
    int64_t first = 0;
    int64_t count = n_ids;
    if (pooling == kPoolCls) count = 1;
    if (pooling == kPoolLast) {
      first = n_ids - 1;
      count = 1;
    }
    for (int64_t row_idx = first; row_idx < first + count; ++row_idx) {
      const float* values = hidden.data() + (row + static_cast<size_t>(row_idx)) * n_embd;
      for (size_t dim = 0; dim < n_embd; ++dim) pooled[dim] += static_cast<double>(values[dim]);
    }
    row += static_cast<size_t>(n_ids);
    store_vector(*picked[pick_idx].job, picked[pick_idx].input_idx, pooled, count);
  }
  end_step(n_step_tokens);
  return true;
}

bool EmbeddingEngine::Impl::step() {
  if (encoder_) return step_encoder();
  const int64_t block = options_.kv_block_tokens;
  // Blocks for positions [0, n_end) of `input`; false when the pool is short.
  auto reserve = [&](ActiveInput& input, int64_t n_end) {
    while (static_cast<int64_t>(input.blocks.size()) * block < n_end) {
      const int32_t id = cache_->allocate();
      if (id < 0) return false;
      input.blocks.push_back(id);
    }
    return true;
  };
  auto n_ids_of = [](const ActiveInput& input) {
    return static_cast<int64_t>(input.job->request.inputs[input.input_idx].size());
  };

  // The input a budget cut short goes on first (it alone holds blocks now,
  // and the pool holds n_ctx positions, so it fits), then new inputs in order.
  int64_t budget = options_.max_batch_tokens;
  for (ActiveInput& input : active_) {
    input.n_chunk = std::min(n_ids_of(input) - input.n_computed, budget);
    const bool reserved = reserve(input, input.n_computed + input.n_chunk);
    assert(reserved && "the pool holds n_ctx positions beside any step");
    (void)reserved;
    budget -= input.n_chunk;
  }
  size_t job_idx = 0;
  while (budget > 0) {
    while (job_idx < pending_.size() && pending_[job_idx]->n_started == pending_[job_idx]->request.inputs.size()) {
      ++job_idx;
    }
    if (job_idx == pending_.size()) break;
    Job& job = *pending_[job_idx];
    ActiveInput input;
    input.job = pending_[job_idx];
    input.input_idx = job.n_started;
    input.n_chunk = std::min(n_ids_of(input), budget);
    if (!reserve(input, input.n_chunk)) {
      for (int32_t id : input.blocks) cache_->release(id);
      break;  // the rest waits for the blocks this step frees
    }
    ++job.n_started;
    budget -= input.n_chunk;
    active_.push_back(std::move(input));
  }
  if (active_.empty()) return false;

  // Which hidden rows each chunk needs for its pooling.
  const int64_t pooling = model_->config().pooling;
  batch_.clear();
  int64_t n_step_tokens = 0;
  for (ActiveInput& input : active_) {
    const std::vector<int32_t>& ids = input.job->request.inputs[input.input_idx];
    const bool last_chunk = input.n_computed + input.n_chunk == n_ids_of(input);
    LogitRows rows = LogitRows::kNone;
    if (pooling == kPoolMean || (pooling == kPoolCls && input.n_computed == 0)) rows = LogitRows::kAll;
    if (pooling == kPoolLast && last_chunk) rows = LogitRows::kLast;
    batch_.push_back({std::span<const int32_t>(ids.data() + input.n_computed, static_cast<size_t>(input.n_chunk)),
                      input.n_computed, input.blocks, rows});
    n_step_tokens += input.n_chunk;
  }

  const bool interactive = std::any_of(active_.begin(), active_.end(),
                                       [](const ActiveInput& input) { return input.job->request.priority == Priority::kInteractive; });
  const ComputePool::Turn turn = compute_->take_turn(interactive ? Priority::kInteractive : Priority::kBatch);
  const auto t_start = std::chrono::steady_clock::now();
  const std::span<const float> hidden = forward_->forward(batch_, BatchForward::Output::kHidden);
  forward_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();

  const size_t n_embd = static_cast<size_t>(model_->config().n_embd);
  size_t row = 0;
  std::vector<ActiveInput> carried;
  for (size_t seq_idx = 0; seq_idx < active_.size(); ++seq_idx) {
    ActiveInput& input = active_[seq_idx];
    const LogitRows rows = batch_[seq_idx].logits;
    const int64_t n_rows = rows == LogitRows::kAll ? input.n_chunk : rows == LogitRows::kLast ? 1 : 0;
    if (input.pooled.empty()) input.pooled.assign(n_embd, 0.0);
    for (int64_t row_idx = 0; row_idx < n_rows; ++row_idx, ++row) {
      if (pooling == kPoolCls && row_idx > 0) continue;  // the first position only
      const float* values = hidden.data() + row * n_embd;
      for (size_t dim = 0; dim < n_embd; ++dim) input.pooled[dim] += static_cast<double>(values[dim]);
    }
    input.n_computed += input.n_chunk;
    if (input.n_computed == n_ids_of(input)) {
      finish_input(input);
    } else {
      carried.push_back(std::move(input));
    }
  }
  active_ = std::move(carried);
  end_step(n_step_tokens);
  return true;
}

void EmbeddingEngine::Impl::end_step(int64_t n_step_tokens) {
  // Completed jobs leave in arrival order (a later one that finished first waits a step).
  int32_t n_completed = 0;
  while (!pending_.empty() && pending_.front()->n_finished == pending_.front()->request.inputs.size()) {
    JobPtr job = std::move(pending_.front());
    pending_.pop_front();
    EmbedResult result;
    result.vectors = std::move(job->vectors);
    result.n_prompt_tokens = job->n_tokens;
    job->done(std::move(result));
    ++n_completed;
  }
  int32_t n_started_jobs = 0;
  for (const JobPtr& job : pending_) n_started_jobs += job->n_started > 0 ? 1 : 0;
  {
    std::lock_guard lock(mu_);
    n_jobs_ -= n_completed;
    ++stats_.n_steps_total;
    stats_.n_prompt_tokens_total += n_step_tokens;
    if (forward_seconds_ > 0.0)
      stats_.prefill_tps = static_cast<double>(stats_.n_prompt_tokens_total) / forward_seconds_;
    stats_.n_running = n_started_jobs;
    stats_.n_waiting = n_jobs_ - n_started_jobs;
    memory_.scratch_bytes = scratch_bytes();
    if (n_jobs_ == 0) idle_cv_.notify_all();
  }
}

void EmbeddingEngine::Impl::store_vector(Job& job, size_t input_idx, std::vector<double>& pooled, int64_t n_rows) {
  if (model_->config().pooling == kPoolMean) {
    for (double& value : pooled) value /= static_cast<double>(n_rows);
  }
  double norm_sq = 0.0;
  for (double value : pooled) norm_sq += value * value;
  const double scale = norm_sq > 0.0 ? 1.0 / std::sqrt(norm_sq) : 0.0;
  std::vector<float>& vector = job.vectors[input_idx];
  vector.resize(pooled.size());
  for (size_t dim = 0; dim < pooled.size(); ++dim) vector[dim] = static_cast<float>(pooled[dim] * scale);
  ++job.n_finished;
}

void EmbeddingEngine::Impl::store_scores(Job& job, size_t input_idx, const float* first_row) {
  const model::LlamaWeights& weights = model_->weights();
  const auto n_embd = static_cast<size_t>(model_->config().n_embd);
  std::vector<float> hidden(n_embd);
  tensor::matmul_ref(weights.cls, first_row, 1, hidden.data());
  for (size_t dim = 0; dim < n_embd; ++dim) hidden[dim] = std::tanh(hidden[dim] + weights.cls_b[dim]);
  std::vector<float>& scores = job.vectors[input_idx];
  scores.resize(static_cast<size_t>(weights.cls_out.n_rows));
  tensor::matmul_ref(weights.cls_out, hidden.data(), 1, scores.data());
  for (size_t out = 0; out < scores.size(); ++out) scores[out] += weights.cls_out_b[out];
  ++job.n_finished;
}

void EmbeddingEngine::Impl::finish_input(ActiveInput& input) {
  store_vector(*input.job, input.input_idx, input.pooled, input.n_computed);
  for (int32_t id : input.blocks) cache_->release(id);
  input.blocks.clear();
}

void EmbeddingEngine::Impl::fail_all(const Status& status) {
  for (ActiveInput& input : active_) {
    for (int32_t id : input.blocks) cache_->release(id);
  }
  active_.clear();
  std::deque<JobPtr> jobs = std::move(pending_);
  pending_.clear();
  for (JobPtr& job : jobs) job->done(status);
  std::lock_guard lock(mu_);
  n_jobs_ -= static_cast<int32_t>(jobs.size());
  n_cancelled_ += static_cast<int32_t>(jobs.size());
  stats_.n_running = 0;
  stats_.n_waiting = n_jobs_;
  idle_cv_.notify_all();
}

Result<std::unique_ptr<EmbeddingEngine>> EmbeddingEngine::create(std::unique_ptr<LlamaModel> model,
                                                                 const EmbeddingEngineOptions& options) {
  HEARTH_RETURN_IF_ERROR(validate_options(options));
  const int64_t pooling = model->config().pooling;
  if (pooling == kPoolRank && !model->config().encoder) {
    return invalid_argument_error("rank pooling (" + model->config().arch +
                                  ".pooling_type 4) is served for encoder families (bert) only");
  }
  if (pooling != kPoolMean && pooling != kPoolCls && pooling != kPoolLast && pooling != kPoolRank) {
    return invalid_argument_error("the model names no pooling (" + model->config().arch + ".pooling_type is " +
                                  std::to_string(pooling) + "): it is not an embedding model");
  }
  if (model->config().encoder && options.n_ctx > model->config().n_ctx_train) {
    return invalid_argument_error("n_ctx is " + std::to_string(options.n_ctx) + "; the encoder has position embeddings for " +
                                  std::to_string(model->config().n_ctx_train) + " tokens");
  }
  std::shared_ptr<ComputePool> compute =
      options.compute != nullptr ? options.compute : std::make_shared<ComputePool>(options.n_threads);
  std::unique_ptr<Impl> impl;
  try {
    impl = std::make_unique<Impl>(std::move(model), options, std::move(compute));
  } catch (const std::bad_alloc&) {
    return resource_exhausted_error("cannot allocate the embedding engine's KV pool of " +
                                    std::to_string(embedding_pool_tokens(options)) + " positions");
  }
  impl->start();
  return std::unique_ptr<EmbeddingEngine>(new EmbeddingEngine(std::move(impl)));
}

EmbeddingEngine::EmbeddingEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EmbeddingEngine::~EmbeddingEngine() = default;

model::Capabilities EmbeddingEngine::capabilities() const {
  return model::capability_bit(impl_->ranks() ? model::Capability::kRerank : model::Capability::kEmbed);
}
EngineMemory EmbeddingEngine::memory() const { return impl_->memory(); }
EngineStats EmbeddingEngine::stats() const { return impl_->stats(); }
int64_t EmbeddingEngine::n_ctx() const { return impl_->n_ctx(); }
int64_t EmbeddingEngine::n_embd() const { return impl_->n_embd(); }

Status EmbeddingEngine::embed(EmbedRequest&& request, EmbedCallback done) {
  return impl_->embed(std::move(request), std::move(done));
}

Status EmbeddingEngine::rerank(RerankRequest&& request, RerankCallback done) {
  return impl_->rerank(std::move(request), std::move(done));
}

int32_t EmbeddingEngine::drain(int64_t timeout_ms, std::string_view reason) { return impl_->drain(timeout_ms, reason); }

}  // namespace hearth::infer
