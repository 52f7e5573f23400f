// ComputePool: the order of turns, and two engines of one node sharing it (an
// interactive chat's first token is not held behind batch embedding work).
// Every wait is on observable state (n_waiting, callbacks); deadlines only
// guard against a hang.
#include "infer/compute_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "infer/decoder_engine.h"
#include "infer/embedding_engine.h"
#include "tiny_model.h"

namespace hearth::infer {
namespace {

using namespace std::chrono_literals;

// Spins (yielding) until pred() holds; false after a minute (a hang guard).
template <typename Pred>
bool eventually(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::yield();
  }
  return true;
}

// Events in the order they happened, from any thread.
class EventLog {
 public:
  void add(std::string event) {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(event));
    cv_.notify_all();
  }
  bool wait_for_count(size_t n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 60s, [&] { return events_.size() >= n; });
  }
  std::vector<std::string> events() {
    std::lock_guard lock(mu_);
    return events_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
};

TEST(ComputePoolTest, InteractiveTurnsGoBeforeBatchOnesAndEachClassInArrivalOrder) {
  ComputePool pool(2);
  EventLog log;
  std::vector<std::thread> takers;
  {
    const ComputePool::Turn held = pool.take_turn(Priority::kBatch);  // another engine's step under way
    const auto take = [&](Priority priority, std::string name) {
      takers.emplace_back([&pool, &log, priority, name] {
        const ComputePool::Turn turn = pool.take_turn(priority);
        log.add(name);
      });
    };
    take(Priority::kBatch, "batch 1");
    ASSERT_TRUE(eventually([&] { return pool.n_waiting(Priority::kBatch) == 1; }));
    take(Priority::kInteractive, "interactive 1");
    ASSERT_TRUE(eventually([&] { return pool.n_waiting(Priority::kInteractive) == 1; }));
    take(Priority::kBatch, "batch 2");
    ASSERT_TRUE(eventually([&] { return pool.n_waiting(Priority::kBatch) == 2; }));
    take(Priority::kInteractive, "interactive 2");
    ASSERT_TRUE(eventually([&] { return pool.n_waiting(Priority::kInteractive) == 2; }));
    EXPECT_TRUE(log.events().empty());  // nobody runs while the turn is held
  }
  for (std::thread& taker : takers) taker.join();
  EXPECT_EQ(log.events(), (std::vector<std::string>{"interactive 1", "interactive 2", "batch 1", "batch 2"}));
  EXPECT_EQ(pool.n_turns_total(), 5u);
  EXPECT_EQ(pool.n_waiting(Priority::kBatch), 0);
  EXPECT_EQ(pool.n_waiting(Priority::kInteractive), 0);
}

TEST(ComputePoolTest, ATurnRunsKernelsOnEveryThread) {
  ComputePool pool(2);
  EXPECT_EQ(pool.n_threads(), 2);
  const ComputePool::Turn turn = pool.take_turn(Priority::kInteractive);
  std::vector<int> ran(2, 0);
  pool.threads().run([&](int thread_idx) { ran[static_cast<size_t>(thread_idx)] = 1; });
  EXPECT_EQ(ran, (std::vector<int>{1, 1}));
}

TEST(ComputePoolTest, NoThreadCountMeansOnePerHardwareThread) {
  ComputePool pool(0);
  EXPECT_EQ(pool.n_threads(), std::max(1, static_cast<int>(std::thread::hardware_concurrency())));
}

// Records the first token of a sequence and its end.
class FirstTokenObserver : public SequenceObserver {
 public:
  explicit FirstTokenObserver(EventLog& log) : log_(log) {}
  void on_token(const TokenEvent& /*event*/) override {
    if (!seen_first_) log_.add("chat first token");
    seen_first_ = true;
  }
  void on_finish(const FinishEvent& /*event*/) override { log_.add("chat finished"); }

 private:
  EventLog& log_;
  bool seen_first_ = false;  // engine thread only
};

// A node's chat model and embedding model on one pool: while another engine's
// step holds the threads, a batch embedding request and an interactive chat
// request both wait for a turn; the chat's prefill (and its first token) goes
// first although the embedding asked first.
TEST(ComputePoolTest, ABatchEmbeddingJobDoesNotDelayAChatsFirstToken) {
  auto compute = std::make_shared<ComputePool>(2);

  testing::TinyModelSpec chat_spec = testing::family_spec("qwen3", tensor::DType::kF32);
  auto tokenizer = testing::tiny_tokenizer(chat_spec.n_vocab);
  auto chat_model = testing::load_tiny_model(chat_spec, "compute_pool_chat");
  ASSERT_TRUE(chat_model.ok()) << chat_model.status().to_string();
  SchedulerOptions chat_options;
  chat_options.n_ctx = 64;
  chat_options.max_seqs = 2;
  chat_options.compute = compute;
  auto chat = DecoderEngine::create(std::move(chat_model).value(), *tokenizer, chat_options);
  ASSERT_TRUE(chat.ok()) << chat.status().to_string();

  testing::TinyModelSpec embed_spec = testing::family_spec("qwen3", tensor::DType::kF32);
  embed_spec.pooling = 1;  // mean
  auto embed_model = testing::load_tiny_model(embed_spec, "compute_pool_embed");
  ASSERT_TRUE(embed_model.ok()) << embed_model.status().to_string();
  EmbeddingEngineOptions embed_options;
  embed_options.n_ctx = 64;
  embed_options.max_batch_tokens = 64;
  embed_options.compute = compute;
  auto embedder = EmbeddingEngine::create(std::move(embed_model).value(), embed_options);
  ASSERT_TRUE(embedder.ok()) << embedder.status().to_string();

  EventLog log;
  {
    const ComputePool::Turn held = compute->take_turn(Priority::kBatch);
    EmbedRequest job;
    for (int input_idx = 0; input_idx < 4; ++input_idx) job.inputs.push_back({3, 5, 7, 9, 11, 13, 15, 17});
    job.priority = Priority::kBatch;
    ASSERT_TRUE((*embedder)
                    ->embed(std::move(job), [&log](Result<EmbedResult> result) {
                      log.add(result.ok() ? "embedding done" : "embedding failed");
                    })
                    .ok());
    ASSERT_TRUE(eventually([&] { return compute->n_waiting(Priority::kBatch) == 1; }));

    SequenceRequest request;
    request.prompt = {1, 7, 9, 11, 13};
    request.params.max_tokens = 1;
    request.params.sampling.temperature = 0.0f;
    auto handle = (*chat)->submit(std::move(request), std::make_shared<FirstTokenObserver>(log));
    ASSERT_TRUE(handle.ok()) << handle.status().to_string();
    ASSERT_TRUE(eventually([&] { return compute->n_waiting(Priority::kInteractive) == 1; }));
  }
  ASSERT_TRUE(log.wait_for_count(3));
  const std::vector<std::string> events = log.events();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[0], "chat first token");
  EXPECT_NE(std::find(events.begin(), events.end(), "embedding done"), events.end());
}

}  // namespace
}  // namespace hearth::infer
