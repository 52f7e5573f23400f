// Generator on a tiny random model with a small SentencePiece-style vocabulary.
// Expected texts come from the tokenizer's own token_to_bytes, and expected
// ids from a plain eval/argmax loop, so each test checks the generator's
// plumbing (limits, stops, end-of-generation, cancellation, reuse).
#include "infer/generator.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "text/utf8.h"
#include "tiny_model.h"

namespace hearth::infer {
namespace {

using testing::TinyModelSpec;

GenerateParams greedy(int32_t max_tokens) {
  GenerateParams params;
  params.max_tokens = max_tokens;
  params.sampling.temperature = 0.0f;
  return params;
}

struct Collected {
  std::vector<std::string> pieces;
  std::string text() const {
    std::string joined;
    for (const std::string& piece : pieces) joined += piece;
    return joined;
  }
};

TextSink collect_into(Collected& collected) {
  return [&collected](std::string_view piece) {
    EXPECT_FALSE(piece.empty());
    EXPECT_TRUE(text::is_valid_utf8(piece));
    collected.pieces.emplace_back(piece);
    return true;
  };
}

class GeneratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    spec_ = testing::llama_gqa_llama3_spec(tensor::DType::kF32);
    auto model = testing::load_tiny_model(spec_, "generator");
    ASSERT_TRUE(model.ok()) << model.status().to_string();
    model_ = std::move(model).value();
    tokenizer_ = testing::tiny_tokenizer(spec_.n_vocab);
    ASSERT_NE(tokenizer_, nullptr);
    prompt_ = {1, 5, 6, 40, 41, 7};
  }

  // Greedy ids by hand: eval, argmax, repeat.
  std::vector<int32_t> argmax_ids(int n_tokens) {
    ThreadPool pool(1);
    InferContext ctx(*model_, 64, pool);
    std::vector<int32_t> ids;
    auto logits = ctx.eval(prompt_);
    for (int step = 0; step < n_tokens; ++step) {
      EXPECT_TRUE(logits.ok());
      const int32_t id = static_cast<int32_t>(std::max_element(logits->begin(), logits->end()) - logits->begin());
      ids.push_back(id);
      logits = ctx.eval(std::span<const int32_t>(&ids.back(), 1));
    }
    return ids;
  }

  std::string text_of(std::span<const int32_t> ids) const {
    std::string bytes;
    for (int32_t id : ids) bytes += tokenizer_->token_to_bytes(id);
    return text::sanitize_utf8(bytes);
  }

  TinyModelSpec spec_;
  std::unique_ptr<LlamaModel> model_;
  std::unique_ptr<text::Tokenizer> tokenizer_;
  std::vector<int32_t> prompt_;
};

TEST_F(GeneratorTest, GreedyStopsAtMaxTokens) {
  ThreadPool pool(2);
  InferContext ctx(*model_, 64, pool);
  Generator generator(ctx, *tokenizer_);
  Collected collected;
  auto result = generator.generate(prompt_, greedy(12), collect_into(collected));
  ASSERT_TRUE(result.ok()) << result.status().to_string();
  EXPECT_EQ(result->finish_reason, FinishReason::kLength);
  EXPECT_STREQ(finish_reason_name(result->finish_reason), "length");
  EXPECT_EQ(result->n_generated_tokens, 12);
  EXPECT_EQ(result->n_prompt_tokens, 6);
  EXPECT_EQ(result->n_cached_prompt_tokens, 0);
  EXPECT_EQ(result->stop_index, -1);
  EXPECT_EQ(result->generated, argmax_ids(12));
  EXPECT_EQ(collected.text(), text_of(result->generated));
  EXPECT_GE(result->prefill_ms, 0.0);
  EXPECT_GE(result->decode_ms, 0.0);
  // The last sampled token is not evaluated: prompt + 11.
  EXPECT_EQ(ctx.n_past(), 6 + 11);
}

TEST_F(GeneratorTest, StopStringAcrossTokenBoundary) {
  const std::vector<int32_t> ids = argmax_ids(16);
  // A boundary between two ASCII pieces of >= 2 bytes each.
  size_t boundary_token = 0;
  std::string before, after;
  for (size_t idx = 2; idx + 1 < ids.size(); ++idx) {
    before = tokenizer_->token_to_bytes(ids[idx]);
    after = tokenizer_->token_to_bytes(ids[idx + 1]);
    if (before.size() >= 2 && after.size() >= 2 && text::is_valid_utf8(before) &&
        static_cast<unsigned char>(before.back()) < 0x80 && static_cast<unsigned char>(after[0]) < 0x80) {
      boundary_token = idx;
      break;
    }
  }
  ASSERT_NE(boundary_token, 0u) << "the random model produced no usable boundary";
  std::string stop(1, before.back());
  stop.push_back(after[0]);
  const std::string full = text_of(ids);
  const size_t stop_pos = full.find(stop);
  ASSERT_NE(stop_pos, std::string::npos);

  ThreadPool pool(2);
  InferContext ctx(*model_, 64, pool);
  Generator generator(ctx, *tokenizer_);
  GenerateParams params = greedy(16);
  params.stop = {"never appears \x01", stop};
  Collected collected;
  auto result = generator.generate(prompt_, params, collect_into(collected));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->finish_reason, FinishReason::kStop);
  EXPECT_EQ(result->stop_index, 1);
  EXPECT_EQ(collected.text(), full.substr(0, stop_pos));
  for (const std::string& piece : collected.pieces) EXPECT_EQ(piece.find(stop), std::string::npos);
  // Generation ended on the token that completed the stop, not later.
  EXPECT_LE(result->n_generated_tokens, static_cast<int64_t>(boundary_token + 2));
  EXPECT_EQ(result->generated, std::vector<int32_t>(ids.begin(), ids.begin() + result->n_generated_tokens));
}

TEST_F(GeneratorTest, HeldBackTextIsReleasedWhenNoStopCompletes) {
  const std::vector<int32_t> ids = argmax_ids(8);
  const std::string full = text_of(ids);
  ASSERT_GE(full.size(), 2u);
  // The text's last byte followed by a byte that never comes: held back to
  // the end, then released.
  ThreadPool pool(1);
  InferContext ctx(*model_, 64, pool);
  Generator generator(ctx, *tokenizer_);
  GenerateParams params = greedy(8);
  params.stop = {full.substr(full.size() - 1) + "\x01"};
  Collected collected;
  auto result = generator.generate(prompt_, params, collect_into(collected));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->finish_reason, FinishReason::kLength);
  EXPECT_EQ(collected.text(), full);
}

TEST_F(GeneratorTest, EndOfGenerationTokenStopsWithoutText) {
  const std::vector<int32_t> ids = argmax_ids(12);
  // The first id from position 2 on that did not occur earlier becomes eos.
  size_t eos_at = 2;
  while (eos_at < ids.size() && std::find(ids.begin(), ids.begin() + eos_at, ids[eos_at]) != ids.begin() + eos_at) {
    ++eos_at;
  }
  ASSERT_LT(eos_at, ids.size());
  auto tokenizer = testing::tiny_tokenizer(spec_.n_vocab, ids[eos_at]);
  ASSERT_NE(tokenizer, nullptr);

  ThreadPool pool(2);
  InferContext ctx(*model_, 64, pool);
  Generator generator(ctx, *tokenizer);
  Collected collected;
  auto result = generator.generate(prompt_, greedy(12), collect_into(collected));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->finish_reason, FinishReason::kStop);
  EXPECT_EQ(result->stop_index, -1);
  EXPECT_EQ(result->n_generated_tokens, static_cast<int64_t>(eos_at + 1));
  EXPECT_EQ(result->generated.back(), ids[eos_at]);
  EXPECT_EQ(collected.text(), text_of(std::span(ids).first(eos_at)));
}

TEST_F(GeneratorTest, SinkCancels) {
  ThreadPool pool(1);
  InferContext ctx(*model_, 64, pool);
  Generator generator(ctx, *tokenizer_);
  int n_calls = 0;
  auto result = generator.generate(prompt_, greedy(30), [&](std::string_view) { return ++n_calls < 2; });
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->finish_reason, FinishReason::kCancelled);
  EXPECT_STREQ(finish_reason_name(result->finish_reason), "cancelled");
  EXPECT_EQ(n_calls, 2);
  EXPECT_LT(result->n_generated_tokens, 30);
}

TEST_F(GeneratorTest, FullContextEndsWithLength) {
  ThreadPool pool(1);
  InferContext ctx(*model_, static_cast<int64_t>(prompt_.size()) + 3, pool);
  Generator generator(ctx, *tokenizer_);
  Collected collected;
  auto result = generator.generate(prompt_, greedy(100), collect_into(collected));
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->finish_reason, FinishReason::kLength);
  // Three generated tokens fill the context; a fourth is sampled from the last logits.
  EXPECT_EQ(result->n_generated_tokens, 4);
  EXPECT_EQ(result->generated, argmax_ids(4));
}

TEST_F(GeneratorTest, SeededSamplingIsReproducible) {
  GenerateParams params;
  params.max_tokens = 20;
  params.sampling.temperature = 1.5f;
  params.sampling.top_k = 0;
  params.sampling.min_p = 0.0f;
  params.sampling.seed = 99;
  ThreadPool pool(2);
  std::vector<std::vector<int32_t>> runs;
  for (int run = 0; run < 2; ++run) {
    InferContext ctx(*model_, 64, pool);
    Generator generator(ctx, *tokenizer_);
    auto result = generator.generate(prompt_, params, [](std::string_view) { return true; });
    ASSERT_TRUE(result.ok());
    runs.push_back(result->generated);
  }
  EXPECT_EQ(runs[0], runs[1]);
  EXPECT_NE(runs[0], argmax_ids(20));  // hot sampling leaves the greedy path
}

TEST_F(GeneratorTest, ReusesTheCachedPrefix) {
  ThreadPool pool(2);
  InferContext ctx(*model_, 64, pool);
  Generator generator(ctx, *tokenizer_);
  auto first = generator.generate(prompt_, greedy(5), [](std::string_view) { return true; });
  ASSERT_TRUE(first.ok());
  // Continue the conversation: prompt + everything generated + two more ids.
  std::vector<int32_t> follow_up = prompt_;
  follow_up.insert(follow_up.end(), first->generated.begin(), first->generated.end());
  follow_up.push_back(9);
  follow_up.push_back(10);
  auto second = generator.generate(follow_up, greedy(6), [](std::string_view) { return true; });
  ASSERT_TRUE(second.ok());
  // The context held prompt + 4 evaluated generated ids.
  EXPECT_EQ(second->n_cached_prompt_tokens, static_cast<int64_t>(prompt_.size()) + 4);

  InferContext fresh_ctx(*model_, 64, pool);
  Generator fresh(fresh_ctx, *tokenizer_);
  auto expected = fresh.generate(follow_up, greedy(6), [](std::string_view) { return true; });
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(second->generated, expected->generated);

  // The same prompt again reuses all but its last token.
  auto again = generator.generate(follow_up, greedy(6), [](std::string_view) { return true; });
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->n_cached_prompt_tokens, static_cast<int64_t>(follow_up.size()) - 1);
  EXPECT_EQ(again->generated, expected->generated);
}

TEST_F(GeneratorTest, RejectsBadRequestsBeforeEvaluating) {
  ThreadPool pool(1);
  InferContext ctx(*model_, 8, pool);
  Generator generator(ctx, *tokenizer_);
  const auto sink = [](std::string_view) { return true; };
  EXPECT_EQ(generator.generate(prompt_, greedy(0), sink).status().code(), ErrorCode::kInvalidArgument);
  GenerateParams empty_stop = greedy(4);
  empty_stop.stop = {"ok", ""};
  EXPECT_EQ(generator.generate(prompt_, empty_stop, sink).status().code(), ErrorCode::kInvalidArgument);
  GenerateParams bad_sampling = greedy(4);
  bad_sampling.sampling.top_p = 0.0f;
  EXPECT_EQ(generator.generate(prompt_, bad_sampling, sink).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(generator.generate({}, greedy(4), sink).status().code(), ErrorCode::kInvalidArgument);
  const std::vector<int32_t> too_long(9, 5);
  EXPECT_EQ(generator.generate(too_long, greedy(4), sink).status().code(), ErrorCode::kOutOfRange);
  const std::vector<int32_t> bad_id = {1, static_cast<int32_t>(spec_.n_vocab)};
  EXPECT_EQ(generator.generate(bad_id, greedy(4), sink).status().code(), ErrorCode::kOutOfRange);
  EXPECT_EQ(ctx.n_past(), 0);
}

}  // namespace
}  // namespace hearth::infer
