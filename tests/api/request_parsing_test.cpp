// Request bodies -> structs: every accepted field, and every error naming its field.
#include "api/request_parsing.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

namespace hearth::api {
namespace {

using nlohmann::json;

json chat_base() { return {{"model", "tiny"}, {"messages", {{{"role", "user"}, {"content", "hi"}}}}}; }

json with(json body, const std::string& key, json value) {
  body[key] = std::move(value);
  return body;
}

json without(json body, const std::string& key) {
  body.erase(key);
  return body;
}

// The 400 for `body`; fails the test if it parsed.
ApiError chat_error(const json& body) {
  ApiResult<ChatRequest> request = parse_chat_request(body.dump());
  EXPECT_FALSE(request.ok()) << body.dump();
  return request.ok() ? ApiError{} : request.error();
}

ApiError completion_error(const json& body) {
  ApiResult<CompletionRequest> request = parse_completion_request(body.dump());
  EXPECT_FALSE(request.ok()) << body.dump();
  return request.ok() ? ApiError{} : request.error();
}

// A 400 invalid_request_error whose param is `param` and whose message names `field`.
void expect_names(const ApiError& error, const std::string& param, const std::string& field) {
  EXPECT_EQ(error.http_status, 400);
  EXPECT_EQ(error.type, "invalid_request_error");
  EXPECT_EQ(error.param, param) << error.message;
  EXPECT_NE(error.message.find(field), std::string::npos) << "'" << error.message << "' does not name " << field;
}

TEST(ParseJsonBodyTest, MalformedJsonIsA400WithThePosition) {
  for (const char* body : {"", "{", "{not json}", "{\"a\":1}garbage", "[1,", "\"unterminated"}) {
    ApiResult<json> parsed = parse_json_body(body);
    ASSERT_FALSE(parsed.ok()) << body;
    EXPECT_EQ(parsed.error().http_status, 400);
    EXPECT_NE(parsed.error().message.find("not valid JSON"), std::string::npos) << parsed.error().message;
  }
  const ApiResult<json> located = parse_json_body("{\"a\": tru}");
  ASSERT_FALSE(located.ok());
  EXPECT_NE(located.error().message.find("column"), std::string::npos) << located.error().message;
}

TEST(ParseJsonBodyTest, InvalidUtf8InAStringIsMalformed) { EXPECT_FALSE(parse_json_body("{\"a\":\"\xff\"}").ok()); }

TEST(ParseJsonBodyTest, RefusesDeepNestingBeforeParsing) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  ApiResult<json> parsed = parse_json_body(deep);
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("deeper"), std::string::npos);
  // Brackets inside strings are text, not nesting.
  const std::string quoted = "{\"a\":\"" + std::string(1000, '[') + "\\\"" + std::string(1000, '{') + "\"}";
  EXPECT_TRUE(parse_json_body(quoted).ok());
  std::string at_limit;
  for (int depth = 0; depth < kMaxJsonDepth; ++depth) at_limit += '[';
  for (int depth = 0; depth < kMaxJsonDepth; ++depth) at_limit += ']';
  EXPECT_TRUE(parse_json_body(at_limit).ok());
}

TEST(ParseChatTest, MinimalRequestGetsDefaults) {
  ApiResult<ChatRequest> request = parse_chat_request(chat_base().dump());
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->model, "tiny");
  ASSERT_EQ(request->messages.size(), 1u);
  EXPECT_EQ(request->messages[0].role, "user");
  EXPECT_EQ(request->messages[0].content, "hi");
  EXPECT_FALSE(request->generation.stream);
  EXPECT_FALSE(request->generation.include_usage);
  EXPECT_FALSE(request->generation.max_tokens);
  EXPECT_FALSE(request->generation.seed);
  EXPECT_TRUE(request->generation.stop.empty());
  EXPECT_FALSE(request->logprobs);
  const infer::SamplingParams defaults;
  EXPECT_EQ(request->generation.sampling.temperature, defaults.temperature);
  EXPECT_EQ(request->generation.sampling.top_k, defaults.top_k);
}

TEST(ParseChatTest, EveryFieldIsRead) {
  json body = chat_base();
  body["messages"] = {
      {{"role", "developer"}, {"content", "be brief"}},
      {{"role", "user"}, {"content", {{{"type", "text"}, {"text", "a"}}, {{"type", "text"}, {"text", "b"}}}}},
      {{"role", "assistant"}, {"content", "ok"}, {"name", "bot"}, {"refusal", nullptr}},
      {{"role", "user"}, {"content", "go"}}};
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  body["max_tokens"] = 10;
  body["max_completion_tokens"] = 12;
  body["temperature"] = 0.5;
  body["top_p"] = 0.9;
  body["presence_penalty"] = -1.5;
  body["frequency_penalty"] = 2;
  body["top_k"] = 7;
  body["min_p"] = 0.1;
  body["repeat_penalty"] = 1.3;
  body["stop"] = {"\n", "END"};
  body["seed"] = -1;
  body["n"] = 1;
  body["logprobs"] = true;
  body["top_logprobs"] = 20;
  body["response_format"] = {{"type", "text"}};
  body["user"] = "someone";
  body["tools"] = json::array();
  body["tool_choice"] = "none";
  body["logit_bias"] = json::object();
  body["metadata"] = {{"k", "v"}};
  body["store"] = false;
  ApiResult<ChatRequest> request = parse_chat_request(body.dump());
  ASSERT_TRUE(request.ok()) << request.error().message;
  ASSERT_EQ(request->messages.size(), 4u);
  EXPECT_EQ(request->messages[0].role, "system");
  EXPECT_EQ(request->messages[1].content, "a\nb");
  EXPECT_EQ(request->messages[2].role, "assistant");
  const GenerationFields& generation = request->generation;
  EXPECT_TRUE(generation.stream);
  EXPECT_TRUE(generation.include_usage);
  EXPECT_EQ(generation.max_tokens, 12);  // max_completion_tokens wins
  EXPECT_FLOAT_EQ(generation.sampling.temperature, 0.5f);
  EXPECT_FLOAT_EQ(generation.sampling.top_p, 0.9f);
  EXPECT_FLOAT_EQ(generation.sampling.presence_penalty, -1.5f);
  EXPECT_FLOAT_EQ(generation.sampling.frequency_penalty, 2.0f);
  EXPECT_EQ(generation.sampling.top_k, 7);
  EXPECT_FLOAT_EQ(generation.sampling.min_p, 0.1f);
  EXPECT_FLOAT_EQ(generation.sampling.repeat_penalty, 1.3f);
  EXPECT_EQ(generation.stop, (std::vector<std::string>{"\n", "END"}));
  EXPECT_EQ(generation.seed, ~uint64_t{0});  // -1's bits
  EXPECT_TRUE(request->logprobs);
  EXPECT_EQ(request->top_logprobs, 20);
}

TEST(ParseChatTest, NullMeansAbsent) {
  json body = chat_base();
  for (const char* key : {"temperature", "max_tokens", "stop", "seed", "stream", "stream_options", "top_logprobs",
                          "response_format", "tools", "n"}) {
    body[key] = nullptr;
  }
  ApiResult<ChatRequest> request = parse_chat_request(body.dump());
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_FALSE(request->generation.max_tokens);
}

TEST(ParseChatTest, StopAsAString) {
  ApiResult<ChatRequest> request = parse_chat_request(with(chat_base(), "stop", "###").dump());
  ASSERT_TRUE(request.ok());
  EXPECT_EQ(request->generation.stop, (std::vector<std::string>{"###"}));
}

TEST(ParseChatTest, BodyMustBeAnObject) {
  for (const char* body : {"[1, 2]", "\"a string\"", "null", "42", "true"}) {
    ApiResult<ChatRequest> request = parse_chat_request(body);
    ASSERT_FALSE(request.ok()) << body;
    EXPECT_EQ(request.error().http_status, 400);
    EXPECT_NE(request.error().message.find("JSON object"), std::string::npos);
  }
}

TEST(ParseChatTest, ModelAndMessagesAreRequired) {
  expect_names(chat_error(without(chat_base(), "model")), "model", "model");
  expect_names(chat_error(with(chat_base(), "model", 5)), "model", "model");
  expect_names(chat_error(without(chat_base(), "messages")), "messages", "messages");
  expect_names(chat_error(with(chat_base(), "messages", "hi")), "messages", "messages");
  expect_names(chat_error(with(chat_base(), "messages", json::array())), "messages", "messages");
}

TEST(ParseChatTest, MessageErrorsNameTheMessage) {
  expect_names(chat_error(with(chat_base(), "messages", {"hi"})), "messages[0]", "messages[0]");
  expect_names(chat_error(with(chat_base(), "messages", {{{"role", "user"}}})), "messages[0].content",
               "messages[0].content");
  expect_names(chat_error(with(chat_base(), "messages", {{{"role", "user"}, {"content", 42}}})), "messages[0].content",
               "messages[0].content");
  expect_names(chat_error(with(chat_base(), "messages", {{{"content", "x"}}})), "messages[0].role", "messages[0].role");
  expect_names(chat_error(with(chat_base(), "messages",
                               {{{"role", "user"}, {"content", "a"}}, {{"role", "wizard"}, {"content", "hi"}}})),
               "messages[1].role", "wizard");
  expect_names(chat_error(with(chat_base(), "messages", {{{"role", "tool"}, {"content", "x"}}})),
               "messages[0].tool_call_id", "tool_call_id");
  expect_names(chat_error(with(chat_base(), "messages", {{{"role", "function"}, {"content", "x"}}})),
               "messages[0].role", "not supported yet");
  expect_names(chat_error(with(chat_base(), "messages", {{{"role", "user"}, {"content", "x"}, {"mood", "happy"}}})),
               "messages[0].mood", "messages[0].mood");
  expect_names(
      chat_error(with(chat_base(), "messages",
                      {{{"role", "user"}, {"content", {{{"type", "image_url"}, {"image_url", {{"url", "x"}}}}}}}})),
      "messages[0].content[0].type", "not supported yet");
  expect_names(chat_error(with(chat_base(), "messages", {{{"role", "user"}, {"content", {{{"type", "text"}}}}}})),
               "messages[0].content[0].text", "messages[0].content[0].text");
  expect_names(chat_error(with(chat_base(), "messages",
                               {{{"role", "assistant"}, {"content", "x"}, {"tool_calls", {{{"id", "1"}}}}}})),
               "messages[0].tool_calls[0].type", "messages[0].tool_calls[0].type");
  expect_names(chat_error(with(chat_base(), "messages", {{{"role", "user"}, {"content", "x"}, {"tool_calls", json::array()}}})),
               "messages[0].tool_calls", "only allowed in assistant messages");
}

TEST(ParseChatTest, WrongTypesAndRangesNameTheField) {
  struct Case {
    const char* field;
    json value;
  };
  const Case cases[] = {
      {"temperature", "hot"},
      {"temperature", -1},
      {"temperature", 2.5},
      {"top_p", 2},
      {"top_p", 0},
      {"top_p", "all"},
      {"max_tokens", 0},
      {"max_tokens", -3},
      {"max_tokens", "ten"},
      {"max_tokens", 2.5},
      {"max_tokens", 1e12},
      {"max_completion_tokens", 0},
      {"stream", "yes"},
      {"stream", 1},
      {"seed", "lucky"},
      {"seed", 1.5},
      {"stop", 5},
      {"stop", {"a", 1}},
      {"stop", ""},
      {"stop", {"a", ""}},
      {"stop", {"a", "b", "c", "d", "e"}},
      {"top_k", "many"},
      {"top_k", -1},
      {"top_k", 1.5},
      {"min_p", 2},
      {"min_p", -0.1},
      {"repeat_penalty", "strong"},
      {"repeat_penalty", 0},
      {"repeat_penalty", -1},
      {"presence_penalty", 3},
      {"frequency_penalty", -2.5},
      {"frequency_penalty", "x"},
      {"logprobs", "yes"},
      {"n", 2},
      {"n", 0},
      {"n", "one"},
      {"stream_options", "usage"},
      {"user", 5},
      {"logit_bias", {{"50256", -100}}},
      {"logit_bias", "x"},
      {"metadata", "x"},
      {"store", "yes"},
      {"tools", "f"},
      {"tool_choice", "required"},
      {"functions", {{{"name", "f"}}}},
      {"modalities", {"text", "audio"}},
      {"audio", {{"voice", "alloy"}}},
      {"wizardry", true},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(std::string(c.field) + " = " + c.value.dump());
    expect_names(chat_error(with(chat_base(), c.field, c.value)), c.field, c.field);
  }
}

TEST(ParseChatTest, NestedFieldsNameTheirPath) {
  expect_names(chat_error(with(chat_base(), "stream_options", {{"include_usage", "yes"}})),
               "stream_options.include_usage", "stream_options.include_usage");
  expect_names(chat_error(with(chat_base(), "stream_options", {{"extra", true}})), "stream_options.extra",
               "stream_options.extra");
  expect_names(chat_error(with(chat_base(), "stop", {"a", 1})), "stop", "stop[1]");
}

TEST(ParseChatTest, TopLogprobsNeedsLogprobsAndARange) {
  expect_names(chat_error(with(chat_base(), "top_logprobs", 2)), "top_logprobs", "logprobs");
  json body = with(chat_base(), "logprobs", true);
  expect_names(chat_error(with(body, "top_logprobs", 21)), "top_logprobs", "top_logprobs");
  expect_names(chat_error(with(body, "top_logprobs", -1)), "top_logprobs", "top_logprobs");
  ApiResult<ChatRequest> zero = parse_chat_request(with(body, "top_logprobs", 0).dump());
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(zero->top_logprobs, 0);
}

TEST(ParseChatTest, UnsupportedFeaturesSaySo) {
  const ApiError n = chat_error(with(chat_base(), "n", 2));
  expect_names(n, "n", "not supported yet");
  // Constrained output is supported; a schema keyword it cannot enforce says so.
  const ApiError pattern = chat_error(with(chat_base(), "response_format",
                                           {{"type", "json_schema"},
                                            {"json_schema", {{"name", "x"}, {"schema", {{"type", "string"}, {"pattern", "a"}}}}}}));
  expect_names(pattern, "response_format.json_schema.schema", "'pattern'");
  EXPECT_EQ(pattern.code, kUnsupportedFeatureCode);
  expect_names(chat_error(with(chat_base(), "response_format", {{"type", "json_schema"}})),
               "response_format.json_schema", "json_schema");
  expect_names(chat_error(with(chat_base(), "response_format", "json")), "response_format", "response_format");
  expect_names(chat_error(with(chat_base(), "response_format", json::object())), "response_format.type",
               "response_format.type");
}

json completion_base() { return {{"model", "tiny"}, {"prompt", "Once upon"}}; }

TEST(ParseCompletionTest, PromptForms) {
  ApiResult<CompletionRequest> text = parse_completion_request(completion_base().dump());
  ASSERT_TRUE(text.ok());
  EXPECT_FALSE(text->prompt_is_tokens);
  EXPECT_EQ(text->prompt_text, "Once upon");

  ApiResult<CompletionRequest> one = parse_completion_request(with(completion_base(), "prompt", {"x"}).dump());
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->prompt_text, "x");

  ApiResult<CompletionRequest> ids = parse_completion_request(with(completion_base(), "prompt", {1, 2, 3}).dump());
  ASSERT_TRUE(ids.ok());
  EXPECT_TRUE(ids->prompt_is_tokens);
  EXPECT_EQ(ids->prompt_tokens, (std::vector<int32_t>{1, 2, 3}));

  ApiResult<CompletionRequest> nested =
      parse_completion_request(with(completion_base(), "prompt", json::array({json::array({4, 5})})).dump());
  ASSERT_TRUE(nested.ok());
  EXPECT_EQ(nested->prompt_tokens, (std::vector<int32_t>{4, 5}));

  ApiResult<CompletionRequest> empty = parse_completion_request(with(completion_base(), "prompt", "").dump());
  ASSERT_TRUE(empty.ok());  // the tokenizer decides whether "" (with bos) is a prompt
}

TEST(ParseCompletionTest, PromptErrorsNameThePrompt) {
  expect_names(completion_error(without(completion_base(), "prompt")), "prompt", "prompt");
  expect_names(completion_error(with(completion_base(), "prompt", 5)), "prompt", "prompt");
  expect_names(completion_error(with(completion_base(), "prompt", json::array())), "prompt", "prompt");
  expect_names(completion_error(with(completion_base(), "prompt", {"a", "b"})), "prompt", "not supported yet");
  expect_names(completion_error(with(completion_base(), "prompt", {1, -2})), "prompt", "prompt");
  expect_names(completion_error(with(completion_base(), "prompt", {1, 1.5})), "prompt", "prompt");
  expect_names(completion_error(with(completion_base(), "prompt", {1, 5000000000LL})), "prompt", "prompt");
  expect_names(completion_error(with(completion_base(), "prompt", {{"nested"}})), "prompt", "prompt");
}

TEST(ParseCompletionTest, FieldsAndErrors) {
  json body = completion_base();
  body["logprobs"] = 3;
  body["max_tokens"] = 5;
  body["echo"] = false;
  body["best_of"] = 1;
  body["suffix"] = nullptr;
  body["stream"] = true;
  body["stream_options"] = {{"include_usage", true}};
  ApiResult<CompletionRequest> request = parse_completion_request(body.dump());
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->logprobs, 3);
  EXPECT_EQ(request->generation.max_tokens, 5);
  EXPECT_TRUE(request->generation.include_usage);

  ApiResult<CompletionRequest> plain = parse_completion_request(completion_base().dump());
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->logprobs, -1);

  expect_names(completion_error(with(completion_base(), "logprobs", true)), "logprobs", "logprobs");
  expect_names(completion_error(with(completion_base(), "logprobs", 21)), "logprobs", "logprobs");
  expect_names(completion_error(with(completion_base(), "echo", true)), "echo", "not supported yet");
  expect_names(completion_error(with(completion_base(), "best_of", 2)), "best_of", "not supported yet");
  expect_names(completion_error(with(completion_base(), "suffix", "end")), "suffix", "not supported yet");
  expect_names(completion_error(with(completion_base(), "n", 3)), "n", "not supported yet");
  expect_names(completion_error(with(completion_base(), "temperature", "hot")), "temperature", "temperature");
  expect_names(completion_error(with(completion_base(), "messages", json::array())), "messages", "messages");
}

// Anthropic's Messages API into a ChatRequest.
TEST(ParseMessagesRequestTest, SystemBlocksStopSequencesAndLimits) {
  const json body = {
      {"model", "tiny"},
      {"max_tokens", 32},
      {"system", json::array({{{"type", "text"}, {"text", "Be brief."}}, {{"type", "text"}, {"text", "Kind."}}})},
      {"messages",
       json::array({{{"role", "user"}, {"content", "Hi"}},
                    {{"role", "assistant"}, {"content", json::array({{{"type", "text"}, {"text", "Hello"}}})}},
                    {{"role", "user"}, {"content", "More"}}})},
      {"temperature", 0.5},
      {"top_k", 5},
      {"stop_sequences", {"END"}},
      {"stream", true},
      {"metadata", {{"user_id", "u1"}}}};
  ApiResult<ChatRequest> request = parse_messages_request(body.dump());
  ASSERT_TRUE(request.ok()) << request.error().message;
  ASSERT_EQ(request->messages.size(), 4u);
  EXPECT_EQ(request->messages[0].role, "system");
  EXPECT_EQ(request->messages[0].content, "Be brief.\nKind.");
  EXPECT_EQ(request->messages[2].content, "Hello");
  EXPECT_EQ(request->generation.max_tokens, 32);
  EXPECT_EQ(request->generation.stop, (std::vector<std::string>{"END"}));
  EXPECT_EQ(request->generation.sampling.top_k, 5);
  EXPECT_TRUE(request->generation.stream);
}

TEST(ParseMessagesRequestTest, ErrorsNameTheField) {
  const json base = {
      {"model", "tiny"}, {"max_tokens", 8}, {"messages", json::array({{{"role", "user"}, {"content", "Hi"}}})}};
  struct Case {
    json body;
    std::string param;
  };
  json no_max = base;
  no_max.erase("max_tokens");
  for (const Case& bad : {
           Case{no_max, "max_tokens"},
           Case{with(base, "temperature", 1.5), "temperature"},
           Case{with(base, "messages", json::array({{{"role", "system"}, {"content", "x"}}})), "messages[0].role"},
           Case{with(base, "messages",
                     json::array({{{"role", "user"}, {"content", json::array({{{"type", "image"}}})}}})),
                "messages[0].content[0]"},
           Case{with(base, "tools", "x"), "tools"},
           Case{with(base, "tool_choice", {{"type", "any"}}), "tool_choice"},
           Case{with(base, "stop_sequences", json::array({"a", "b", "c", "d", "e"})), "stop_sequences"},
           Case{with(base, "frequency_penalty", 1), "frequency_penalty"},
       }) {
    ApiResult<ChatRequest> request = parse_messages_request(bad.body.dump());
    ASSERT_FALSE(request.ok()) << bad.body.dump();
    EXPECT_EQ(request.error().http_status, 400);
    EXPECT_EQ(request.error().param, bad.param) << request.error().message;
  }
}

}  // namespace
}  // namespace hearth::api
