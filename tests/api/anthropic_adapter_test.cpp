// The Anthropic adapter on hostile upstream answers: counts that are not
// integers (found by api_json_fuzz: 8.9e26 converted to int64_t) and an `n`
// too large for an int are read as absent, never converted.
#include "api/anthropic_adapter.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace hearth::api {
namespace {

TEST(AnthropicAdapterTest, AStreamIgnoresUsageCountsThatAreNotIntegers) {
  AnthropicStream stream("chatcmpl-1", 1, "claude-test", /*include_usage=*/true);
  const std::string out = stream.feed(
      "event: message_start\n"
      "data: "
      "{\"type\":\"message_start\",\"message\":{\"model\":\"claude-test\",\"usage\":{\"input_tokens\":8.88889e+26}}}"
      "\n\n"
      "event: message_delta\n"
      "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},\"usage\":{\"output_tokens\":-3}}\n\n"
      "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
  EXPECT_TRUE(stream.finished());
  EXPECT_EQ(stream.usage().input_tokens, 0);
  EXPECT_EQ(stream.usage().output_tokens, 0);
  EXPECT_NE(out.find("\"prompt_tokens\":0"), std::string::npos) << out;
}

TEST(AnthropicAdapterTest, AWholeAnswerIgnoresUsageCountsThatAreNotIntegers) {
  AnthropicUsage usage;
  auto out = openai_completion_from_anthropic(
      R"({"type":"message","content":[{"type":"text","text":"hi"}],"usage":{"input_tokens":1e300,"output_tokens":"7"}})",
      "chatcmpl-1", 1, &usage);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(usage.input_tokens, 0);
  EXPECT_EQ(usage.output_tokens, 0);
}

TEST(AnthropicAdapterTest, AnNTooLargeForAnIntIsRefusedNotConverted) {
  const auto huge = anthropic_request(nlohmann::json::parse(R"({"messages":[],"n":1e30})"), "claude-test");
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.error().param, "n");
  const auto one = anthropic_request(nlohmann::json::parse(R"({"messages":[{"role":"user","content":"hi"}],"n":1.0})"),
                                     "claude-test");
  EXPECT_TRUE(one.ok());
}

}  // namespace
}  // namespace hearth::api
