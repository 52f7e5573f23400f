// DecoderEngine through the Engine interface: what the node sees of hearth's
// own text generator (capabilities, memory terms, submit, drain).
#include "infer/decoder_engine.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <mutex>

#include "infer/kv_block_pool.h"
#include "tiny_model.h"

namespace hearth::infer {
namespace {

using namespace std::chrono_literals;

class FinishLatch : public SequenceObserver {
 public:
  void on_token(const TokenEvent& /*event*/) override {
    std::lock_guard lock(mu_);
    ++n_tokens_;
  }
  void on_finish(const FinishEvent& event) override {
    std::lock_guard lock(mu_);
    reason_ = event.reason;
    n_generated_ = event.n_generated_tokens;
    done_ = true;
    cv_.notify_all();
  }
  // Waits (bounded, a hang guard) for on_finish.
  bool wait() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 60s, [this] { return done_; });
  }
  int n_tokens() {
    std::lock_guard lock(mu_);
    return n_tokens_;
  }
  FinishReason reason() {
    std::lock_guard lock(mu_);
    return reason_;
  }
  int64_t n_generated() {
    std::lock_guard lock(mu_);
    return n_generated_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  int n_tokens_ = 0;
  int64_t n_generated_ = 0;
  FinishReason reason_ = FinishReason::kStop;
};

class DecoderEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spec_ = testing::llama_gqa_llama3_spec(tensor::DType::kQ8_0);
    tokenizer_ = testing::tiny_tokenizer(spec_.n_vocab);
    auto model = testing::load_tiny_model(spec_, "decoder_engine");
    ASSERT_TRUE(model.ok()) << model.status().to_string();
    weights_bytes_ = (*model)->file().tensor_data_bytes();
    options_.n_ctx = 64;
    options_.max_seqs = 3;
    options_.n_threads = 2;
    auto engine = DecoderEngine::create(std::move(model).value(), *tokenizer_, options_);
    ASSERT_TRUE(engine.ok()) << engine.status().to_string();
    engine_ = std::move(engine).value();
  }

  static SequenceRequest greedy_request(int32_t max_tokens) {
    SequenceRequest request;
    request.prompt = {1, 7, 9, 11, 13};
    request.params.max_tokens = max_tokens;
    request.params.sampling.temperature = 0.0f;
    return request;
  }

  testing::TinyModelSpec spec_;
  std::unique_ptr<text::Tokenizer> tokenizer_;
  SchedulerOptions options_;
  int64_t weights_bytes_ = 0;
  std::unique_ptr<Engine> engine_;
};

TEST_F(DecoderEngineTest, GeneratesAndSaysSo) {
  EXPECT_EQ(engine_->capabilities(), model::capability_bit(model::Capability::kGenerate));
  EXPECT_EQ(engine_->n_ctx(), 64);
  auto latch = std::make_shared<FinishLatch>();
  auto handle = engine_->submit(greedy_request(6), latch);
  ASSERT_TRUE(handle.ok()) << handle.status().to_string();
  ASSERT_TRUE(latch->wait());
  EXPECT_EQ(latch->reason(), FinishReason::kLength);
  EXPECT_EQ(latch->n_generated(), 6);
  EXPECT_EQ(engine_->stats().n_generated_tokens_total, 6);
  EXPECT_EQ(engine_->stats().n_prompt_tokens_total, 5);
}

TEST_F(DecoderEngineTest, MemoryIsTheWeightsTheKvPoolAndTheScratch) {
  const int64_t pool_bytes =
      options_.n_ctx * options_.max_seqs *
      KvBlockPool::bytes_per_token({spec_.n_layer, spec_.n_head_kv, spec_.resolved_head_dim()}, options_.kv_dtype);
  EngineMemory before = engine_->memory();
  EXPECT_EQ(before.weights_bytes, weights_bytes_);
  EXPECT_GT(before.weights_bytes, 0);
  EXPECT_EQ(before.cache_bytes, pool_bytes);

  auto latch = std::make_shared<FinishLatch>();
  ASSERT_TRUE(engine_->submit(greedy_request(4), latch).ok());
  ASSERT_TRUE(latch->wait());
  EngineMemory after = engine_->memory();
  EXPECT_EQ(after.cache_bytes, pool_bytes);  // sized at start, never grown
  EXPECT_GE(after.scratch_bytes, before.scratch_bytes);
  EXPECT_GT(after.scratch_bytes, 0);
  EXPECT_EQ(after.total_bytes(), after.weights_bytes + after.cache_bytes + after.scratch_bytes);
}

TEST_F(DecoderEngineTest, DrainStopsAdmitting) {
  EXPECT_EQ(engine_->drain(1000, "going away"), 0);  // nothing to cancel
  auto refused = engine_->submit(greedy_request(2), std::make_shared<FinishLatch>());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), ErrorCode::kUnavailable);
}

TEST(EngineTest, AMissingCapabilityNamesWhatTheEngineServes) {
  const Status status = missing_capability_error("the model 'e5': text generation", model::Capability::kGenerate,
                                                 model::capability_bit(model::Capability::kEmbed));
  EXPECT_EQ(status.code(), ErrorCode::kFailedPrecondition);
  EXPECT_EQ(status.message(),
            "the model 'e5': text generation needs an engine that can generate; this model's engine serves only: "
            "embed");
}

}  // namespace
}  // namespace hearth::infer
