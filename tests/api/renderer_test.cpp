// Response rendering (chat and text completions, Anthropic messages; whole and streamed) and the
// context budget of build_sequence_request. Shapes follow OpenAI's schemas;
// the SDK-level schema validation lives in tests/api/*.mjs.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/anthropic_messages.h"
#include "api/chat_completions.h"
#include "api/completions.h"
#include "api/sequence_builder.h"

namespace hearth::api {
namespace {

using nlohmann::json;

// The data fields of an SSE text, in order.
std::vector<std::string> sse_events(const std::string& text) {
  std::vector<std::string> events;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t end = text.find("\n\n", pos);
    EXPECT_NE(end, std::string::npos) << "unterminated event in " << text;
    if (end == std::string::npos) break;
    const std::string event = text.substr(pos, end - pos);
    EXPECT_EQ(event.rfind("data: ", 0), 0u) << event;
    events.push_back(event.substr(6));
    pos = end + 2;
  }
  return events;
}

TokenOutput token(std::string text, std::string bytes, float logprob, std::vector<infer::TokenLogprob> top = {}) {
  TokenOutput out;
  out.text = std::move(text);
  out.token = infer::TokenLogprob{1, std::move(bytes), logprob};
  out.top_logprobs = std::move(top);
  return out;
}

FinishOutput finish(infer::FinishReason reason, std::string text = "") {
  FinishOutput out;
  out.reason = reason;
  out.text = std::move(text);
  out.n_prompt_tokens = 10;
  out.n_cached_prompt_tokens = 4;
  out.n_generated_tokens = 3;
  return out;
}

ResponseMeta meta(bool include_usage = false) {
  return ResponseMeta{"chatcmpl-abc", 1700000000, "tiny", include_usage, {}};
}

TEST(ChatRendererTest, WholeResponse) {
  ChatRenderer renderer(meta(), /*logprobs=*/false);
  const std::vector<TokenOutput> tokens = {token("Hel", "Hel", -0.1f), token("lo", "lo", -0.2f)};
  renderer.collect(tokens);
  const json body = json::parse(renderer.response_body(finish(infer::FinishReason::kLength, "!")));
  EXPECT_EQ(body["id"], "chatcmpl-abc");
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(body["created"], 1700000000);
  EXPECT_EQ(body["model"], "tiny");
  ASSERT_EQ(body["choices"].size(), 1u);
  const json& choice = body["choices"][0];
  EXPECT_EQ(choice["index"], 0);
  EXPECT_EQ(choice["message"]["role"], "assistant");
  EXPECT_EQ(choice["message"]["content"], "Hello!");
  EXPECT_TRUE(choice["message"]["refusal"].is_null());
  EXPECT_TRUE(choice["logprobs"].is_null());
  EXPECT_EQ(choice["finish_reason"], "length");
  EXPECT_EQ(body["usage"]["prompt_tokens"], 10);
  EXPECT_EQ(body["usage"]["completion_tokens"], 3);
  EXPECT_EQ(body["usage"]["total_tokens"], 13);
  EXPECT_EQ(body["usage"]["prompt_tokens_details"]["cached_tokens"], 4);
}

TEST(ChatRendererTest, WholeResponseWithLogprobs) {
  ChatRenderer renderer(meta(), /*logprobs=*/true);
  const std::vector<TokenOutput> tokens = {
      token("a", "a", -0.5f, {{1, "a", -0.5f}, {2, "b", -1.5f}}),
      token("", "\xE2\x82", -std::numeric_limits<float>::infinity()),  // half a character, held back
  };
  renderer.collect(tokens);
  const json body = json::parse(renderer.response_body(finish(infer::FinishReason::kStop)));
  const json& logprobs = body["choices"][0]["logprobs"];
  EXPECT_TRUE(logprobs["refusal"].is_null());
  ASSERT_EQ(logprobs["content"].size(), 2u);
  const json& first = logprobs["content"][0];
  EXPECT_EQ(first["token"], "a");
  EXPECT_FLOAT_EQ(first["logprob"].get<float>(), -0.5f);
  EXPECT_EQ(first["bytes"], json::array({97}));
  ASSERT_EQ(first["top_logprobs"].size(), 2u);
  EXPECT_EQ(first["top_logprobs"][1]["token"], "b");
  EXPECT_EQ(first["top_logprobs"][1]["bytes"], json::array({98}));
  const json& second = logprobs["content"][1];
  EXPECT_EQ(second["bytes"], json::array({0xE2, 0x82}));  // the raw bytes survive
  EXPECT_EQ(second["token"], "\xEF\xBF\xBD");             // the text is valid UTF-8 (U+FFFD)
  EXPECT_EQ(second["logprob"], -9999.0);                  // JSON has no -Infinity
  EXPECT_EQ(body["choices"][0]["finish_reason"], "stop");
}

TEST(ChatRendererTest, StreamIsRoleChunkContentChunksFinishChunkUsageDone) {
  ChatRenderer renderer(meta(/*include_usage=*/true), /*logprobs=*/false);
  std::string wire = renderer.stream_start();
  const std::vector<TokenOutput> tokens = {token("Hi", "Hi", 0), token("", "x", 0), token(" there", " there", 0)};
  wire += renderer.stream_tokens(tokens);
  wire += renderer.stream_finish(finish(infer::FinishReason::kStop, "!"));
  const std::vector<std::string> events = sse_events(wire);
  // role, "Hi", " there" (the held-back token sends nothing), "!", finish, usage, [DONE]
  ASSERT_EQ(events.size(), 7u) << wire;
  EXPECT_EQ(events.back(), "[DONE]");
  std::string text;
  for (size_t event_idx = 0; event_idx + 1 < events.size(); ++event_idx) {
    const json chunk = json::parse(events[event_idx]);
    EXPECT_EQ(chunk["id"], "chatcmpl-abc");
    EXPECT_EQ(chunk["object"], "chat.completion.chunk");
    EXPECT_EQ(chunk["created"], 1700000000);
    EXPECT_EQ(chunk["model"], "tiny");
    if (event_idx + 2 == events.size()) break;  // the usage chunk, checked below
    EXPECT_FALSE(chunk.contains("usage")) << events[event_idx];
    ASSERT_EQ(chunk["choices"].size(), 1u);
    const json& choice = chunk["choices"][0];
    EXPECT_EQ(choice["index"], 0);
    EXPECT_TRUE(choice["logprobs"].is_null());
    if (choice["delta"].contains("content")) text += choice["delta"]["content"].get<std::string>();
  }
  EXPECT_EQ(text, "Hi there!");
  const json first = json::parse(events[0]);
  EXPECT_EQ(first["choices"][0]["delta"], json({{"role", "assistant"}, {"content", ""}}));
  EXPECT_TRUE(first["choices"][0]["finish_reason"].is_null());
  const json last = json::parse(events[4]);
  EXPECT_EQ(last["choices"][0]["delta"], json::object());
  EXPECT_EQ(last["choices"][0]["finish_reason"], "stop");
  const json usage = json::parse(events[5]);
  EXPECT_EQ(usage["choices"], json::array());
  EXPECT_EQ(usage["usage"]["total_tokens"], 13);
}

TEST(ChatRendererTest, StreamWithoutUsageEndsWithFinishThenDone) {
  ChatRenderer renderer(meta(), /*logprobs=*/false);
  const std::vector<std::string> events =
      sse_events(renderer.stream_start() + renderer.stream_finish(finish(infer::FinishReason::kLength)));
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(json::parse(events[1])["choices"][0]["finish_reason"], "length");
  EXPECT_EQ(events[2], "[DONE]");
}

TEST(ChatRendererTest, StreamedLogprobsTravelWithEachToken) {
  ChatRenderer renderer(meta(), /*logprobs=*/true);
  const std::vector<TokenOutput> tokens = {token("", "\xE2", -1.0f), token("\xE2\x82\xAC", "\x82\xAC", -2.0f)};
  const std::vector<std::string> events = sse_events(renderer.stream_tokens(tokens));
  ASSERT_EQ(events.size(), 2u);  // a held-back token still reports its logprob
  const json first = json::parse(events[0]);
  EXPECT_EQ(first["choices"][0]["delta"]["content"], "");
  EXPECT_EQ(first["choices"][0]["logprobs"]["content"][0]["bytes"], json::array({0xE2}));
  const json second = json::parse(events[1]);
  EXPECT_EQ(second["choices"][0]["delta"]["content"], "\xE2\x82\xAC");
  EXPECT_FLOAT_EQ(second["choices"][0]["logprobs"]["content"][0]["logprob"].get<float>(), -2.0f);
}

TEST(CompletionRendererTest, WholeResponseWithLogprobs) {
  CompletionRenderer renderer(ResponseMeta{"cmpl-x", 1, "tiny", false, {}}, /*logprobs=*/true);
  const std::vector<TokenOutput> tokens = {token(" a", " a", -0.25f, {{1, " a", -0.25f}, {2, " b", -2.0f}}),
                                           token("bc", "bc", -0.5f, {{3, "bc", -0.5f}})};
  renderer.collect(tokens);
  const json body = json::parse(renderer.response_body(finish(infer::FinishReason::kLength)));
  EXPECT_EQ(body["object"], "text_completion");
  EXPECT_EQ(body["id"], "cmpl-x");
  const json& choice = body["choices"][0];
  EXPECT_EQ(choice["text"], " abc");
  EXPECT_EQ(choice["finish_reason"], "length");
  EXPECT_EQ(choice["logprobs"]["tokens"], json::array({" a", "bc"}));
  EXPECT_EQ(choice["logprobs"]["token_logprobs"], json::array({-0.25, -0.5}));
  EXPECT_EQ(choice["logprobs"]["top_logprobs"][0], json({{" a", -0.25}, {" b", -2.0}}));
  EXPECT_EQ(choice["logprobs"]["text_offset"], json::array({0, 2}));
  EXPECT_EQ(body["usage"]["completion_tokens"], 3);
}

TEST(CompletionRendererTest, WholeResponseWithoutLogprobsHasNull) {
  CompletionRenderer renderer(ResponseMeta{"cmpl-x", 1, "tiny", false, {}}, /*logprobs=*/false);
  const json body = json::parse(renderer.response_body(finish(infer::FinishReason::kStop, "end")));
  EXPECT_EQ(body["choices"][0]["text"], "end");
  EXPECT_TRUE(body["choices"][0]["logprobs"].is_null());
}

TEST(CompletionRendererTest, StreamChunksThenFinishThenUsageThenDone) {
  CompletionRenderer renderer(ResponseMeta{"cmpl-x", 1, "tiny", true, {}}, /*logprobs=*/false);
  EXPECT_EQ(renderer.stream_start(), "");
  const std::vector<TokenOutput> tokens = {token("a", "a", 0), token("", "b", 0), token("c", "c", 0)};
  const std::vector<std::string> events =
      sse_events(renderer.stream_tokens(tokens) + renderer.stream_finish(finish(infer::FinishReason::kStop, "d")));
  ASSERT_EQ(events.size(), 5u);  // a, c, finish (carrying "d"), usage, [DONE]
  std::string text;
  for (size_t event_idx = 0; event_idx < 3; ++event_idx) {
    const json chunk = json::parse(events[event_idx]);
    EXPECT_EQ(chunk["object"], "text_completion");
    text += chunk["choices"][0]["text"].get<std::string>();
    EXPECT_EQ(chunk["choices"][0]["finish_reason"].is_null(), event_idx < 2);
  }
  EXPECT_EQ(text, "acd");
  EXPECT_EQ(json::parse(events[2])["choices"][0]["finish_reason"], "stop");
  const json usage = json::parse(events[3]);
  EXPECT_EQ(usage["choices"], json::array());
  EXPECT_EQ(usage["usage"]["prompt_tokens"], 10);
  EXPECT_EQ(events[4], "[DONE]");
}

GenerationFields fields_with_max(std::optional<int64_t> max_tokens) {
  GenerationFields fields;
  fields.max_tokens = max_tokens;
  return fields;
}

TEST(SequenceBuilderTest, MissingMaxTokensTakesTheRestOfTheContext) {
  ApiResult<infer::SequenceRequest> request =
      build_sequence_request({1, 2, 3}, fields_with_max(std::nullopt), -1, 64, 99, "messages");
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->params.max_tokens, 61);
  EXPECT_EQ(request->params.sampling.seed, 99u);
  EXPECT_EQ(request->n_top_logprobs, -1);
  EXPECT_EQ(request->prompt, (std::vector<int32_t>{1, 2, 3}));
}

TEST(SequenceBuilderTest, ExactFitIsAccepted) {
  ApiResult<infer::SequenceRequest> request = build_sequence_request({1, 2}, fields_with_max(62), 3, 64, 0, "prompt");
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->params.max_tokens, 62);
  EXPECT_EQ(request->n_top_logprobs, 3);
}

TEST(SequenceBuilderTest, BeyondTheContextIsContextLengthExceeded) {
  ApiResult<infer::SequenceRequest> request =
      build_sequence_request({1, 2, 3}, fields_with_max(62), -1, 64, 0, "messages");
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.error().http_status, 400);
  EXPECT_EQ(request.error().code, "context_length_exceeded");
  EXPECT_EQ(request.error().param, "messages");
  EXPECT_NE(request.error().message.find("64"), std::string::npos) << request.error().message;
  EXPECT_NE(request.error().message.find("65"), std::string::npos) << request.error().message;

  const std::vector<int32_t> full(64, 1);
  ApiResult<infer::SequenceRequest> no_room =
      build_sequence_request(std::vector<int32_t>(full), fields_with_max(std::nullopt), -1, 64, 0, "prompt");
  ASSERT_FALSE(no_room.ok());
  EXPECT_EQ(no_room.error().code, "context_length_exceeded");
  EXPECT_EQ(no_room.error().param, "prompt");
}

TEST(SequenceBuilderTest, EmptyPromptIsA400) {
  ApiResult<infer::SequenceRequest> request = build_sequence_request({}, fields_with_max(4), -1, 64, 0, "prompt");
  ASSERT_FALSE(request.ok());
  EXPECT_EQ(request.error().param, "prompt");
}

TEST(SequenceBuilderTest, RequestSeedWinsAndFieldsCarryOver) {
  GenerationFields fields = fields_with_max(4);
  fields.seed = 7;
  fields.stop = {"x"};
  fields.sampling.temperature = 0.0f;
  ApiResult<infer::SequenceRequest> request = build_sequence_request({1}, fields, -1, 64, 99, "prompt");
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->params.sampling.seed, 7u);
  EXPECT_EQ(request->params.stop, std::vector<std::string>{"x"});
  EXPECT_EQ(request->params.sampling.temperature, 0.0f);
}

}  // namespace
}  // namespace hearth::api

namespace hearth::api {
namespace {

// Anthropic's Messages API: the event stream and the whole message.
TEST(AnthropicMessageRendererTest, StreamsTheDocumentedEventsAndNamesTheStopSequence) {
  AnthropicMessageRenderer renderer(ResponseMeta{"msg_x", 1, "tiny", false, {"END", "STOP"}}, 7);
  std::string stream = renderer.stream_start();
  const std::vector<TokenOutput> tokens = {token("Hel", "Hel", -0.1f), token("", "", -0.1f), token("lo", "lo", -0.1f)};
  stream += renderer.stream_tokens(tokens);
  FinishOutput done;
  done.reason = infer::FinishReason::kStop;
  done.stop_index = 1;
  done.text = "!";
  done.n_prompt_tokens = 7;
  done.n_generated_tokens = 4;
  stream += renderer.stream_finish(done);
  std::vector<std::string> types;
  std::string text;
  for (size_t start = 0; start < stream.size();) {
    const size_t end = stream.find("\n\n", start);
    ASSERT_NE(end, std::string::npos);
    const std::string event = stream.substr(start, end - start);
    const size_t data = event.find("\ndata: ");
    ASSERT_NE(data, std::string::npos) << event;
    const nlohmann::json body = nlohmann::json::parse(event.substr(data + 7));
    EXPECT_EQ(event.substr(7, data - 7), body["type"]);  // "event: TYPE" names the data's type
    types.push_back(body["type"]);
    if (body["type"] == "content_block_delta") text += body["delta"]["text"].get<std::string>();
    if (body["type"] == "message_start") {
      EXPECT_EQ(body["message"]["usage"]["input_tokens"], 7);
    }
    if (body["type"] == "message_delta") {
      EXPECT_EQ(body["delta"]["stop_reason"], "stop_sequence");
      EXPECT_EQ(body["delta"]["stop_sequence"], "STOP");
      EXPECT_EQ(body["usage"]["output_tokens"], 4);
    }
    start = end + 2;
  }
  EXPECT_EQ(types, (std::vector<std::string>{"message_start", "content_block_start", "content_block_delta",
                                             "content_block_delta", "content_block_delta", "content_block_stop",
                                             "message_delta", "message_stop"}));
  EXPECT_EQ(text, "Hello!");
}

TEST(AnthropicMessageRendererTest, WholeMessage) {
  AnthropicMessageRenderer renderer(ResponseMeta{"msg_y", 1, "tiny", false, {}}, 3);
  const std::vector<TokenOutput> tokens = {token("Hi", "Hi", -0.1f)};
  renderer.collect(tokens);
  FinishOutput done;
  done.reason = infer::FinishReason::kLength;
  done.n_prompt_tokens = 3;
  done.n_generated_tokens = 1;
  const nlohmann::json message = nlohmann::json::parse(renderer.response_body(done));
  EXPECT_EQ(message["type"], "message");
  EXPECT_EQ(message["content"][0]["text"], "Hi");
  EXPECT_EQ(message["stop_reason"], "max_tokens");
  EXPECT_TRUE(message["stop_sequence"].is_null());
  EXPECT_EQ(message["usage"]["input_tokens"], 3);
  EXPECT_EQ(message["usage"]["output_tokens"], 1);
}

}  // namespace
}  // namespace hearth::api
