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

TEST(AnthropicAdapterTest, ToolsCallsAndResultsTranslate) {
  const auto request = anthropic_request(nlohmann::json::parse(R"({"model": "m", "messages": [
      {"role": "user", "content": "weather?"},
      {"role": "assistant", "content": null, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "w", "arguments": "{\"city\": \"Oslo\"}"}},
        {"id": "c2", "type": "function", "function": {"name": "t", "arguments": "{}"}}]},
      {"role": "tool", "tool_call_id": "c1", "content": "cold"},
      {"role": "tool", "tool_call_id": "c2", "content": "noon"}],
    "tools": [{"type": "function", "function": {"name": "w", "description": "d", "parameters": {"type": "object"}}},
              {"type": "function", "function": {"name": "t"}}],
    "tool_choice": "required", "parallel_tool_calls": false})"),
                                         "claude-test");
  ASSERT_TRUE(request.ok()) << request.error().message;
  const nlohmann::json& body = *request;
  EXPECT_EQ(body["tools"][0], nlohmann::json::parse(R"({"name":"w","description":"d","input_schema":{"type":"object"}})"));
  EXPECT_EQ(body["tools"][1]["input_schema"], nlohmann::json::parse(R"({"type":"object"})"));
  EXPECT_EQ(body["tool_choice"], nlohmann::json::parse(R"({"type":"any","disable_parallel_tool_use":true})"));
  ASSERT_EQ(body["messages"].size(), 3u);
  EXPECT_EQ(body["messages"][1]["content"][0],
            nlohmann::json::parse(R"({"type":"tool_use","id":"c1","name":"w","input":{"city":"Oslo"}})"));
  EXPECT_EQ(body["messages"][2]["role"], "user");
  ASSERT_EQ(body["messages"][2]["content"].size(), 2u);
  EXPECT_EQ(body["messages"][2]["content"][1],
            nlohmann::json::parse(R"({"type":"tool_result","tool_use_id":"c2","content":"noon"})"));

  AnthropicUsage usage;
  auto whole = openai_completion_from_anthropic(
      R"({"type":"message","content":[{"type":"tool_use","id":"toolu_1","name":"w","input":{"city":"Oslo"}}],
          "stop_reason":"tool_use","usage":{"input_tokens":3,"output_tokens":4}})",
      "chatcmpl-1", 1, &usage);
  ASSERT_TRUE(whole.ok());
  const nlohmann::json answer = nlohmann::json::parse(*whole);
  EXPECT_EQ(answer["choices"][0]["finish_reason"], "tool_calls");
  EXPECT_TRUE(answer["choices"][0]["message"]["content"].is_null());
  EXPECT_EQ(answer["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"], R"({"city":"Oslo"})");

  AnthropicStream stream("chatcmpl-1", 1, "claude-test", /*include_usage=*/false);
  const std::string out = stream.feed(
      "data: {\"type\":\"message_start\",\"message\":{\"model\":\"c\",\"usage\":{\"input_tokens\":1}}}\n\n"
      "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\","
      "\"name\":\"w\",\"input\":{}}}\n\n"
      "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":"
      "\"{\\\"city\\\": \"}}\n\n"
      "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":2}}\n\n"
      "data: {\"type\":\"message_stop\"}\n\n");
  EXPECT_TRUE(stream.finished());
  EXPECT_NE(out.find(R"("tool_calls":[{"function":{"arguments":"","name":"w"},"id":"toolu_1","index":0,"type":"function"}])"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(R"("tool_calls":[{"function":{"arguments":"{\"city\": "},"index":0}])"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("finish_reason":"tool_calls")"), std::string::npos) << out;
}

}  // namespace
}  // namespace hearth::api
