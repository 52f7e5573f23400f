// SequenceChannel: owned copies, one notification per batch, nothing after close().
#include "api/sequence_channel.h"

#include <gtest/gtest.h>

#include <atomic>
#include <new>
#include <string>
#include <thread>
#include <vector>

namespace hearth::api {
namespace {

infer::TokenEvent token_event(std::string_view text, std::span<const infer::TokenLogprob> top = {}) {
  infer::TokenEvent event;
  event.text = text;
  event.token = infer::TokenLogprob{5, std::string(text), -0.5f};
  event.top_logprobs = top;
  return event;
}

TEST(SequenceChannelTest, CopiesEventsAndNotifiesOncePerBatch) {
  int n_notified = 0;
  SequenceChannel channel(/*with_logprobs=*/true, [&] { ++n_notified; });
  std::string text = "ab";
  const std::vector<infer::TokenLogprob> top = {{5, "ab", -0.5f}, {6, "cd", -1.0f}};
  channel.on_token(token_event(text, top));
  text = "XX";  // the engine reuses its buffers after the callback
  channel.on_token(token_event("c"));
  EXPECT_EQ(n_notified, 1);

  SequenceOutput output = channel.take();
  ASSERT_EQ(output.tokens.size(), 2u);
  EXPECT_EQ(output.tokens[0].text, "ab");
  EXPECT_EQ(output.tokens[0].token.bytes, "ab");
  ASSERT_EQ(output.tokens[0].top_logprobs.size(), 2u);
  EXPECT_EQ(output.tokens[0].top_logprobs[1].bytes, "cd");
  EXPECT_FALSE(output.finish);

  infer::FinishEvent finish;
  finish.reason = infer::FinishReason::kLength;
  finish.text = "tail";
  finish.n_prompt_tokens = 3;
  finish.n_generated_tokens = 2;
  channel.on_finish(finish);
  EXPECT_EQ(n_notified, 2);
  output = channel.take();
  EXPECT_TRUE(output.tokens.empty());
  ASSERT_TRUE(output.finish);
  EXPECT_EQ(output.finish->text, "tail");
  EXPECT_EQ(output.finish->reason, infer::FinishReason::kLength);
  EXPECT_EQ(output.finish->n_prompt_tokens, 3);
}

TEST(SequenceChannelTest, WithoutLogprobsCopiesOnlyText) {
  SequenceChannel channel(/*with_logprobs=*/false, [] {});
  const std::vector<infer::TokenLogprob> top = {{5, "ab", -0.5f}};
  channel.on_token(token_event("ab", top));
  const SequenceOutput output = channel.take();
  ASSERT_EQ(output.tokens.size(), 1u);
  EXPECT_EQ(output.tokens[0].text, "ab");
  EXPECT_TRUE(output.tokens[0].top_logprobs.empty());
  EXPECT_TRUE(output.tokens[0].token.bytes.empty());
}

TEST(SequenceChannelTest, CloseDropsEventsAndStopsNotifying) {
  int n_notified = 0;
  SequenceChannel channel(false, [&] { ++n_notified; });
  channel.on_token(token_event("a"));
  channel.close();
  channel.on_token(token_event("b"));
  channel.on_finish(infer::FinishEvent{});
  EXPECT_EQ(n_notified, 1);
  const SequenceOutput output = channel.take();
  EXPECT_TRUE(output.tokens.empty());
  EXPECT_FALSE(output.finish);
}

TEST(SequenceChannelTest, AFailureInsideTheObserverNeverReachesTheEngine) {
  int n_calls = 0;
  SequenceChannel channel(false, [&] {
    ++n_calls;
    throw std::bad_alloc();
  });
  EXPECT_NO_THROW(channel.on_token(token_event("a")));
  EXPECT_NO_THROW(channel.on_finish(infer::FinishEvent{}));
  EXPECT_GE(n_calls, 1);
  const SequenceOutput output = channel.take();
  EXPECT_TRUE(output.lost_events);  // the reader fails the request instead of returning a gap
  EXPECT_TRUE(output.finish.has_value());
}

TEST(SequenceChannelTest, EngineThreadAndReaderThreadLoseNothing) {
  std::atomic<int> n_notified{0};
  SequenceChannel channel(false, [&] { ++n_notified; });
  constexpr int kTokens = 20000;
  std::thread engine([&] {
    for (int token_idx = 0; token_idx < kTokens; ++token_idx) channel.on_token(token_event("t"));
    channel.on_finish(infer::FinishEvent{});
  });
  size_t n_received = 0;
  bool finished = false;
  while (!finished) {
    SequenceOutput output = channel.take();
    n_received += output.tokens.size();
    finished = output.finish.has_value();
  }
  engine.join();
  EXPECT_EQ(n_received, static_cast<size_t>(kTokens));
  EXPECT_GE(n_notified.load(), 1);
  EXPECT_LE(n_notified.load(), kTokens + 1);
}

}  // namespace
}  // namespace hearth::api
