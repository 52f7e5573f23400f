#include "api/tool_calls.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "api/json_schema_grammar.h"
#include "api/request_parsing.h"
#include "infer/grammar_matcher.h"

namespace hearth::api {
namespace {

TEST(ToolCallParseTest, HermesBlocks) {
  const ToolCallParse parse = parse_tool_calls(
      ToolFormat::kHermes,
      "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Lyon\", \"n\": 2}}\n"
      "</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": \"{\\\"tz\\\": \\\"UTC\\\"}\"}\n</tool_call>");
  ASSERT_FALSE(parse.malformed);
  EXPECT_EQ(parse.content, "Let me check.");
  ASSERT_EQ(parse.calls.size(), 2u);
  EXPECT_EQ(parse.calls[0].name, "get_weather");
  EXPECT_EQ(parse.calls[0].arguments, R"({"city":"Lyon","n":2})");  // key order kept
  EXPECT_EQ(parse.calls[1].name, "get_time");
  EXPECT_EQ(parse.calls[1].arguments, R"({"tz":"UTC"})");
  // Cut before the closing tag (the model ended there): the call still counts.
  EXPECT_EQ(parse_tool_calls(ToolFormat::kHermes, "<tool_call>{\"name\": \"f\", \"arguments\": {}}").calls.size(), 1u);
}

TEST(ToolCallParseTest, MalformedCallsAreTextNeverACrash) {
  for (const char* output : {"<tool_call>\n{\"name\": \"f\", \"arguments\": {\"a\": }\n</tool_call>",
                             "<tool_call>{\"arguments\": {}}</tool_call>", "<tool_call>{\"name\": 3}</tool_call>",
                             "<tool_call>{\"name\": \"f\", \"arguments\": [1]}</tool_call>", "<tool_call>",
                             "<tool_call>\xff\xfe</tool_call>"}) {
    const ToolCallParse parse = parse_tool_calls(ToolFormat::kHermes, output);
    EXPECT_TRUE(parse.malformed) << output;
    EXPECT_TRUE(parse.calls.empty()) << output;
    EXPECT_EQ(parse.content, output);
  }
  const ToolCallParse text = parse_tool_calls(ToolFormat::kHermes, "Just text.");
  EXPECT_FALSE(text.malformed);
  EXPECT_EQ(text.content, "Just text.");
}

TEST(ToolCallParseTest, Llama3Json) {
  ToolCallParse parse =
      parse_tool_calls(ToolFormat::kLlama3Json, " {\"name\": \"get_weather\", \"parameters\": {\"city\": \"Oslo\"}}");
  ASSERT_EQ(parse.calls.size(), 1u);
  EXPECT_EQ(parse.calls[0].arguments, R"({"city":"Oslo"})");
  parse = parse_tool_calls(ToolFormat::kLlama3Json,
                           "<|python_tag|>{\"name\": \"a\", \"parameters\": {}}; {\"name\": \"b\", \"parameters\": {}}");
  ASSERT_EQ(parse.calls.size(), 2u);
  EXPECT_EQ(parse.calls[1].name, "b");
  // A JSON answer that is not a call is text, not an error.
  parse = parse_tool_calls(ToolFormat::kLlama3Json, "{\"answer\": 42}");
  EXPECT_TRUE(parse.calls.empty());
  EXPECT_FALSE(parse.malformed);
  EXPECT_TRUE(parse_tool_calls(ToolFormat::kLlama3Json, "{\"answer\": 42}", /*forced=*/true).malformed);
}

TEST(ToolCallParseTest, Mistral) {
  ToolCallParse parse = parse_tool_calls(
      ToolFormat::kMistral, "[TOOL_CALLS][{\"name\": \"f\", \"arguments\": {\"x\": 1}}, {\"name\": \"g\", \"arguments\": {}}]");
  ASSERT_EQ(parse.calls.size(), 2u);
  EXPECT_EQ(parse.calls[0].arguments, R"({"x":1})");
  // [TOOL_CALLS] is a control token whose text is not output: a bare array is read too.
  parse = parse_tool_calls(ToolFormat::kMistral, "[{\"name\": \"f\", \"arguments\": {}}]");
  ASSERT_EQ(parse.calls.size(), 1u);
  parse = parse_tool_calls(ToolFormat::kMistral, "[TOOL_CALLS][{\"name\": \"f\"");
  EXPECT_TRUE(parse.malformed);
  EXPECT_TRUE(parse.calls.empty());
}

std::string stream_all(ToolCallStream& stream, const std::vector<std::string>& pieces) {
  std::string out;
  for (const std::string& piece : pieces) out += stream.push(piece);
  return out;
}

TEST(ToolCallStreamTest, TextStreamsUntilAMarkerThenHoldsBack) {
  ToolCallStream stream(ToolFormat::kHermes, /*forced=*/false);
  const std::string sent =
      stream_all(stream, {"Sure", ", <to", "ol_", "call>\n{\"name\": \"f\", ", "\"arguments\": {}}\n</tool_call>"});
  EXPECT_EQ(sent, "Sure, ");
  const ToolCallParse parse = stream.finish();
  EXPECT_EQ(parse.content, "");
  ASSERT_EQ(parse.calls.size(), 1u);
  EXPECT_EQ(parse.calls[0].name, "f");

  ToolCallStream text(ToolFormat::kHermes, false);
  EXPECT_EQ(stream_all(text, {"a <b", "c> <tool", "s"}), "a <bc> <tools");
  EXPECT_EQ(text.finish().content, "");

  ToolCallStream partial(ToolFormat::kHermes, false);
  EXPECT_EQ(stream_all(partial, {"end <tool_ca"}), "end ");
  EXPECT_EQ(partial.finish().content, "<tool_ca");  // a marker that never completed is text

  ToolCallStream broken(ToolFormat::kHermes, false);
  stream_all(broken, {"<tool_call>{oops"});
  const ToolCallParse bad = broken.finish();
  EXPECT_TRUE(bad.malformed);
  EXPECT_EQ(bad.content, "<tool_call>{oops");
}

TEST(ToolCallStreamTest, WholeAnswerFormatsDecideOnTheFirstByte) {
  ToolCallStream call(ToolFormat::kLlama3Json, false);
  EXPECT_EQ(stream_all(call, {"  ", "{\"name\": \"f\", \"parameters\": {}}"}), "");
  EXPECT_EQ(call.finish().calls.size(), 1u);
  ToolCallStream text(ToolFormat::kLlama3Json, false);
  EXPECT_EQ(stream_all(text, {"  ", "Hello {x}"}), "  Hello {x}");
  ToolCallStream mistral(ToolFormat::kMistral, false);
  EXPECT_EQ(stream_all(mistral, {"[{\"name\": \"f\", \"arguments\": {}}]"}), "");
  EXPECT_EQ(mistral.finish().calls.size(), 1u);
}

TEST(ToolCallIdTest, ShapesAndUniqueness) {
  EXPECT_EQ(tool_call_id(ToolFormat::kMistral, "chatcmpl-1", 0).size(), 9u);
  const std::string id = tool_call_id(ToolFormat::kHermes, "chatcmpl-1", 0);
  EXPECT_EQ(id.rfind("call_", 0), 0u);
  EXPECT_EQ(id.size(), 29u);
  EXPECT_NE(id, tool_call_id(ToolFormat::kHermes, "chatcmpl-1", 1));
  EXPECT_NE(id, tool_call_id(ToolFormat::kHermes, "chatcmpl-2", 0));
}

TEST(ToolPromptTest, TemplatesWithoutToolsGetThemInTheSystemMessage) {
  ChatTool tool;
  tool.name = "get_time";
  tool.description = "Time now";
  tool.parameters = nlohmann::ordered_json::parse(R"({"type":"object"})");
  text::ChatMessage call_message{"assistant", ""};
  call_message.tool_calls.push_back({"call_1", "get_time", text::jinja::Value(R"({"tz":"UTC"})")});
  text::ChatMessage result{"tool", "12:00"};
  result.tool_call_id = "call_1";
  const std::vector<text::ChatMessage> messages = {{"user", "time?"}, call_message, result, result};
  const std::vector<text::ChatMessage> out = messages_with_tools_in_prompt(messages, {tool});
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0].role, "system");
  EXPECT_NE(out[0].content.find(R"({"type":"function","function":{"name":"get_time","description":"Time now","parameters":{"type":"object"}}})"),
            std::string::npos)
      << out[0].content;
  EXPECT_EQ(out[2].content, "<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"tz\":\"UTC\"}}\n</tool_call>");
  EXPECT_EQ(out[3].role, "user");
  EXPECT_EQ(out[3].content, "<tool_response>\n12:00\n</tool_response>\n<tool_response>\n12:00\n</tool_response>");
}

TEST(ForcedCallGrammarTest, AcceptsOnlyCallsOfTheTools) {
  const std::string body = R"({"model": "m", "messages": [{"role": "user", "content": "x"}],
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object",
      "properties": {"n": {"type": "integer", "minimum": 1, "maximum": 3}}, "required": ["n"]}}},
      {"type": "function", "function": {"name": "g"}}], "tool_choice": "required"})";
  ApiResult<ChatRequest> request = parse_chat_request(body);
  ASSERT_TRUE(request.ok()) << request.error().message;
  for (const auto& [format, good, bad] :
       {std::tuple{ToolFormat::kHermes, "<tool_call>\n{\"name\":\"f\",\"arguments\":{\"n\":2}}\n</tool_call>",
                   "<tool_call>\n{\"name\":\"f\",\"arguments\":{\"n\":4}}\n</tool_call>"},
        std::tuple{ToolFormat::kLlama3Json, "{\"name\": \"g\", \"parameters\": {\"any\": [1]}}",
                   "{\"name\": \"h\", \"parameters\": {}}"},
        std::tuple{ToolFormat::kMistral, "[{\"name\":\"f\",\"arguments\":{\"n\":1}}]",
                   "[{\"name\":\"f\",\"arguments\":{}}]"}}) {
    infer::JsonGrammar grammar = request->tool_grammar;
    set_forced_call_grammar(&grammar, format, request->tools, "");
    ASSERT_TRUE(grammar.validate().ok());
    infer::GrammarMatcher accepts(grammar);
    EXPECT_TRUE(accepts.accept(good) && accepts.can_finish()) << good;
    infer::GrammarMatcher refuses(grammar);
    EXPECT_FALSE(refuses.accept(bad) && refuses.can_finish()) << bad;
    // And the parser reads back what the grammar allows.
    const ToolCallParse parse = parse_tool_calls(format, good, /*forced=*/true);
    ASSERT_EQ(parse.calls.size(), 1u) << good;
  }
}

TEST(JsonSchemaGrammarTest, CompilesAndRefusesByKeyword) {
  infer::JsonGrammar grammar;
  const nlohmann::ordered_json schema = nlohmann::ordered_json::parse(R"({
    "type": "object", "$defs": {"Item": {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}},
    "properties": {"z": {"type": "string"}, "a": {"type": "array", "items": {"$ref": "#/$defs/Item"}, "maxItems": 2}},
    "required": ["z", "a"]})");
  ApiResult<int32_t> root = add_json_schema(&grammar, schema, "s");
  ASSERT_TRUE(root.ok()) << root.error().message;
  grammar.set_root(*root);
  ASSERT_TRUE(grammar.validate().ok());
  infer::GrammarMatcher matcher(grammar);
  EXPECT_TRUE(matcher.accept(R"({"z":"","a":[{"id":1},{"id":-2}]})") && matcher.finished());
  infer::GrammarMatcher order(grammar);
  EXPECT_FALSE(order.accept(R"({"a":[])"));  // properties in the schema's order: z first

  for (const auto& [text, keyword] :
       {std::pair{R"({"type": "string", "pattern": "x"})", "'pattern'"},
        std::pair{R"({"type": "string", "format": "date"})", "'format'"},
        std::pair{R"({"not": {}})", "'not'"}, std::pair{R"({"type": "array", "uniqueItems": true})", "'uniqueItems'"},
        std::pair{R"({"allOf": [{}, {}]})", "allOf with more than one"},
        std::pair{R"({"$ref": "#/$defs/missing"})", "names no definition"},
        std::pair{R"({"type": "integer", "minimum": 0.2, "maximum": 0.8})", "no integer"}}) {
    infer::JsonGrammar scratch;
    ApiResult<int32_t> refused = add_json_schema(&scratch, nlohmann::ordered_json::parse(text), "s");
    ASSERT_FALSE(refused.ok()) << text;
    EXPECT_EQ(refused.error().param, "s");
    EXPECT_NE(refused.error().message.find(keyword), std::string::npos) << refused.error().message;
  }
}

TEST(ChatRequestToolsTest, ParsesToolsMessagesAndTemplateKwargs) {
  const std::string body = R"({"model": "m", "messages": [
      {"role": "user", "content": "x"},
      {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
        "function": {"name": "f", "arguments": "{\"b\": 1, \"a\": 2}"}}]},
      {"role": "tool", "tool_call_id": "c1", "content": "ok"}],
    "tools": [{"type": "function", "function": {"name": "f", "description": "d", "parameters": {"type": "object"}}}],
    "parallel_tool_calls": false, "chat_template_kwargs": {"enable_thinking": false}})";
  ApiResult<ChatRequest> request = parse_chat_request(body);
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->tool_choice, ToolChoice::kAuto);
  EXPECT_FALSE(request->parallel_tool_calls);
  ASSERT_EQ(request->messages.size(), 3u);
  ASSERT_EQ(request->messages[1].tool_calls.size(), 1u);
  const text::jinja::Value& arguments = request->messages[1].tool_calls[0].arguments;
  ASSERT_TRUE(arguments.is_dict());
  EXPECT_EQ(arguments.as_dict().entries()[0].first, "b");  // the client's order
  EXPECT_EQ(request->messages[2].tool_call_id, "c1");
  ASSERT_TRUE(request->template_options.tools.is_list());
  ASSERT_EQ(request->template_options.variables.size(), 1u);
  EXPECT_EQ(request->template_options.variables[0].first, "enable_thinking");

  ApiResult<ChatRequest> json_mode = parse_chat_request(
      R"({"model": "m", "messages": [{"role": "user", "content": "x"}], "response_format": {"type": "json_object"}})");
  ASSERT_TRUE(json_mode.ok());
  ASSERT_NE(json_mode->response_grammar, nullptr);
  infer::GrammarMatcher matcher(*json_mode->response_grammar);
  EXPECT_TRUE(matcher.accept(R"({"a": [1, null]})") && matcher.finished());
}

}  // namespace
}  // namespace hearth::api
