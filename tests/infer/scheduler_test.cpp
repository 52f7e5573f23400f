// Scheduler on tiny random models. Expected outputs come from the Generator
// over a private InferContext (one sequence, no batching), so every test
// checks that batching, chunked prefill, the paged cache and the prefix cache
// change nothing about what a request produces. Tests about what happens
// between steps (cancel, arrivals, queue limits, drain) hold the engine at a
// StepGate so the event lands after a known number of steps.
#include "infer/scheduler.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "infer/generator.h"
#include "infer/llama_forward.h"
#include "step_gate.h"
#include "tiny_model.h"

namespace hearth::infer {
namespace {

using namespace std::chrono_literals;

struct Finished {
  FinishReason reason = FinishReason::kStop;
  Status error;
  int64_t n_prompt_tokens = 0;
  int64_t n_cached_prompt_tokens = 0;
  int64_t n_generated_tokens = 0;
  int32_t stop_index = -1;
  double queue_ms = 0.0;
  double ttft_ms = 0.0;
};

// Shared by the recorders of one test: the order in which tokens of which
// request arrived.
struct EventLog {
  std::mutex mu;
  std::vector<int> token_owners;  // request tag per output token, in engine order
  std::vector<int> finish_order;
};

class Recorder : public SequenceObserver {
 public:
  explicit Recorder(int tag = 0, EventLog* log = nullptr) : tag_(tag), log_(log) {}

  void on_token(const TokenEvent& event) override {
    std::lock_guard lock(mu_);
    text_ += event.text;
    if (event.top_logprobs.size() > 0 || event.token.logprob != 0.0f) {
      logprobs_.push_back(event.token);
      top_.emplace_back(event.top_logprobs.begin(), event.top_logprobs.end());
    }
    if (log_ != nullptr) {
      std::lock_guard log_lock(log_->mu);
      log_->token_owners.push_back(tag_);
    }
    cv_.notify_all();
  }

  void on_finish(const FinishEvent& event) override {
    std::lock_guard lock(mu_);
    text_ += event.text;
    finished_ = Finished{
        event.reason,     event.error,    event.n_prompt_tokens, event.n_cached_prompt_tokens, event.n_generated_tokens,
        event.stop_index, event.queue_ms, event.ttft_ms};
    done_ = true;
    if (log_ != nullptr) {
      std::lock_guard log_lock(log_->mu);
      log_->finish_order.push_back(tag_);
    }
    cv_.notify_all();
  }

  // Waits (bounded) for on_finish.
  Finished wait() {
    std::unique_lock lock(mu_);
    EXPECT_TRUE(cv_.wait_for(lock, 60s, [this] { return done_; })) << "request " << tag_ << " never finished";
    return finished_;
  }
  std::string text() {
    std::lock_guard lock(mu_);
    return text_;
  }
  std::vector<TokenLogprob> logprobs() {
    std::lock_guard lock(mu_);
    return logprobs_;
  }
  std::vector<std::vector<TokenLogprob>> top() {
    std::lock_guard lock(mu_);
    return top_;
  }

 private:
  int tag_;
  EventLog* log_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string text_;
  std::vector<TokenLogprob> logprobs_;
  std::vector<std::vector<TokenLogprob>> top_;
  bool done_ = false;
  Finished finished_;
};

class SchedulerTest : public ::testing::TestWithParam<tensor::DType> {
 protected:
  void SetUp() override {
    spec_ = testing::llama_gqa_llama3_spec(GetParam());
    auto model = testing::load_tiny_model(spec_, "scheduler");
    ASSERT_TRUE(model.ok()) << model.status().to_string();
    model_ = std::move(model).value();
    tokenizer_ = testing::tiny_tokenizer(spec_.n_vocab);
    ASSERT_NE(tokenizer_, nullptr);
  }

  std::unique_ptr<Scheduler> make(SchedulerOptions options) {
    if (options.n_threads == 0) options.n_threads = 2;
    auto scheduler = Scheduler::create(*model_, *tokenizer_, options);
    EXPECT_TRUE(scheduler.ok()) << scheduler.status().to_string();
    return scheduler.ok() ? std::move(scheduler).value() : nullptr;
  }

  // A prompt of n ids drawn from the vocabulary by `salt`.
  std::vector<int32_t> prompt(int n, int salt) const {
    std::vector<int32_t> ids = {1};
    for (int idx = 1; idx < n; ++idx) ids.push_back(5 + (idx * 7 + salt * 13) % static_cast<int>(spec_.n_vocab - 5));
    return ids;
  }

  static SequenceRequest request(std::vector<int32_t> prompt, int32_t max_tokens, uint64_t seed,
                                 float temperature = 0.8f) {
    SequenceRequest req;
    req.prompt = std::move(prompt);
    req.params.max_tokens = max_tokens;
    req.params.sampling.temperature = temperature;
    req.params.sampling.seed = seed;
    return req;
  }

  // What the request produces alone, through the single-sequence Generator.
  std::string solo_text(const SequenceRequest& req) {
    ThreadPool pool(1);
    InferContext ctx(*model_, 256, pool);
    Generator generator(ctx, *tokenizer_);
    std::string text;
    auto result = generator.generate(req.prompt, req.params, [&](std::string_view piece) {
      text += piece;
      return true;
    });
    EXPECT_TRUE(result.ok()) << result.status().to_string();
    return text;
  }

  std::shared_ptr<SequenceHandle> submit(Scheduler& scheduler, SequenceRequest req,
                                         std::shared_ptr<Recorder> recorder) {
    auto handle = scheduler.submit(std::move(req), recorder);
    EXPECT_TRUE(handle.ok()) << handle.status().to_string();
    return handle.ok() ? *handle : nullptr;
  }

  testing::TinyModelSpec spec_;
  std::unique_ptr<LlamaModel> model_;
  std::unique_ptr<text::Tokenizer> tokenizer_;
};

TEST_P(SchedulerTest, AloneMatchesTheGenerator) {
  auto scheduler = make({.n_ctx = 256});
  ASSERT_NE(scheduler, nullptr);
  for (const float temperature : {0.0f, 0.8f}) {
    SequenceRequest req = request(prompt(20, 1), 24, 7, temperature);
    const std::string expected = solo_text(req);
    auto recorder = std::make_shared<Recorder>();
    submit(*scheduler, std::move(req), recorder);
    const Finished finished = recorder->wait();
    EXPECT_EQ(finished.reason, FinishReason::kLength);
    EXPECT_EQ(finished.n_prompt_tokens, 20);
    EXPECT_EQ(finished.n_generated_tokens, 24);
    EXPECT_TRUE(finished.error.ok());
    EXPECT_EQ(recorder->text(), expected) << "temperature " << temperature;
    EXPECT_FALSE(expected.empty());
  }
  // Both kinds of step were timed.
  const EngineStats stats = scheduler->stats();
  EXPECT_GT(stats.prefill_tps, 0.0);
  EXPECT_GT(stats.decode_tps, 0.0);
}

TEST_P(SchedulerTest, StopStringEndsTheTextAsTheGeneratorDoes) {
  auto scheduler = make({.n_ctx = 256});
  ASSERT_NE(scheduler, nullptr);
  SequenceRequest probe = request(prompt(12, 2), 16, 3, 0.0f);
  const std::string full = solo_text(probe);
  ASSERT_GE(full.size(), 8u);
  const std::string stop = full.substr(5, 3);
  SequenceRequest req = request(prompt(12, 2), 16, 3, 0.0f);
  req.params.stop = {"never-there", stop};
  auto recorder = std::make_shared<Recorder>();
  submit(*scheduler, std::move(req), recorder);
  const Finished finished = recorder->wait();
  EXPECT_EQ(finished.reason, FinishReason::kStop);
  EXPECT_EQ(finished.stop_index, 1);
  EXPECT_EQ(recorder->text(), full.substr(0, full.find(stop)));
}

TEST_P(SchedulerTest, ConcurrentSeededRequestsMatchTheirSoloRuns) {
  // A small token budget mixes decode tokens and prompt chunks in one step.
  // Held until all are submitted, so they run together however fast the engine.
  testing::StepGate gate;
  auto scheduler = make({.n_ctx = 256, .max_seqs = 16, .max_batch_tokens = 24, .before_step = gate.hook()});
  ASSERT_NE(scheduler, nullptr);
  constexpr int kRequests = 12;
  std::vector<std::string> expected;
  std::vector<std::shared_ptr<Recorder>> recorders;
  std::vector<SequenceRequest> requests;
  for (int idx = 0; idx < kRequests; ++idx) {
    requests.push_back(request(prompt(8 + idx * 5, idx), 10 + idx, 100 + idx, idx % 3 == 0 ? 0.0f : 0.9f));
    expected.push_back(solo_text(requests.back()));
  }
  for (int idx = 0; idx < kRequests; ++idx) {
    recorders.push_back(std::make_shared<Recorder>(idx));
    submit(*scheduler, std::move(requests[static_cast<size_t>(idx)]), recorders.back());
  }
  gate.open();
  for (int idx = 0; idx < kRequests; ++idx) {
    const Finished finished = recorders[static_cast<size_t>(idx)]->wait();
    EXPECT_EQ(finished.n_generated_tokens, 10 + idx);
    EXPECT_EQ(recorders[static_cast<size_t>(idx)]->text(), expected[static_cast<size_t>(idx)]) << "request " << idx;
  }
  const EngineStats stats = scheduler->stats();
  EXPECT_EQ(stats.n_running, 0);
  EXPECT_EQ(stats.kv_blocks_used, 0);
  // Batching happened: far fewer steps than tokens.
  EXPECT_LT(stats.n_steps_total, stats.n_generated_tokens_total);
}

TEST_P(SchedulerTest, PrefixCacheServesSharedPromptsWithoutChangingOutputs) {
  auto scheduler = make({.n_ctx = 256, .kv_block_tokens = 16});
  ASSERT_NE(scheduler, nullptr);
  const std::vector<int32_t> first = prompt(40, 3);
  {
    auto recorder = std::make_shared<Recorder>();
    submit(*scheduler, request(first, 20, 1), recorder);
    EXPECT_EQ(recorder->wait().n_cached_prompt_tokens, 0);
  }
  // Shares 36 tokens: two full blocks come from the cache.
  std::vector<int32_t> second = first;
  second.resize(36);
  for (int idx = 0; idx < 10; ++idx) second.push_back(60 + idx);
  const std::string expected = solo_text(request(second, 20, 2));
  auto recorder = std::make_shared<Recorder>();
  submit(*scheduler, request(second, 20, 2), recorder);
  const Finished finished = recorder->wait();
  EXPECT_EQ(finished.n_cached_prompt_tokens, 32);
  EXPECT_EQ(recorder->text(), expected);

  // The same prompt again: all but its last partial block, and never the
  // final token (its logits start the output).
  auto again = std::make_shared<Recorder>();
  submit(*scheduler, request(prompt(32, 3), 4, 2), again);
  EXPECT_EQ(again->wait().n_cached_prompt_tokens, 16);

  const EngineStats stats = scheduler->stats();
  EXPECT_EQ(stats.kv_blocks_used, 0);
  EXPECT_GT(stats.kv_blocks_cached, 0);
  EXPECT_EQ(stats.n_cached_tokens_total, 32 + 16);
}

TEST_P(SchedulerTest, GeneratedBlocksServeTheNextTurn) {
  auto scheduler = make({.n_ctx = 256, .kv_block_tokens = 16});
  ASSERT_NE(scheduler, nullptr);
  // Turn one: 20 prompt tokens + 30 generated (greedy so the ids are known).
  SequenceRequest turn_one = request(prompt(20, 4), 30, 0, 0.0f);
  ThreadPool pool(1);
  InferContext ctx(*model_, 256, pool);
  Generator generator(ctx, *tokenizer_);
  auto result = generator.generate(turn_one.prompt, turn_one.params, [](std::string_view) { return true; });
  ASSERT_TRUE(result.ok());
  auto recorder = std::make_shared<Recorder>();
  submit(*scheduler, std::move(turn_one), recorder);
  recorder->wait();
  // Turn two: the whole conversation so far plus a new message.
  std::vector<int32_t> turn_two = prompt(20, 4);
  turn_two.insert(turn_two.end(), result->generated.begin(), result->generated.end());
  for (int idx = 0; idx < 6; ++idx) turn_two.push_back(70 + idx);
  auto next = std::make_shared<Recorder>();
  submit(*scheduler, request(turn_two, 4, 1), next);
  // 20 + 30 = 50 positions were written in turn one (the last sampled token
  // is never evaluated): 49 positions, so 3 full blocks.
  EXPECT_EQ(next->wait().n_cached_prompt_tokens, 48);
}

TEST_P(SchedulerTest, RejectsBadRequestsBeforeQueueing) {
  auto scheduler = make({.n_ctx = 64, .max_seqs = 1, .max_queued = 1});
  ASSERT_NE(scheduler, nullptr);
  auto recorder = std::make_shared<Recorder>();
  EXPECT_EQ(scheduler->submit(request({}, 4, 0), recorder).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(scheduler->submit(request({1, 5000}, 4, 0), recorder).status().code(), ErrorCode::kOutOfRange);
  auto too_long = scheduler->submit(request(prompt(40, 0), 30, 0), recorder);
  EXPECT_EQ(too_long.status().code(), ErrorCode::kOutOfRange);
  EXPECT_NE(too_long.status().message().find("64"), std::string::npos) << too_long.status().message();
  SequenceRequest zero = request(prompt(4, 0), 0, 0);
  EXPECT_EQ(scheduler->submit(std::move(zero), recorder).status().code(), ErrorCode::kInvalidArgument);
  SequenceRequest logprobs = request(prompt(4, 0), 4, 0);
  logprobs.n_top_logprobs = 21;
  EXPECT_EQ(scheduler->submit(std::move(logprobs), recorder).status().code(), ErrorCode::kInvalidArgument);
  SequenceRequest bad_temperature = request(prompt(4, 0), 4, 0, -1.0f);
  EXPECT_EQ(scheduler->submit(std::move(bad_temperature), recorder).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(scheduler->submit(request(prompt(4, 0), 4, 0), nullptr).status().code(), ErrorCode::kInvalidArgument);

  // Queue limit: one running (held at the gate after its first step), one
  // waiting, the third is refused.
  testing::StepGate gate;
  auto queue_test = make({.n_ctx = 256, .max_seqs = 1, .max_queued = 1, .before_step = gate.hook()});
  ASSERT_NE(queue_test, nullptr);
  auto running = std::make_shared<Recorder>(1);
  auto handle = submit(*queue_test, request(prompt(4, 0), 200, 0), running);
  gate.run_steps(1);  // admitted: no longer queued
  auto waiting = std::make_shared<Recorder>(2);
  submit(*queue_test, request(prompt(4, 1), 4, 0), waiting);
  auto refused = queue_test->submit(request(prompt(4, 2), 4, 0), std::make_shared<Recorder>(3));
  EXPECT_EQ(refused.status().code(), ErrorCode::kResourceExhausted);
  handle->cancel();
  gate.open();
  const Finished cancelled = running->wait();
  EXPECT_EQ(cancelled.reason, FinishReason::kCancelled);
  EXPECT_EQ(cancelled.n_generated_tokens, 1);
  EXPECT_EQ(waiting->wait().reason, FinishReason::kLength);
}

TEST_P(SchedulerTest, RejectsBadOptions) {
  for (const SchedulerOptions& options :
       {SchedulerOptions{.n_ctx = 0}, SchedulerOptions{.max_seqs = 0}, SchedulerOptions{.max_batch_tokens = 0},
        SchedulerOptions{.max_queued = -1}, SchedulerOptions{.kv_block_tokens = 0},
        SchedulerOptions{.n_ctx = 128, .kv_pool_tokens = 64}, SchedulerOptions{.kv_dtype = tensor::DType::kQ8_0}}) {
    auto scheduler = Scheduler::create(*model_, *tokenizer_, options);
    EXPECT_FALSE(scheduler.ok());
  }
}

TEST_P(SchedulerTest, CancelStopsAtOnceAndFreesBlocks) {
  testing::StepGate gate;
  auto scheduler = make({.n_ctx = 256, .max_seqs = 1, .before_step = gate.hook()});
  ASSERT_NE(scheduler, nullptr);
  auto running = std::make_shared<Recorder>();
  auto handle = submit(*scheduler, request(prompt(30, 5), 200, 0), running);
  auto queued = std::make_shared<Recorder>();
  auto queued_handle = submit(*scheduler, request(prompt(30, 6), 200, 0), queued);
  // Step 1 prefills the first request and samples its first token; step 2 its second.
  gate.run_steps(2);
  queued_handle->cancel();
  handle->cancel();
  handle->cancel();  // idempotent
  gate.open();
  const Finished finished = running->wait();
  EXPECT_EQ(finished.reason, FinishReason::kCancelled);
  EXPECT_EQ(finished.n_generated_tokens, 2) << "the cancel did not land at the next step";
  EXPECT_EQ(queued->wait().reason, FinishReason::kCancelled);
  const EngineStats stats = scheduler->stats();
  EXPECT_EQ(stats.kv_blocks_used, 0);
  EXPECT_EQ(stats.n_running, 0);
  EXPECT_EQ(stats.n_waiting, 0);
}

TEST_P(SchedulerTest, InteractivePromptPausesBatchWork) {
  EventLog log;
  testing::StepGate gate;
  auto scheduler = make({.n_ctx = 256, .max_seqs = 4, .max_batch_tokens = 8, .before_step = gate.hook()});
  ASSERT_NE(scheduler, nullptr);
  auto batch = std::make_shared<Recorder>(1, &log);
  SequenceRequest batch_req = request(prompt(10, 7), 240, 0);
  batch_req.priority = Priority::kBatch;
  submit(*scheduler, std::move(batch_req), batch);
  // The 10-token batch prompt takes two steps of 8; then one token a step.
  gate.run_steps(4);
  {
    std::lock_guard lock(log.mu);
    ASSERT_EQ(log.token_owners, std::vector<int>(3, 1));
  }
  // 60 prompt tokens at 8 per step: 8 steps of prefill, batch work sitting out.
  auto interactive = std::make_shared<Recorder>(2, &log);
  submit(*scheduler, request(prompt(60, 8), 5, 0), interactive);
  gate.run_steps(8);
  {
    std::lock_guard lock(log.mu);
    std::vector<int> expected(3, 1);
    expected.push_back(2);
    EXPECT_EQ(log.token_owners, expected) << "batch work ran during an interactive prefill";
  }
  gate.open();
  interactive->wait();
  batch->wait();
  std::lock_guard lock(log.mu);
  EXPECT_EQ(log.finish_order.front(), 2);
}

TEST_P(SchedulerTest, InteractiveTakesTheStepFromBatchAtTheSequenceLimit) {
  EventLog log;
  testing::StepGate gate;
  // A pool with room for both: the interactive request is admitted beyond max_seqs.
  auto scheduler = make({.n_ctx = 256, .max_seqs = 1, .kv_pool_tokens = 512, .before_step = gate.hook()});
  ASSERT_NE(scheduler, nullptr);
  auto batch = std::make_shared<Recorder>(1, &log);
  SequenceRequest batch_req = request(prompt(10, 9), 240, 0);
  batch_req.priority = Priority::kBatch;
  submit(*scheduler, std::move(batch_req), batch);
  gate.run_steps(2);  // the batch request runs, two tokens in
  auto interactive = std::make_shared<Recorder>(2, &log);
  submit(*scheduler, request(prompt(10, 10), 20, 0), interactive);
  gate.open();
  EXPECT_EQ(interactive->wait().n_generated_tokens, 20);
  EXPECT_EQ(batch->wait().n_generated_tokens, 240);
  std::lock_guard lock(log.mu);
  // The interactive request came in after the batch one's second token and
  // from then on ran alone.
  const auto first = std::find(log.token_owners.begin(), log.token_owners.end(), 2);
  ASSERT_NE(first, log.token_owners.end());
  EXPECT_EQ(first - log.token_owners.begin(), 2) << "the interactive request waited for the batch one to end";
  EXPECT_EQ(std::count(first, first + 20, 2), 20);
}

TEST_P(SchedulerTest, BatchPromptsShareOneSmallChunkPerStep) {
  auto scheduler = make({.n_ctx = 256, .max_batch_tokens = 512, .batch_prefill_chunk = 8});
  ASSERT_NE(scheduler, nullptr);
  // An interactive 40-token prompt takes one step.
  auto interactive = std::make_shared<Recorder>();
  submit(*scheduler, request(prompt(40, 12), 1, 0), interactive);
  interactive->wait();
  EXPECT_EQ(scheduler->stats().n_steps_total, 1);
  // Two batch prompts of 40 share 8 tokens a step: at least 10 steps.
  std::vector<std::shared_ptr<Recorder>> recorders;
  for (int idx = 0; idx < 2; ++idx) {
    SequenceRequest req = request(prompt(40, 13 + idx), 1, 0);
    req.priority = Priority::kBatch;
    recorders.push_back(std::make_shared<Recorder>());
    submit(*scheduler, std::move(req), recorders.back());
  }
  for (auto& recorder : recorders) recorder->wait();
  EXPECT_GE(scheduler->stats().n_steps_total, 1 + 10);
}

TEST_P(SchedulerTest, AdmitsFirstComeFirstServedAtTheSequenceLimit) {
  EventLog log;
  testing::StepGate gate;
  auto scheduler = make({.n_ctx = 256, .max_seqs = 2, .before_step = gate.hook()});
  ASSERT_NE(scheduler, nullptr);
  std::vector<std::shared_ptr<Recorder>> recorders;
  // All four wait at the gate before the first step.
  for (int idx = 0; idx < 4; ++idx) {
    recorders.push_back(std::make_shared<Recorder>(idx, &log));
    submit(*scheduler, request(prompt(8, idx), 200, 0), recorders.back());
  }
  gate.open();
  for (auto& recorder : recorders) EXPECT_EQ(recorder->wait().n_generated_tokens, 200);
  std::lock_guard lock(log.mu);
  ASSERT_EQ(log.finish_order.size(), 4u);
  EXPECT_LT(std::max(log.finish_order[0], log.finish_order[1]), 2);
  // Running sequences advance every step: from the first token of request 1
  // until request 0 ends, their tokens alternate (counts differ by at most one).
  const auto begin = std::find(log.token_owners.begin(), log.token_owners.end(), 1);
  const auto end = std::find(log.token_owners.rbegin(), log.token_owners.rend(), 0).base();
  ASSERT_LT(begin, end) << "request 1 started only after request 0 ended";
  const auto n_0 = std::count(begin, end, 0);
  const auto n_1 = std::count(begin, end, 1);
  EXPECT_LE(std::abs(n_0 - n_1), 1) << n_0 << " tokens of request 0, " << n_1 << " of request 1";
}

TEST_P(SchedulerTest, LogprobsAreTheLogSoftmaxOfTheLogits) {
  auto scheduler = make({.n_ctx = 256});
  ASSERT_NE(scheduler, nullptr);
  SequenceRequest req = request(prompt(10, 11), 1, 0, 0.0f);
  req.n_top_logprobs = 3;
  // The reference: logits of the prompt from a private context.
  ThreadPool pool(1);
  InferContext ctx(*model_, 256, pool);
  auto logits = ctx.eval(req.prompt);
  ASSERT_TRUE(logits.ok());
  double max_logit = *std::max_element(logits->begin(), logits->end());
  double sum = 0.0;
  for (float logit : *logits) sum += std::exp(logit - max_logit);
  const auto argmax = static_cast<int32_t>(std::max_element(logits->begin(), logits->end()) - logits->begin());
  const double expected = (*logits)[static_cast<size_t>(argmax)] - max_logit - std::log(sum);

  auto recorder = std::make_shared<Recorder>();
  submit(*scheduler, std::move(req), recorder);
  recorder->wait();
  ASSERT_EQ(recorder->logprobs().size(), 1u);
  EXPECT_EQ(recorder->logprobs()[0].id, argmax);
  EXPECT_NEAR(recorder->logprobs()[0].logprob, expected, 1e-4);
  const std::vector<TokenLogprob> top = recorder->top()[0];
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0].id, argmax);
  EXPECT_GE(top[0].logprob, top[1].logprob);
  EXPECT_GE(top[1].logprob, top[2].logprob);
  EXPECT_EQ(top[0].bytes, tokenizer_->token_to_bytes(argmax, true));
}

TEST_P(SchedulerTest, DrainFinishesOrCancelsAndThenRefuses) {
  auto scheduler = make({.n_ctx = 256});
  ASSERT_NE(scheduler, nullptr);
  EXPECT_EQ(scheduler->drain(0), 0);  // nothing to drain; now refuses
  EXPECT_EQ(scheduler->submit(request(prompt(4, 0), 4, 0), std::make_shared<Recorder>()).status().code(),
            ErrorCode::kUnavailable);

  // The long request is held at the gate, so the drain's deadline passes with
  // it running; the drain's cancel releases the gate (its stop_token).
  testing::StepGate gate;
  auto other = make({.n_ctx = 256, .before_step = gate.hook()});
  ASSERT_NE(other, nullptr);
  auto short_one = std::make_shared<Recorder>();
  auto long_one = std::make_shared<Recorder>();
  submit(*other, request(prompt(4, 1), 3, 0), short_one);
  submit(*other, request(prompt(4, 2), 200, 0), long_one);
  gate.run_steps(3);  // both prefilled in step 1; the short one's third token in step 3
  EXPECT_EQ(short_one->wait().reason, FinishReason::kLength);
  EXPECT_EQ(other->drain(1), 1);
  const Finished finished = long_one->wait();
  EXPECT_EQ(finished.reason, FinishReason::kCancelled);
  EXPECT_EQ(finished.error.code(), ErrorCode::kUnavailable);
  EXPECT_EQ(finished.n_generated_tokens, 3);
}

TEST_P(SchedulerTest, ChurnWithCancellationsLeaksNoBlocks) {
  // A pool smaller than the requests' total: admission waits for room.
  auto scheduler = make({.n_ctx = 128,
                         .max_seqs = 6,
                         .max_batch_tokens = 32,
                         .max_queued = 100,
                         .kv_block_tokens = 8,
                         .kv_pool_tokens = 300});
  ASSERT_NE(scheduler, nullptr);
  std::vector<std::shared_ptr<Recorder>> recorders;
  std::vector<std::shared_ptr<SequenceHandle>> handles;
  uint32_t state = 7;
  for (int idx = 0; idx < 40; ++idx) {
    state = state * 1664525u + 1013904223u;
    const int n_prompt = 4 + static_cast<int>((state >> 8) % 60);
    const int max_tokens = 1 + static_cast<int>((state >> 16) % 40);
    // Reuse a few prompt families so the prefix cache shares and evicts.
    recorders.push_back(std::make_shared<Recorder>(idx));
    handles.push_back(submit(*scheduler, request(prompt(n_prompt, idx % 4), max_tokens, idx), recorders.back()));
    if ((state >> 4) % 5 == 0) handles.back()->cancel();
  }
  for (auto& recorder : recorders) recorder->wait();
  const EngineStats stats = scheduler->stats();
  EXPECT_EQ(stats.kv_blocks_used, 0);
  EXPECT_EQ(stats.n_running, 0);
  EXPECT_EQ(stats.n_waiting, 0);
  EXPECT_LE(stats.kv_blocks_cached, stats.kv_blocks_total);
}

INSTANTIATE_TEST_SUITE_P(WeightTypes, SchedulerTest,
                         ::testing::Values(tensor::DType::kF32, tensor::DType::kQ8_0, tensor::DType::kQ4_0),
                         [](const ::testing::TestParamInfo<tensor::DType>& info) {
                           return std::string(tensor::dtype_info(info.param).name);
                         });

}  // namespace
}  // namespace hearth::infer
