// The API's tool inputs reach real chat templates as @huggingface/jinja got them: the fixtures'
// tool conversations (tests/fixtures/chat_templates/, made with the reference renderer, calls'
// arguments as dicts) are sent as OpenAI requests (arguments as JSON text, as clients send them),
// parsed by parse_chat_request, rendered by ChatTemplate, and compared byte for byte.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "api/request_parsing.h"
#include "text/chat_template.h"

namespace hearth::api {
namespace {

using nlohmann::ordered_json;

ordered_json read_fixture(const std::string& name) {
  std::ifstream file(std::string(HEARTH_FIXTURE_DIR) + "/chat_templates/" + name + ".json");
  std::stringstream text;
  text << file.rdbuf();
  return ordered_json::parse(text.str());
}

class ToolTemplateParityTest : public testing::TestWithParam<std::string> {};

TEST_P(ToolTemplateParityTest, OpenAIRequestsRenderAsTheReference) {
  const ordered_json fixture = read_fixture(GetParam());
  int n_compared = 0;
  for (const ordered_json& test_case : fixture["cases"]) {
    const std::string name = test_case["name"].get<std::string>();
    if (name.rfind("tool_call_dict_args/", 0) != 0 && name.rfind("tool_call_pending/", 0) != 0) continue;
    SCOPED_TRACE(name);
    const ordered_json& context = test_case["context"];
    ordered_json body = {{"model", "m"}, {"messages", ordered_json::array()}};
    for (ordered_json message : context["messages"]) {
      if (message.contains("tool_calls")) {
        for (ordered_json& call : message["tool_calls"]) {
          ordered_json& arguments = call["function"]["arguments"];
          if (!arguments.is_string()) arguments = arguments.dump();  // as an OpenAI client sends them
        }
      }
      body["messages"].push_back(std::move(message));
    }
    if (context.contains("tools")) body["tools"] = context["tools"];
    ApiResult<ChatRequest> request = parse_chat_request(body.dump());
    ASSERT_TRUE(request.ok()) << request.error().message;
    Result<text::ChatTemplate> chat_template = text::ChatTemplate::from_jinja(
        fixture["template"].get<std::string>(), context.value("bos_token", std::string()),
        context.value("eos_token", std::string()));
    ASSERT_TRUE(chat_template.ok()) << chat_template.status().to_string();
    Result<std::string> rendered = chat_template->render(
        request->messages, context["add_generation_prompt"].get<bool>(), request->template_options);
    ASSERT_TRUE(rendered.ok()) << rendered.status().to_string();
    EXPECT_EQ(*rendered, test_case["output"].get<std::string>());
    ++n_compared;
  }
  EXPECT_EQ(n_compared, 8);
}

INSTANTIATE_TEST_SUITE_P(RealTemplates, ToolTemplateParityTest, testing::Values("qwen3", "mistral_nemo"));

}  // namespace
}  // namespace hearth::api
