// Parity with @huggingface/jinja: renders the real chat templates of current
// models (Llama 3.x, Qwen 2.5/3, Gemma 3, DeepSeek V3, Mistral Nemo) and one
// template per language construct over the fixtures' conversations, and
// compares byte for byte with the reference's output. Fixtures:
// tests/fixtures/chat_templates/, made by
// tests/text/jinja_ref/make_chat_template_fixtures.mjs.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "text/jinja/template.h"

namespace hearth::text::jinja {
namespace {

using json = nlohmann::ordered_json;

Value value_from_json(const json& node) {
  switch (node.type()) {
    case json::value_t::null:
      return Value::none();
    case json::value_t::boolean:
      return Value(node.get<bool>());
    case json::value_t::number_integer:
    case json::value_t::number_unsigned:
      return Value(node.get<int64_t>());
    case json::value_t::number_float:
      return Value(node.get<double>());
    case json::value_t::string:
      return Value(node.get<std::string>());
    case json::value_t::array: {
      List items;
      for (const json& item : node) items.push_back(value_from_json(item));
      return Value::list(std::move(items));
    }
    case json::value_t::object: {
      auto dict = std::make_shared<Dict>();
      for (auto it = node.begin(); it != node.end(); ++it) dict->set(it.key(), value_from_json(it.value()));
      return Value(std::move(dict));
    }
    default:
      return Value();
  }
}

json load_fixture(const std::string& name) {
  std::ifstream file(std::string(HEARTH_FIXTURE_DIR) + "/chat_templates/" + name + ".json");
  EXPECT_TRUE(file.good()) << "missing fixture " << name
                           << " (run tests/text/jinja_ref/make_chat_template_fixtures.mjs)";
  if (!file.good()) return json::object();
  std::stringstream text;
  text << file.rdbuf();
  // Keys keep their order: dict order shows in tojson output.
  return json::parse(text.str());
}

// Renders every case of a fixture file; returns the number of cases checked.
size_t check_fixture(const std::string& name) {
  const json fixture = load_fixture(name);
  if (!fixture.contains("cases")) return 0;
  const int64_t now_ms = fixture.at("now_ms").get<int64_t>();
  size_t n_checked = 0;
  for (const json& test_case : fixture.at("cases")) {
    const std::string case_name = name + ":" + test_case.at("name").get<std::string>();
    const std::string source = test_case.contains("template") ? test_case.at("template").get<std::string>()
                                                              : fixture.at("template").get<std::string>();
    auto tmpl = Template::parse(source);
    EXPECT_TRUE(tmpl.ok()) << case_name << ": " << tmpl.status().to_string();
    if (!tmpl.ok()) continue;
    Dict context;
    for (auto it = test_case.at("context").begin(); it != test_case.at("context").end(); ++it) {
      context.set(it.key(), value_from_json(it.value()));
    }
    auto rendered = tmpl->render(context, [now_ms] { return now_ms; });
    if (test_case.contains("hearth_expects_error")) {
      // hearth follows Python's Jinja here (the reason is in the fixture).
      EXPECT_FALSE(rendered.ok()) << case_name << ": " << test_case.at("hearth_expects_error");
    } else if (test_case.contains("error")) {
      EXPECT_FALSE(rendered.ok()) << case_name << ": the reference failed (" << test_case.at("error")
                                  << ") but hearth rendered:\n"
                                  << (rendered.ok() ? *rendered : "");
    } else {
      EXPECT_TRUE(rendered.ok()) << case_name << ": " << rendered.status().to_string();
      if (rendered.ok()) {
        EXPECT_EQ(*rendered, test_case.at("output").get<std::string>()) << case_name;
      }
    }
    ++n_checked;
  }
  return n_checked;
}

class RealTemplateParity : public ::testing::TestWithParam<const char*> {};

TEST_P(RealTemplateParity, MatchesReferenceByteForByte) { EXPECT_GE(check_fixture(GetParam()), 40u); }

INSTANTIATE_TEST_SUITE_P(Models, RealTemplateParity,
                         ::testing::Values("llama3", "llama3_1", "llama3_2", "qwen2_5", "qwen3", "gemma3",
                                           "deepseek_v3", "mistral_nemo"));

TEST(JinjaConstructParity, EveryConstructMatchesReference) { EXPECT_GE(check_fixture("constructs"), 50u); }

}  // namespace
}  // namespace hearth::text::jinja
