#include "infer/scheduler.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <new>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>
#include <tuple>

#include "base/thread_pool.h"
#include "infer/batch_forward.h"
#include "infer/kv_block_pool.h"
#include "infer/prefix_cache.h"
#include "infer/grammar_matcher.h"
#include "infer/sampler.h"
#include "infer/text_stream.h"
#include "infer/token_trie.h"

namespace hearth::infer {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int32_t kMaxTopLogprobs = 20;
constexpr int64_t kMaxContext = int64_t{1} << 24;

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

Status validate_options(const SchedulerOptions& options) {
  const auto outside = [](const char* name, int64_t value, int64_t lo, int64_t hi) {
    return invalid_argument_error(std::string(name) + " " + std::to_string(value) + " is outside [" +
                                  std::to_string(lo) + ", " + std::to_string(hi) + "]");
  };
  if (options.n_ctx < 1 || options.n_ctx > kMaxContext) return outside("n_ctx", options.n_ctx, 1, kMaxContext);
  if (options.max_seqs < 1 || options.max_seqs > 1024) return outside("max_seqs", options.max_seqs, 1, 1024);
  if (options.max_batch_tokens < 1 || options.max_batch_tokens > 65536) {
    return outside("max_batch_tokens", options.max_batch_tokens, 1, 65536);
  }
  if (options.batch_prefill_chunk < 1 || options.batch_prefill_chunk > 65536) {
    return outside("batch_prefill_chunk", options.batch_prefill_chunk, 1, 65536);
  }
  if (options.max_queued < 0 || options.max_queued > 1000000) {
    return outside("max_queued", options.max_queued, 0, 1000000);
  }
  if (options.kv_block_tokens < 1 || options.kv_block_tokens > 1024) {
    return outside("kv_block_tokens", options.kv_block_tokens, 1, 1024);
  }
  if (options.kv_pool_tokens != 0 &&
      (options.kv_pool_tokens < options.n_ctx || options.kv_pool_tokens > kMaxContext * 64)) {
    return outside("kv_pool_tokens", options.kv_pool_tokens, options.n_ctx, kMaxContext * 64);
  }
  if (options.kv_dtype != tensor::DType::kF16 && options.kv_dtype != tensor::DType::kF32) {
    return unimplemented_error("KV cache type " + std::string(tensor::dtype_info(options.kv_dtype).name) +
                               " is not supported (f16, f32)");
  }
  if (options.n_threads < 0 || options.n_threads > 1024) return outside("n_threads", options.n_threads, 0, 1024);
  return ok_status();
}

// One request from submit to finish. Owned by the engine thread once taken
// from the inbox.
struct Sequence {
  uint64_t arrival = 0;
  SequenceRequest request;
  std::shared_ptr<SequenceObserver> observer;
  std::shared_ptr<SequenceHandle> handle;
  Clock::time_point t_submit;
  Clock::time_point t_admit;
  std::optional<Clock::time_point> t_first_token;

  int64_t n_prompt = 0;
  std::vector<int32_t> tokens;  // prompt, then every sampled token still to be evaluated or evaluated
  int64_t n_computed = 0;       // positions whose K/V are stored
  int64_t n_cached = 0;         // prompt positions mapped from the prefix cache
  int64_t n_generated = 0;
  std::vector<int32_t> blocks;       // block table
  std::vector<uint64_t> block_keys;  // prefix-cache keys of the full blocks registered so far
  int64_t n_blocks_reserved = 0;     // blocks it may still take from the pool

  std::optional<Sampler> sampler;
  std::optional<GrammarMatcher> matcher;  // constrained decoding; over request.grammar
  std::optional<TextStream> stream;
  std::string released;  // text the current token released (the stream's sink appends)

  bool interactive() const { return request.priority == Priority::kInteractive; }
  bool prefilling() const { return n_computed < n_prompt; }
};

using SequencePtr = std::unique_ptr<Sequence>;

}  // namespace

class Scheduler::Impl {
 public:
  Impl(const LlamaModel& model, const text::Tokenizer& tokenizer, const SchedulerOptions& options, int32_t n_blocks,
       std::shared_ptr<ComputePool> compute)
      : model_(model),
        tokenizer_(tokenizer),
        options_(options),
        compute_(std::move(compute)),
        cache_(KvShape{model.config().n_layer, model.config().n_head_kv, model.config().head_dim}, n_blocks,
               options.kv_block_tokens, options.kv_dtype),
        prefix_(cache_),
        forward_(model, cache_, compute_->threads(), options.max_batch_tokens, options.n_ctx) {
    stats_.kv_blocks_total = n_blocks;
    memory_.cache_bytes = cache_.n_bytes();
    memory_.scratch_bytes = forward_.scratch_bytes();
  }

  ~Impl() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    hook_stop_.request_stop();
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  void start() {
    thread_ = std::thread([this] { run(); });
  }

  Result<std::shared_ptr<SequenceHandle>> submit(SequenceRequest&& request, std::shared_ptr<SequenceObserver> observer);
  int32_t drain(int64_t timeout_ms, std::string_view reason);
  EngineStats stats() const {
    std::lock_guard lock(mu_);
    return stats_;
  }
  EngineMemory memory() const {
    std::lock_guard lock(mu_);
    return memory_;
  }
  int64_t n_vocab() const { return model_.config().n_vocab; }

 private:
  void run();
  void step();
  void take_inbox_locked();
  // Adds the step just run (batch_, before n_computed advanced) to the measured rates.
  void account_step_time(double seconds);
  void reap_cancelled();
  void admit();
  bool try_admit(Sequence& seq);
  bool ensure_blocks(Sequence& seq, int64_t n_positions);
  void register_full_blocks(Sequence& seq);
  void sample(Sequence& seq, std::span<const float> logits);
  void fill_logprobs(std::span<const float> logits, int32_t id, int32_t n_top);
  // Ends a sequence: tells its observer, returns its blocks and reservation.
  void finish(Sequence& seq, FinishReason reason, Status error = ok_status());
  void finish_all(FinishReason reason, Status error);
  void publish_stats();

  const LlamaModel& model_;
  const text::Tokenizer& tokenizer_;
  const SchedulerOptions options_;

  // Its threads run forward_ only while the engine thread holds a turn.
  std::shared_ptr<ComputePool> compute_;
  // Engine thread only.
  KvBlockPool cache_;
  PrefixCache prefix_;
  BatchForward forward_;
  std::deque<SequencePtr> waiting_[2];  // per Priority, arrival order
  std::vector<SequencePtr> running_;    // admitted; ordered by (priority, arrival) each step
  int64_t n_reserved_blocks_ = 0;       // sum of running sequences' n_blocks_reserved
  int32_t n_running_ = 0;               // admitted, not finished
  std::vector<BatchSequence> batch_;
  std::vector<Sequence*> batch_seqs_;
  std::optional<TokenTrie> trie_;  // the vocabulary's bytes, built for the first constrained sequence
  std::vector<int32_t> eog_ids_;   // end-of-generation ids, with trie_
  std::vector<uint8_t> allowed_;   // constrained decoding's token mask
  std::vector<int32_t> top_ids_;  // logprob scratch
  TokenLogprob token_logprob_;
  std::vector<TokenLogprob> top_logprobs_;
  EngineStats totals_;  // the *_total counters and the measured rates
  int64_t prefill_tokens_ = 0;
  double prefill_seconds_ = 0.0;
  int64_t decode_tokens_ = 0;
  double decode_seconds_ = 0.0;

  mutable std::mutex mu_;
  std::condition_variable cv_;        // engine thread: work arrived or stop
  std::condition_variable idle_cv_;   // drain(): the engine has nothing left
  std::deque<SequencePtr> inbox_;     // guarded by mu_
  int32_t n_queued_ = 0;              // guarded by mu_: inbox + waiting
  int32_t n_active_ = 0;              // guarded by mu_: inbox + waiting + running
  uint64_t n_arrivals_ = 0;           // guarded by mu_
  bool stopping_ = false;             // guarded by mu_
  bool draining_ = false;             // guarded by mu_
  bool cancel_all_ = false;           // guarded by mu_
  int64_t n_cancelled_by_drain_ = 0;  // guarded by mu_
  std::string drain_reason_;          // guarded by mu_; drain()'s reason for cancelling
  EngineStats stats_;                 // guarded by mu_
  EngineMemory memory_;               // guarded by mu_
  std::stop_source hook_stop_;        // before_step's token: requested on destruction or drain's cancel
  std::thread thread_;
};

Result<std::shared_ptr<SequenceHandle>> Scheduler::Impl::submit(SequenceRequest&& request,
                                                                std::shared_ptr<SequenceObserver> observer) {
  if (observer == nullptr) return invalid_argument_error("submit: no observer");
  HEARTH_RETURN_IF_ERROR(validate_generate_request(request.prompt, request.params, options_.n_ctx, n_vocab()));
  if (request.n_top_logprobs < -1 || request.n_top_logprobs > kMaxTopLogprobs) {
    return invalid_argument_error("top_logprobs " + std::to_string(request.n_top_logprobs) + " is outside [0, " +
                                  std::to_string(kMaxTopLogprobs) + "]");
  }
  const int64_t n_prompt = static_cast<int64_t>(request.prompt.size());
  const int64_t n_positions = n_prompt + request.params.max_tokens;
  if (n_positions > options_.n_ctx) {
    return out_of_range_error("this model's context is " + std::to_string(options_.n_ctx) + " tokens; the prompt has " +
                              std::to_string(n_prompt) + " tokens and max_tokens asks for " +
                              std::to_string(request.params.max_tokens) + " more");
  }
  auto seq = std::make_unique<Sequence>();
  seq->t_submit = Clock::now();
  seq->n_prompt = n_prompt;
  seq->tokens = request.prompt;
  seq->tokens.reserve(static_cast<size_t>(n_positions));
  HEARTH_ASSIGN_OR_RETURN(Sampler sampler, Sampler::create(request.params.sampling));
  seq->sampler.emplace(std::move(sampler));
  if (request.grammar != nullptr) {
    HEARTH_RETURN_IF_ERROR(request.grammar->validate());
    seq->matcher.emplace(*request.grammar);  // the request, hence the grammar, moves into seq below
  }
  Sequence* raw = seq.get();
  seq->stream.emplace(request.params.stop, [raw](std::string_view piece) {
    raw->released.append(piece);
    return true;
  });
  seq->request = std::move(request);
  seq->observer = std::move(observer);
  seq->handle = std::make_shared<SequenceHandle>();
  std::shared_ptr<SequenceHandle> handle = seq->handle;
  {
    std::lock_guard lock(mu_);
    if (stopping_ || draining_) return unavailable_error("the server is shutting down");
    if (n_queued_ >= options_.max_queued) {
      return resource_exhausted_error("too many queued requests (" + std::to_string(n_queued_) + "); retry shortly");
    }
    seq->arrival = n_arrivals_++;
    inbox_.push_back(std::move(seq));
    ++n_queued_;
    ++n_active_;
  }
  cv_.notify_one();
  return handle;
}

int32_t Scheduler::Impl::drain(int64_t timeout_ms, std::string_view reason) {
  std::unique_lock lock(mu_);
  draining_ = true;
  drain_reason_ = std::string(reason);
  const bool idle = idle_cv_.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(timeout_ms, 0)),
                                      [this] { return n_active_ == 0 || stopping_; });
  if (idle) return 0;
  cancel_all_ = true;
  hook_stop_.request_stop();
  cv_.notify_all();
  idle_cv_.wait(lock, [this] { return n_active_ == 0 || stopping_; });
  return static_cast<int32_t>(n_cancelled_by_drain_);
}

void Scheduler::Impl::run() {
  for (;;) {
    bool cancel_all = false;
    std::string reason;  // why drain() cancels what is left
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] {
        return stopping_ || cancel_all_ || !inbox_.empty() || !running_.empty() || !waiting_[0].empty() ||
               !waiting_[1].empty();
      });
      if (options_.before_step) {
        // The state is read again below: what changed while the hook held the engine counts.
        lock.unlock();
        options_.before_step(hook_stop_.get_token());
        lock.lock();
      }
      take_inbox_locked();
      if (stopping_) break;
      cancel_all = cancel_all_;
    }
    if (cancel_all) {
      {
        // Counted before the observers hear of it: drain() returns once the last finishes.
        std::lock_guard lock(mu_);
        n_cancelled_by_drain_ += static_cast<int64_t>(running_.size() + waiting_[0].size() + waiting_[1].size());
        cancel_all_ = false;
        reason = drain_reason_;
      }
      finish_all(FinishReason::kCancelled, unavailable_error(std::move(reason)));
    } else {
      step();
    }
    publish_stats();
  }
  finish_all(FinishReason::kCancelled, unavailable_error("the server is shutting down"));
  publish_stats();
}

void Scheduler::Impl::take_inbox_locked() {
  while (!inbox_.empty()) {
    SequencePtr seq = std::move(inbox_.front());
    inbox_.pop_front();
    waiting_[static_cast<int>(seq->request.priority)].push_back(std::move(seq));
  }
}

void Scheduler::Impl::step() {
  reap_cancelled();
  admit();
  if (running_.empty()) return;

  // Interactive first, then by arrival.
  std::sort(running_.begin(), running_.end(), [](const SequencePtr& a, const SequencePtr& b) {
    return std::tie(a->request.priority, a->arrival) < std::tie(b->request.priority, b->arrival);
  });
  const bool interactive_prefilling = std::any_of(
      running_.begin(), running_.end(), [](const SequencePtr& seq) { return seq->interactive() && seq->prefilling(); });
  batch_.clear();
  batch_seqs_.clear();
  int64_t budget = options_.max_batch_tokens;
  // All batch-priority prompt chunks of the step together.
  int64_t batch_prefill_budget = options_.batch_prefill_chunk;
  const auto take = [&](Sequence& seq, int64_t n_tokens) {
    // The reservation made at admission guarantees the blocks.
    const bool have_blocks = ensure_blocks(seq, seq.n_computed + n_tokens);
    if (!have_blocks) {
      finish(seq, FinishReason::kCancelled, internal_error("the KV pool ran out of blocks despite the reservation"));
      return;
    }
    BatchSequence entry;
    entry.tokens = std::span<const int32_t>(seq.tokens)
                       .subspan(static_cast<size_t>(seq.n_computed), static_cast<size_t>(n_tokens));
    entry.first_pos = seq.n_computed;
    entry.blocks = seq.blocks;
    entry.logits =
        seq.n_computed + n_tokens == static_cast<int64_t>(seq.tokens.size()) ? LogitRows::kLast : LogitRows::kNone;
    batch_.push_back(entry);
    batch_seqs_.push_back(&seq);
    budget -= n_tokens;
  };
  // Decode tokens first (one each), then prompt chunks with what is left.
  // Batch sequences sit out while an interactive prompt is prefilled.
  for (const bool decode_pass : {true, false}) {
    for (const SequencePtr& seq : running_) {
      if (static_cast<int32_t>(batch_.size()) >= options_.max_seqs || budget == 0) break;
      if (seq->observer == nullptr || seq->prefilling() == decode_pass) continue;
      if (!seq->interactive() && interactive_prefilling) continue;
      if (decode_pass) {
        take(*seq, 1);
        continue;
      }
      const int64_t chunk_max = seq->interactive() ? budget : std::min(budget, batch_prefill_budget);
      if (chunk_max == 0) continue;
      const int64_t n_tokens = std::min(chunk_max, seq->n_prompt - seq->n_computed);
      if (!seq->interactive()) batch_prefill_budget -= n_tokens;
      take(*seq, n_tokens);
    }
  }
  // A sequence finished by take() is still in running_ until swept below.
  if (!batch_.empty()) {
    const bool interactive = std::any_of(batch_seqs_.begin(), batch_seqs_.end(),
                                         [](const Sequence* seq) { return seq->interactive(); });
    const ComputePool::Turn turn = compute_->take_turn(interactive ? Priority::kInteractive : Priority::kBatch);
    const Clock::time_point step_start = Clock::now();
    const std::span<const float> logits = forward_.forward(batch_);
    ++totals_.n_steps_total;
    account_step_time(ms_between(step_start, Clock::now()) / 1000.0);
    const int64_t n_vocab = forward_.n_vocab();
    int64_t row_idx = 0;
    for (size_t entry_idx = 0; entry_idx < batch_.size(); ++entry_idx) {
      Sequence& seq = *batch_seqs_[entry_idx];
      seq.n_computed += static_cast<int64_t>(batch_[entry_idx].tokens.size());
      if (options_.prefix_cache) register_full_blocks(seq);
      if (batch_[entry_idx].logits == LogitRows::kLast) {
        sample(seq, logits.subspan(static_cast<size_t>(row_idx * n_vocab), static_cast<size_t>(n_vocab)));
        ++row_idx;
      }
    }
  }
  std::erase_if(running_, [](const SequencePtr& seq) { return seq == nullptr || seq->observer == nullptr; });
}

void Scheduler::Impl::account_step_time(double seconds) {
  int64_t n_prefill = 0;
  int64_t n_decode = 0;
  for (size_t entry_idx = 0; entry_idx < batch_.size(); ++entry_idx) {
    const auto n_tokens = static_cast<int64_t>(batch_[entry_idx].tokens.size());
    // A decode entry is the one token after the prompt and the sampled ones.
    if (batch_seqs_[entry_idx]->n_computed >= batch_seqs_[entry_idx]->n_prompt) {
      n_decode += n_tokens;
    } else {
      n_prefill += n_tokens;
    }
  }
  const double share = seconds / static_cast<double>(n_prefill + n_decode);
  prefill_tokens_ += n_prefill;
  prefill_seconds_ += share * static_cast<double>(n_prefill);
  decode_tokens_ += n_decode;
  decode_seconds_ += share * static_cast<double>(n_decode);
  totals_.prefill_tps = prefill_seconds_ > 0 ? static_cast<double>(prefill_tokens_) / prefill_seconds_ : 0.0;
  totals_.decode_tps = decode_seconds_ > 0 ? static_cast<double>(decode_tokens_) / decode_seconds_ : 0.0;
}

void Scheduler::Impl::reap_cancelled() {
  for (const SequencePtr& seq : running_) {
    if (seq->handle->cancelled()) finish(*seq, FinishReason::kCancelled);
  }
  std::erase_if(running_, [](const SequencePtr& seq) { return seq->observer == nullptr; });
  for (std::deque<SequencePtr>& queue : waiting_) {
    for (const SequencePtr& seq : queue) {
      if (seq->handle->cancelled()) finish(*seq, FinishReason::kCancelled);
    }
    std::erase_if(queue, [](const SequencePtr& seq) { return seq->observer == nullptr; });
  }
}

void Scheduler::Impl::admit() {
  int32_t n_admitted = 0;
  for (const Priority priority : {Priority::kInteractive, Priority::kBatch}) {
    std::deque<SequencePtr>& queue = waiting_[static_cast<int>(priority)];
    while (!queue.empty()) {
      // Interactive sequences may exceed max_seqs in residence (batch ones
      // then sit out steps); batch ones only fill free places.
      const auto n_same = std::count_if(running_.begin(), running_.end(), [priority](const SequencePtr& seq) {
        return seq->request.priority == priority;
      });
      const int64_t n_counted = priority == Priority::kInteractive ? n_same : static_cast<int64_t>(running_.size());
      if (n_counted >= options_.max_seqs) break;
      // First come, first served: a request that does not fit yet blocks the
      // ones behind it, so a large request is not starved by small ones.
      if (!try_admit(*queue.front())) break;
      running_.push_back(std::move(queue.front()));
      queue.pop_front();
      ++n_running_;
      ++n_admitted;
    }
  }
  if (n_admitted > 0) {
    std::lock_guard lock(mu_);
    n_queued_ -= n_admitted;
  }
}

bool Scheduler::Impl::try_admit(Sequence& seq) {
  const int64_t block_tokens = cache_.block_tokens();
  const int64_t n_blocks_total = ceil_div(seq.n_prompt + seq.request.params.max_tokens, block_tokens);
  std::vector<int32_t> shared;
  std::vector<uint64_t> keys;
  if (options_.prefix_cache) {
    // Leave at least one prompt token to compute: its logits start the output.
    shared = prefix_.match(seq.tokens, (seq.n_prompt - 1) / block_tokens, &keys);
  }
  const int64_t n_needed = n_blocks_total - static_cast<int64_t>(shared.size());
  const int64_t n_available = cache_.n_free() + prefix_.n_evictable() - n_reserved_blocks_;
  if (n_needed > n_available) {
    for (int32_t block : shared) cache_.release(block);
    return false;
  }
  seq.t_admit = Clock::now();
  seq.blocks = std::move(shared);
  seq.block_keys = std::move(keys);
  seq.n_cached = static_cast<int64_t>(seq.blocks.size()) * block_tokens;
  seq.n_computed = seq.n_cached;
  seq.n_blocks_reserved = n_needed;
  n_reserved_blocks_ += n_needed;
  return true;
}

bool Scheduler::Impl::ensure_blocks(Sequence& seq, int64_t n_positions) {
  while (static_cast<int64_t>(seq.blocks.size()) * cache_.block_tokens() < n_positions) {
    if (seq.n_blocks_reserved == 0) return false;
    if (cache_.n_free() == 0) prefix_.evict_until_free(1);
    const int32_t block = cache_.allocate();
    if (block < 0) return false;
    seq.blocks.push_back(block);
    --seq.n_blocks_reserved;
    --n_reserved_blocks_;
  }
  return true;
}

void Scheduler::Impl::register_full_blocks(Sequence& seq) {
  const int64_t block_tokens = cache_.block_tokens();
  const int64_t n_full = seq.n_computed / block_tokens;
  for (int64_t block_idx = static_cast<int64_t>(seq.block_keys.size()); block_idx < n_full; ++block_idx) {
    const uint64_t parent = block_idx == 0 ? 0 : seq.block_keys[static_cast<size_t>(block_idx - 1)];
    const auto block_ids =
        std::span<const int32_t>(seq.tokens)
            .subspan(static_cast<size_t>(block_idx * block_tokens), static_cast<size_t>(block_tokens));
    seq.block_keys.push_back(prefix_.insert(parent, block_ids, seq.blocks[static_cast<size_t>(block_idx)], block_idx));
  }
}

void Scheduler::Impl::fill_logprobs(std::span<const float> logits, int32_t id, int32_t n_top) {
  float max_logit = logits[0];
  for (float logit : logits) max_logit = std::max(max_logit, logit);
  double sum = 0.0;
  for (float logit : logits) sum += std::exp(static_cast<double>(logit - max_logit));
  const float log_norm = max_logit + static_cast<float>(std::log(sum));
  const auto entry = [&](int32_t token_id) {
    return TokenLogprob{token_id, tokenizer_.token_to_bytes(token_id, /*render_special=*/true),
                        logits[static_cast<size_t>(token_id)] - log_norm};
  };
  token_logprob_ = entry(id);
  top_logprobs_.clear();
  if (n_top <= 0) return;
  top_ids_.resize(logits.size());
  for (size_t idx = 0; idx < top_ids_.size(); ++idx) top_ids_[idx] = static_cast<int32_t>(idx);
  const auto n_keep = std::min<size_t>(static_cast<size_t>(n_top), top_ids_.size());
  std::partial_sort(top_ids_.begin(), top_ids_.begin() + static_cast<std::ptrdiff_t>(n_keep), top_ids_.end(),
                    [&](int32_t a, int32_t b) {
                      return logits[static_cast<size_t>(a)] > logits[static_cast<size_t>(b)] ||
                             (logits[static_cast<size_t>(a)] == logits[static_cast<size_t>(b)] && a < b);
                    });
  for (size_t idx = 0; idx < n_keep; ++idx) top_logprobs_.push_back(entry(top_ids_[idx]));
}

void Scheduler::Impl::sample(Sequence& seq, std::span<const float> logits) {
  std::span<const uint8_t> allowed;
  if (seq.matcher) {
    if (!trie_) {
      std::vector<std::string> token_bytes(static_cast<size_t>(tokenizer_.n_vocab()));
      for (size_t id = 0; id < token_bytes.size(); ++id) {
        token_bytes[id] = tokenizer_.token_to_bytes(static_cast<int32_t>(id));
        if (tokenizer_.is_end_of_generation(static_cast<int32_t>(id))) eog_ids_.push_back(static_cast<int32_t>(id));
      }
      trie_.emplace(token_bytes);
    }
    int64_t n_allowed = trie_->fill_allowed(*seq.matcher, &allowed_);
    allowed_.resize(logits.size(), 0);  // ids past the tokenizer's vocabulary have no bytes
    if (seq.matcher->can_finish()) {
      for (const int32_t id : eog_ids_) {
        if (static_cast<size_t>(id) < allowed_.size()) {
          allowed_[static_cast<size_t>(id)] = 1;
          ++n_allowed;
        }
      }
    }
    if (n_allowed == 0) {
      finish(seq, FinishReason::kCancelled,
             internal_error("constrained decoding reached a state that no token of the vocabulary continues"));
      return;
    }
    allowed = allowed_;
  }
  const int32_t id = seq.sampler->sample(logits, seq.tokens, allowed);
  ++seq.n_generated;
  ++totals_.n_generated_tokens_total;
  if (!seq.t_first_token) seq.t_first_token = Clock::now();
  if (!seq.request.params.ignore_eos && tokenizer_.is_end_of_generation(id)) {
    finish(seq, FinishReason::kStop);
    return;
  }
  TokenEvent event;
  if (seq.request.n_top_logprobs >= 0) {
    fill_logprobs(logits, id, seq.request.n_top_logprobs);
    event.token = token_logprob_;
    event.top_logprobs = top_logprobs_;
  }
  seq.released.clear();
  const std::string bytes = tokenizer_.token_to_bytes(id);
  // The mask allowed only tokens the matcher accepts, so this cannot fail.
  if (seq.matcher) seq.matcher->accept(bytes);
  const bool more = seq.stream->push(bytes);
  event.text = seq.released;
  seq.observer->on_token(event);
  if (!more) {
    finish(seq, FinishReason::kStop);  // a stop string completed (the sink never cancels)
    return;
  }
  if (seq.matcher && seq.matcher->finished()) {
    finish(seq, FinishReason::kStop);  // the constrained output is complete; nothing may follow
    return;
  }
  // submit() checked prompt + max_tokens <= n_ctx, so the context cannot overflow first.
  if (seq.n_generated >= seq.request.params.max_tokens) {
    finish(seq, FinishReason::kLength);
    return;
  }
  seq.tokens.push_back(id);
}

void Scheduler::Impl::finish(Sequence& seq, FinishReason reason, Status error) {
  const Clock::time_point now = Clock::now();
  seq.released.clear();
  if (reason != FinishReason::kCancelled && !seq.stream->stopped()) seq.stream->finish();
  FinishEvent event;
  event.reason = seq.stream->stopped() ? FinishReason::kStop : reason;
  event.text = seq.released;
  event.error = std::move(error);
  event.n_prompt_tokens = seq.n_prompt;
  event.n_cached_prompt_tokens = seq.n_cached;
  event.n_generated_tokens = seq.n_generated;
  event.stop_index = seq.stream->stop_index();
  const bool admitted = seq.t_admit != Clock::time_point{};
  event.queue_ms = ms_between(seq.t_submit, admitted ? seq.t_admit : now);
  event.ttft_ms = seq.t_first_token ? ms_between(seq.t_submit, *seq.t_first_token) : 0.0;
  event.total_ms = ms_between(seq.t_submit, now);

  // Return the memory and account first, so stats() read by an observer
  // woken by on_finish already shows the sequence gone.
  for (int32_t block : seq.blocks) cache_.release(block);
  seq.blocks.clear();
  n_reserved_blocks_ -= seq.n_blocks_reserved;
  seq.n_blocks_reserved = 0;
  if (admitted) {
    --n_running_;
    totals_.n_prompt_tokens_total += seq.n_prompt;
    totals_.n_cached_tokens_total += seq.n_cached;
  }
  {
    std::lock_guard lock(mu_);
    --n_active_;
    if (!admitted) --n_queued_;
  }
  publish_stats();
  std::shared_ptr<SequenceObserver> observer = std::move(seq.observer);  // null marks the sequence finished
  observer->on_finish(event);
}

void Scheduler::Impl::finish_all(FinishReason reason, Status error) {
  for (const SequencePtr& seq : running_) finish(*seq, reason, error);
  running_.clear();
  for (std::deque<SequencePtr>& queue : waiting_) {
    for (const SequencePtr& seq : queue) finish(*seq, reason, error);
    queue.clear();
  }
}

void Scheduler::Impl::publish_stats() {
  const int64_t n_used = cache_.n_blocks() - cache_.n_free();
  const int64_t n_cached_only = prefix_.n_evictable();
  std::lock_guard lock(mu_);
  stats_ = totals_;
  stats_.n_running = n_running_;
  stats_.n_waiting = n_queued_;
  stats_.kv_blocks_total = cache_.n_blocks();
  stats_.kv_blocks_used = n_used - n_cached_only;
  stats_.kv_blocks_cached = n_cached_only;
  memory_.scratch_bytes = forward_.scratch_bytes();  // grows with the largest step so far
  if (n_active_ == 0 || stopping_) idle_cv_.notify_all();
}

Result<std::unique_ptr<Scheduler>> Scheduler::create(const LlamaModel& model, const text::Tokenizer& tokenizer,
                                                     const SchedulerOptions& options) {
  if (model.config().encoder) {
    return failed_precondition_error("the " + model.config().arch +
                                     " model is an encoder: it serves embeddings (or rerank scores), not text "
                                     "generation");
  }
  HEARTH_RETURN_IF_ERROR(validate_options(options));
  const int64_t pool_tokens =
      options.kv_pool_tokens != 0 ? options.kv_pool_tokens : options.n_ctx * static_cast<int64_t>(options.max_seqs);
  const int64_t n_blocks = ceil_div(pool_tokens, options.kv_block_tokens);
  if (n_blocks > (int64_t{1} << 30))
    return invalid_argument_error("the KV pool of " + std::to_string(pool_tokens) + " positions is too large");
  std::shared_ptr<ComputePool> compute =
      options.compute != nullptr ? options.compute : std::make_shared<ComputePool>(options.n_threads);
  std::unique_ptr<Impl> impl;
  try {
    impl = std::make_unique<Impl>(model, tokenizer, options, static_cast<int32_t>(n_blocks), std::move(compute));
  } catch (const std::bad_alloc&) {
    const int64_t n_bytes =
        pool_tokens *
        KvBlockPool::bytes_per_token({model.config().n_layer, model.config().n_head_kv, model.config().head_dim},
                                     options.kv_dtype);
    return resource_exhausted_error("cannot allocate a KV cache of " + std::to_string(pool_tokens) + " positions (" +
                                    std::to_string(n_bytes >> 20) + " MiB)");
  }
  impl->start();
  return std::unique_ptr<Scheduler>(new Scheduler(options, std::move(impl)));
}

Scheduler::Scheduler(const SchedulerOptions& options, std::unique_ptr<Impl> impl)
    : options_(options), impl_(std::move(impl)) {}

Scheduler::~Scheduler() = default;

Result<std::shared_ptr<SequenceHandle>> Scheduler::submit(SequenceRequest&& request,
                                                          std::shared_ptr<SequenceObserver> observer) {
  return impl_->submit(std::move(request), std::move(observer));
}

int32_t Scheduler::drain(int64_t timeout_ms, std::string_view reason) { return impl_->drain(timeout_ms, reason); }

EngineStats Scheduler::stats() const { return impl_->stats(); }

EngineMemory Scheduler::memory() const { return impl_->memory(); }

int64_t Scheduler::n_vocab() const { return impl_->n_vocab(); }

}  // namespace hearth::infer
