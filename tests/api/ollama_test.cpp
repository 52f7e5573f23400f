// Ollama's API pieces that need no server: the model-name rule, the requests
// restated in OpenAI's terms (and parsed by the one parser), errors named in
// Ollama's words, and the NDJSON answers. The routes are driven from outside
// with the official `ollama` npm client in ollama_test.mjs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "api/generation_job.h"
#include "api/ollama_model_names.h"
#include "api/ollama_renderers.h"
#include "api/ollama_requests.h"
#include "api/request_parsing.h"
#include "api/routes.h"

namespace hearth::api {
namespace {

using nlohmann::json;

TEST(OllamaModelNamesTest, TheRuleInOrder) {
  const std::vector<std::string> ids = {"tiny", "tiny-b", "qwen3-8b-q4_k_m", "Llama-3.2-1B-Q8_0", "fast", "gemma3-1b"};
  EXPECT_EQ(*resolve_ollama_model("tiny", ids), "tiny");                   // 1: an id
  EXPECT_EQ(*resolve_ollama_model("tiny:latest", ids), "tiny");            // 2: :latest
  EXPECT_EQ(*resolve_ollama_model("tiny:b", ids), "tiny-b");               // 2: NAME:TAG -> NAME-TAG
  EXPECT_EQ(*resolve_ollama_model("gemma3:1b", ids), "gemma3-1b");         // 2
  EXPECT_EQ(*resolve_ollama_model("qwen3:8b", ids), "qwen3-8b-q4_k_m");    // 3: the one id with that prefix
  EXPECT_EQ(*resolve_ollama_model("llama-3.2:1b", ids), "Llama-3.2-1B-Q8_0");  // 3, ignoring case
  EXPECT_EQ(*resolve_ollama_model("fast:latest", ids), "fast");            // an alias is an id
  ApiResult<std::string> missing = resolve_ollama_model("mistral:7b", ids);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().http_status, 404);
  EXPECT_EQ(missing.error().message, "model 'mistral:7b' not found");
}

TEST(OllamaModelNamesTest, SeveralMatchesAreA400ListingThem) {
  const std::vector<std::string> ids = {"qwen3-8b-q4_k_m", "qwen3-8b-q8_0"};
  ApiResult<std::string> ambiguous = resolve_ollama_model("qwen3:8b", ids);
  ASSERT_FALSE(ambiguous.ok());
  EXPECT_EQ(ambiguous.error().http_status, 400);
  EXPECT_NE(ambiguous.error().message.find("'qwen3-8b-q4_k_m', 'qwen3-8b-q8_0'"), std::string::npos);
  // Named exactly, either is found.
  EXPECT_EQ(*resolve_ollama_model("qwen3-8b-q8_0:latest", ids), "qwen3-8b-q8_0");
}

TEST(OllamaModelNamesTest, ListedNamesMapBack) {
  const std::vector<std::string> ids = {"tiny", "a:b", "qwen3-8b-q4_k_m"};
  for (const std::string& id : ids) {
    EXPECT_EQ(*resolve_ollama_model(ollama_model_name(id), ids), id) << id;
  }
  EXPECT_EQ(ollama_model_name("tiny"), "tiny:latest");
  EXPECT_EQ(ollama_model_name("a:b"), "a:b");
}

ParsedGeneration parse_ok(GenerationKind kind, const json& body) {
  ApiResult<ParsedGeneration> parsed = parse_generation(kind, body.dump());
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? std::move(parsed).value() : ParsedGeneration{};
}

ApiError parse_error(GenerationKind kind, const json& body) {
  ApiResult<ParsedGeneration> parsed = parse_generation(kind, body.dump());
  EXPECT_FALSE(parsed.ok()) << body.dump();
  return parsed.ok() ? ApiError{} : parsed.error();
}

TEST(OllamaRequestsTest, ChatOptionsBecomeTheSamplingFields) {
  const ParsedGeneration parsed = parse_ok(
      GenerationKind::kOllamaChat,
      {{"model", "tiny"},
       {"messages", {{{"role", "system"}, {"content", "Be brief."}}, {{"role", "user"}, {"content", "Hi"}}}},
       {"options",
        {{"temperature", 0.2}, {"top_k", 7}, {"top_p", 0.5}, {"num_predict", 12}, {"stop", {"\n\n", "END"}},
         {"seed", 42}, {"num_ctx", 512}, {"repeat_last_n", 32}, {"repeat_penalty", 1.1}, {"num_thread", 4}}},
       {"keep_alive", "10m"}});
  EXPECT_TRUE(parsed.is_chat());
  EXPECT_FALSE(parsed.load_only);
  const GenerationFields& fields = parsed.generation();
  EXPECT_TRUE(fields.stream);  // Ollama streams unless told not to
  EXPECT_FLOAT_EQ(fields.sampling.temperature, 0.2f);
  EXPECT_EQ(fields.sampling.top_k, 7);
  EXPECT_FLOAT_EQ(fields.sampling.top_p, 0.5f);
  EXPECT_EQ(fields.max_tokens, 12);
  EXPECT_EQ(fields.stop, (std::vector<std::string>{"\n\n", "END"}));
  EXPECT_EQ(fields.seed, 42u);
  EXPECT_EQ(fields.n_ctx_limit, 512);
  EXPECT_EQ(fields.sampling.repeat_last_n, 32);
  EXPECT_FLOAT_EQ(fields.sampling.repeat_penalty, 1.1f);
  EXPECT_EQ(fields.keep_alive_ms, 600000);
  ASSERT_EQ(parsed.chat.messages.size(), 2u);
  EXPECT_EQ(parsed.chat.messages[0].role, "system");
}

TEST(OllamaRequestsTest, NumPredictMinusOneAndMinusTwoMeanNoLimit) {
  for (int n_predict : {-1, -2}) {
    const ParsedGeneration parsed =
        parse_ok(GenerationKind::kOllamaGenerate,
                 {{"model", "tiny"}, {"prompt", "Hi"}, {"stream", false}, {"options", {{"num_predict", n_predict}}}});
    EXPECT_FALSE(parsed.generation().max_tokens.has_value());
    EXPECT_FALSE(parsed.generation().stream);
  }
  const ApiError error = parse_error(GenerationKind::kOllamaGenerate,
                                     {{"model", "tiny"}, {"prompt", "Hi"}, {"options", {{"num_predict", 0}}}});
  EXPECT_EQ(error.param, "options.num_predict");
}

TEST(OllamaRequestsTest, ErrorsNameOllamasFields) {
  ApiError error = parse_error(GenerationKind::kOllamaChat, {{"model", "tiny"},
                                                             {"messages", {{{"role", "user"}, {"content", "x"}}}},
                                                             {"options", {{"temperature", "hot"}}}});
  EXPECT_EQ(error.http_status, 400);
  EXPECT_EQ(error.param, "options.temperature");
  EXPECT_NE(error.message.find("'options.temperature'"), std::string::npos) << error.message;
  error = parse_error(GenerationKind::kOllamaChat,
                      {{"model", "tiny"}, {"messages", json::array()}, {"options", {{"mirostat", 2}}}});
  EXPECT_EQ(error.param, "options.mirostat");
  EXPECT_EQ(error.code, "unsupported_feature");
  error = parse_error(GenerationKind::kOllamaChat, {{"model", "tiny"}, {"options", {{"bogus", 1}}}});
  EXPECT_EQ(error.param, "options.bogus");
  error = parse_error(GenerationKind::kOllamaChat, {{"model", "tiny"}, {"unknown_key", 1}});
  EXPECT_EQ(error.param, "unknown_key");
  error = parse_error(GenerationKind::kOllamaChat, {{"model", "tiny"}, {"format", {{"type", "string"}, {"pattern", "a+"}}},
                                                    {"messages", {{{"role", "user"}, {"content", "x"}}}}});
  EXPECT_EQ(error.param.rfind("format", 0), 0u) << error.param;
  EXPECT_EQ(error.message.find("response_format"), std::string::npos) << error.message;
}

TEST(OllamaRequestsTest, ImagesAreRefusedClearly) {
  ApiError error = parse_error(
      GenerationKind::kOllamaChat,
      {{"model", "tiny"}, {"messages", {{{"role", "user"}, {"content", "What is this?"}, {"images", {"aGVsbG8="}}}}}});
  EXPECT_EQ(error.http_status, 400);
  EXPECT_EQ(error.param, "messages[0].images");
  EXPECT_NE(error.message.find("vision"), std::string::npos);
  error = parse_error(GenerationKind::kOllamaGenerate, {{"model", "tiny"}, {"prompt", "x"}, {"images", {"aGVsbG8="}}});
  EXPECT_EQ(error.param, "images");
  // An empty list is no image.
  parse_ok(GenerationKind::kOllamaGenerate, {{"model", "tiny"}, {"prompt", "x"}, {"images", json::array()}});
}

TEST(OllamaRequestsTest, FormatIsConstrainedDecoding) {
  ParsedGeneration parsed = parse_ok(
      GenerationKind::kOllamaChat,
      {{"model", "tiny"}, {"messages", {{{"role", "user"}, {"content", "x"}}}}, {"format", "json"}});
  EXPECT_NE(parsed.chat.response_grammar, nullptr);
  parsed = parse_ok(GenerationKind::kOllamaGenerate,
                    {{"model", "tiny"},
                     {"prompt", "x"},
                     {"format", {{"type", "object"}, {"properties", {{"age", {{"type", "integer"}}}}},
                                 {"required", {"age"}}}}});
  EXPECT_NE(parsed.chat.response_grammar, nullptr);
  const ApiError error = parse_error(GenerationKind::kOllamaGenerate, {{"model", "tiny"}, {"prompt", "x"}, {"format", "yaml"}});
  EXPECT_EQ(error.param, "format");
}

TEST(OllamaRequestsTest, GenerateIsAChatTurnUnlessRaw) {
  ParsedGeneration parsed =
      parse_ok(GenerationKind::kOllamaGenerate, {{"model", "tiny"}, {"prompt", "Hello"}, {"system", "Be kind."}});
  ASSERT_TRUE(parsed.is_chat());
  ASSERT_EQ(parsed.chat.messages.size(), 2u);
  EXPECT_EQ(parsed.chat.messages[0].content, "Be kind.");
  EXPECT_EQ(parsed.chat.messages[1].role, "user");
  EXPECT_EQ(parsed.chat.messages[1].content, "Hello");
  parsed = parse_ok(GenerationKind::kOllamaGenerate, {{"model", "tiny"}, {"prompt", "Once upon"}, {"raw", true}});
  EXPECT_FALSE(parsed.is_chat());
  EXPECT_EQ(parsed.completion.prompt_text, "Once upon");
  EXPECT_EQ(parse_error(GenerationKind::kOllamaGenerate, {{"model", "tiny"}, {"prompt", "x"}, {"suffix", "y"}}).param,
            "suffix");
  EXPECT_EQ(
      parse_error(GenerationKind::kOllamaGenerate, {{"model", "tiny"}, {"prompt", "x"}, {"context", {1, 2, 3}}}).param,
      "context");
}

TEST(OllamaRequestsTest, NoPromptOrMessagesOnlyLoads) {
  ParsedGeneration parsed = parse_ok(GenerationKind::kOllamaGenerate, {{"model", "tiny"}, {"keep_alive", 0}});
  EXPECT_TRUE(parsed.load_only);
  EXPECT_EQ(parsed.generation().keep_alive_ms, 0);
  parsed = parse_ok(GenerationKind::kOllamaChat, {{"model", "tiny"}, {"messages", json::array()}});
  EXPECT_TRUE(parsed.load_only);
}

TEST(OllamaRequestsTest, ToolCallsAndResultsFindEachOther) {
  const json body = {
      {"model", "tiny"},
      {"tools",
       {{{"type", "function"},
         {"function", {{"name", "get_weather"}, {"parameters", {{"type", "object"}, {"properties", json::object()}}}}}}}},
      {"messages",
       {{{"role", "user"}, {"content", "Weather in Lyon and Paris?"}},
        {{"role", "assistant"},
         {"content", ""},
         {"tool_calls",
          {{{"function", {{"name", "get_weather"}, {"arguments", {{"city", "Lyon"}}}}}},
           {{"function", {{"name", "get_weather"}, {"arguments", {{"city", "Paris"}}}}}}}}},
        {{"role", "tool"}, {"content", "11 C"}, {"tool_name", "get_weather"}},
        {{"role", "tool"}, {"content", "14 C"}, {"tool_name", "get_weather"}}}}};
  const ParsedGeneration parsed = parse_ok(GenerationKind::kOllamaChat, body);
  ASSERT_EQ(parsed.chat.tools.size(), 1u);
  ASSERT_EQ(parsed.chat.messages.size(), 4u);
  const text::ChatMessage& assistant = parsed.chat.messages[1];
  ASSERT_EQ(assistant.tool_calls.size(), 2u);
  EXPECT_EQ(assistant.tool_calls[0].name, "get_weather");
  EXPECT_EQ(assistant.tool_calls[0].id.size(), 9u);  // what Mistral's template insists on
  EXPECT_NE(assistant.tool_calls[0].id, assistant.tool_calls[1].id);
  EXPECT_EQ(parsed.chat.messages[2].tool_call_id, assistant.tool_calls[0].id);
  EXPECT_EQ(parsed.chat.messages[3].tool_call_id, assistant.tool_calls[1].id);
  EXPECT_EQ(parsed.chat.messages[2].name, "get_weather");
}

TEST(OllamaRequestsTest, EmbedDefaultsToTruncating) {
  ApiResult<OllamaEmbed> embed = translate_ollama_embed(R"({"model":"e","input":["a","b"],"keep_alive":"1m"})", false);
  ASSERT_TRUE(embed.ok());
  const json openai = json::parse(embed->openai_body);
  EXPECT_EQ(openai["input"], json({"a", "b"}));
  EXPECT_EQ(openai["truncate"], true);
  EXPECT_EQ(embed->keep_alive_ms, 60000);
  embed = translate_ollama_embed(R"({"model":"e","prompt":"a"})", true);
  ASSERT_TRUE(embed.ok());
  EXPECT_EQ(json::parse(embed->openai_body)["input"], "a");
  EXPECT_FALSE(translate_ollama_embed(R"({"model":"e","input":"a","x":1})", false).ok());
  EXPECT_FALSE(translate_ollama_embed(R"({"model":"e","prompt":["a"]})", true).ok());
}

FinishOutput finish_with(infer::FinishReason reason) {
  FinishOutput finish;
  finish.reason = reason;
  finish.n_prompt_tokens = 7;
  finish.n_generated_tokens = 3;
  finish.ttft_ms = 2.0;
  finish.total_ms = 5.0;
  return finish;
}

std::vector<json> lines_of(const std::string& text) {
  std::vector<json> out;
  std::istringstream stream(text);
  for (std::string line; std::getline(stream, line);) out.push_back(json::parse(line));
  return out;
}

TEST(OllamaRenderersTest, StreamedChatIsNdjsonEndingWithStats) {
  OllamaRenderer renderer(ResponseMeta{"req-1", 0, "tiny", false, {}}, /*chat=*/true, std::nullopt,
                          [] { return int64_t{1'796'000'000'123}; });
  std::vector<TokenOutput> tokens(2);
  tokens[0].text = "Hel";
  tokens[1].text = "lo";
  std::string out = renderer.stream_start() + renderer.stream_tokens(tokens) +
                    renderer.stream_finish(finish_with(infer::FinishReason::kLength));
  ASSERT_EQ(out.back(), '\n');
  const std::vector<json> lines = lines_of(out);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["message"]["content"], "Hello");
  EXPECT_EQ(lines[0]["done"], false);
  EXPECT_EQ(lines[0]["created_at"], "2026-11-30T00:53:20.123Z");
  EXPECT_EQ(lines[1]["done"], true);
  EXPECT_EQ(lines[1]["done_reason"], "length");
  EXPECT_EQ(lines[1]["prompt_eval_count"], 7);
  EXPECT_EQ(lines[1]["eval_count"], 3);
  EXPECT_EQ(lines[1]["total_duration"], 5'000'000);
  EXPECT_EQ(lines[1]["eval_duration"], 3'000'000);
}

TEST(OllamaRenderersTest, ToolCallsComeBackWithObjectArguments) {
  const std::string output = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Lyon\"}}\n</tool_call>";
  const ToolOutput tools{ToolFormat::kHermes, false, true};
  OllamaRenderer whole(ResponseMeta{"req-2", 0, "tiny", false, {}}, true, tools, [] { return int64_t{0}; });
  std::vector<TokenOutput> tokens(1);
  tokens[0].text = output;
  whole.collect(tokens);
  const json body = json::parse(whole.response_body(finish_with(infer::FinishReason::kStop)));
  ASSERT_EQ(body["message"]["tool_calls"].size(), 1u);
  EXPECT_EQ(body["message"]["tool_calls"][0]["function"]["name"], "get_weather");
  EXPECT_EQ(body["message"]["tool_calls"][0]["function"]["arguments"], json({{"city", "Lyon"}}));
  EXPECT_EQ(body["message"]["content"], "");
  EXPECT_EQ(body["done_reason"], "stop");

  OllamaRenderer streamed(ResponseMeta{"req-3", 0, "tiny", false, {}}, true, tools, [] { return int64_t{0}; });
  std::string out = streamed.stream_tokens(tokens);
  EXPECT_EQ(out, "");  // held back: it may be a call
  out += streamed.stream_finish(finish_with(infer::FinishReason::kStop));
  const std::vector<json> lines = lines_of(out);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["message"]["tool_calls"][0]["function"]["arguments"]["city"], "Lyon");
}

TEST(OllamaRenderersTest, GenerateAndLoadAndErrors) {
  OllamaRenderer renderer(ResponseMeta{"req-4", 0, "tiny", false, {}}, false, std::nullopt, [] { return int64_t{0}; });
  std::vector<TokenOutput> tokens(1);
  tokens[0].text = "abc";
  renderer.collect(tokens);
  const json body = json::parse(renderer.response_body(finish_with(infer::FinishReason::kStop)));
  EXPECT_EQ(body["response"], "abc");
  EXPECT_FALSE(body.contains("message"));
  const json load = json::parse(render_ollama_load("tiny", false, true, 0));
  EXPECT_EQ(load["done_reason"], "unload");
  EXPECT_EQ(load["created_at"], "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(render_ollama_error_body(ApiError{404, "x", "model 'a' not found", "model", "c"}),
            R"({"error":"model 'a' not found"})");
}

TEST(OllamaRoutesTest, Methods) {
  EXPECT_TRUE(match_route("POST", "/api/chat")->method_allowed);
  EXPECT_TRUE(match_route("GET", "/api/tags")->method_allowed);
  EXPECT_TRUE(match_route("DELETE", "/api/delete")->method_allowed);
  EXPECT_FALSE(match_route("POST", "/api/delete")->method_allowed);
  EXPECT_TRUE(is_ollama_route(match_route("GET", "/api/version")->route));
  EXPECT_FALSE(is_ollama_route(match_route("GET", "/metrics")->route));
}

}  // namespace
}  // namespace hearth::api
