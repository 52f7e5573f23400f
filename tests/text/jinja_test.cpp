// The Jinja interpreter's own rules: errors with positions, every limit,
// hostile templates, and the places it follows Python's Jinja rather than
// the reference (constructs shared with the reference are checked against
// it in jinja_parity_test.cpp).
#include "text/jinja/template.h"

#include <gtest/gtest.h>

#include <string>

namespace hearth::text::jinja {
namespace {

Result<std::string> render(std::string_view source, const Dict& context = {}, const Limits& limits = {}) {
  HEARTH_ASSIGN_OR_RETURN(Template tmpl, Template::parse(source, limits));
  return tmpl.render(context, [] { return int64_t{0}; });
}

std::string render_ok(std::string_view source, const Dict& context = {}) {
  auto out = render(source, context);
  EXPECT_TRUE(out.ok()) << source << ": " << out.status().to_string();
  return out.ok() ? *out : "<error>";
}

Status render_error(std::string_view source, const Limits& limits = {}) {
  auto out = render(source, {}, limits);
  EXPECT_FALSE(out.ok()) << source << " rendered " << (out.ok() ? out->size() : 0) << " bytes";
  return out.ok() ? ok_status() : out.status();
}

bool contains(const std::string& text, std::string_view needle) { return text.find(needle) != std::string::npos; }

TEST(JinjaTest, SyntaxErrorsNameLineAndColumn) {
  struct Case {
    const char* source;
    const char* position;
  };
  const Case cases[] = {
      {"hello {{ name ", "line 1, column 7"},                     // unterminated expression
      {"a\n{% if x %}b", "line 2, column 1"},                     // missing endif
      {"{% for %}{% endfor %}", "line 1, column 8"},              // no loop variable
      {"line1\nline2 {{ 'unterminated }}", "line 2, column 10"},  // unterminated string
      {"{{ 1 + }}", "line 1, column 8"},                          // missing operand
      {"{% frobnicate %}", "line 1, column 4"},                   // unknown statement
      {"{# never closed", "line 1, column 1"},                    // unterminated comment
      {"{{ 'bad \\q escape' }}", "line 1, column 9"},             // unknown escape
      {"é{{ a ! b }}", "line 1, column 7"},                       // columns count code points
      {"{% set x = [1, 2 %}", "line 1, column 18"},               // unclosed list
      {"{% macro m(a=1, b) %}{% endmacro %}", "line 1, column 17"},
  };
  for (const Case& test_case : cases) {
    const Status status = render_error(test_case.source);
    EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument) << test_case.source;
    EXPECT_TRUE(contains(status.message(), test_case.position)) << test_case.source << " -> " << status.message();
  }
}

TEST(JinjaTest, RuntimeErrorsNameThePosition) {
  Status status = render_error("ok\n  {{ raise_exception('stop here') }}");
  EXPECT_TRUE(contains(status.message(), "line 2, column 6")) << status.message();
  EXPECT_TRUE(contains(status.message(), "stop here")) << status.message();
  status = render_error("{{ 1 / 0 }}");
  EXPECT_TRUE(contains(status.message(), "division by zero")) << status.message();
  status = render_error("{{ none + 1 }}");
  EXPECT_TRUE(contains(status.message(), "none")) << status.message();
  status = render_error("{{ undefined_macro() }}");
  EXPECT_TRUE(contains(status.message(), "cannot call undefined")) << status.message();
  status = render_error("{% for x in 5 %}{% endfor %}");
  EXPECT_TRUE(contains(status.message(), "cannot loop over integer")) << status.message();
  status = render_error("{{ 'a' | nosuchfilter }}");
  EXPECT_TRUE(contains(status.message(), "unknown filter 'nosuchfilter'")) << status.message();
  status = render_error("{{ 9223372036854775807 + 1 }}");
  EXPECT_TRUE(contains(status.message(), "overflow")) << status.message();
}

TEST(JinjaTest, RunawayLoopsSpendTheStepBudget) {
  Limits limits;
  limits.max_steps = 100'000;
  Status status = render_error("{% for a in range(1000) %}{% for b in range(1000) %}x{% endfor %}{% endfor %}", limits);
  EXPECT_EQ(status.code(), ErrorCode::kOutOfRange);
  EXPECT_TRUE(contains(status.message(), "step budget")) << status.message();
  // A range too long for the budget fails before it is built.
  status = render_error("{{ range(1000000000000) | length }}", limits);
  EXPECT_EQ(status.code(), ErrorCode::kOutOfRange);
  // Building text costs steps by its size, so quadratic copying is bounded too.
  status = render_error(
      "{% set ns = namespace(s='') %}{% for i in range(5000) %}{% set ns.s = ns.s ~ 'xxxxxxxxxxxxxxxxxxxxx' %}"
      "{% endfor %}{{ ns.s | length }}",
      limits);
  EXPECT_EQ(status.code(), ErrorCode::kOutOfRange) << status.message();
}

TEST(JinjaTest, HugeOutputAndStringsHitTheSizeLimit) {
  Limits limits;
  limits.max_output_bytes = 1 << 16;
  Status status = render_error("{% for i in range(100000) %}0123456789{% endfor %}", limits);
  EXPECT_EQ(status.code(), ErrorCode::kOutOfRange);
  EXPECT_TRUE(contains(status.message(), "bytes")) << status.message();
  // Doubling a string: the intermediate value is refused, not just the output.
  status = render_error(
      "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}", limits);
  EXPECT_EQ(status.code(), ErrorCode::kOutOfRange) << status.message();
  status = render_error("{{ ('x' * 1) }}", limits);  // string repetition is not part of the language
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  status = render_error(
      "{{ 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' | replace('a', "
      "'bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb') | replace('b', "
      "'cccccccccccccccccccccccccccccccccccccccccccccccccc') }}",
      limits);
  EXPECT_EQ(status.code(), ErrorCode::kOutOfRange) << status.message();
}

TEST(JinjaTest, DeepNestingIsRefusedNotACrash) {
  // Parenthesised expressions.
  std::string source = "{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}";
  Status status = render_error(source);
  EXPECT_EQ(status.code(), ErrorCode::kOutOfRange);
  EXPECT_TRUE(contains(status.message(), "nests deeper")) << status.message();
  // Nested blocks.
  source.clear();
  for (int idx = 0; idx < 2000; ++idx) source += "{% if true %}";
  status = render_error(source);
  EXPECT_EQ(status.code(), ErrorCode::kOutOfRange);
  // Unary chains.
  status = render_error("{{ " + std::string(10000, '-') + "1 }}");
  EXPECT_EQ(status.code(), ErrorCode::kOutOfRange);
  status = render_error("{{ " + [] {
    std::string nots;
    for (int idx = 0; idx < 5000; ++idx) nots += "not ";
    return nots;
  }() + "x }}");
  EXPECT_EQ(status.code(), ErrorCode::kOutOfRange);
  // Unbounded macro recursion.
  status = render_error("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}");
  EXPECT_EQ(status.code(), ErrorCode::kOutOfRange);
  EXPECT_TRUE(contains(status.message(), "deeper")) << status.message();
}

TEST(JinjaTest, SelfReferencingNamespaceCannotBePrintedForever) {
  const Status status = render_error("{% set ns = namespace(a=1) %}{% set ns.self = ns %}{{ ns | tojson }}");
  EXPECT_EQ(status.code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(contains(status.message(), "nested deeper")) << status.message();
}

TEST(JinjaTest, SourceSizeLimit) {
  Limits limits;
  limits.max_source_bytes = 10;
  auto parsed = Template::parse("0123456789A", limits);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), ErrorCode::kOutOfRange);
}

TEST(JinjaTest, StripWithCharsFollowsPython) {
  EXPECT_EQ(render_ok("[{{ '\\n\\n  text \\n'.strip('\\n') }}]"), "[  text ]");
  EXPECT_EQ(render_ok("[{{ 'xxhixx'.lstrip('x') }}|{{ 'xxhixx'.rstrip('x') }}|{{ 'xyhiyx' | trim('xy') }}]"),
            "[hixx|xxhi|hi]");
  EXPECT_EQ(render_ok("[{{ '  a  '.strip() }}|{{ '  a  '.strip(none) }}]"), "[a|a]");
}

TEST(JinjaTest, SelectattrTestsMissingAttributesAsUndefined) {
  auto with_calls = std::make_shared<Dict>();
  with_calls->set("role", Value("assistant"));
  with_calls->set("tool_calls", Value::list({Value("call")}));
  auto plain = std::make_shared<Dict>();
  plain->set("role", Value("user"));
  Dict context;
  context.set("messages", Value::list({Value(with_calls), Value(plain)}));
  EXPECT_EQ(render_ok("{{ messages | selectattr('tool_calls', 'undefined') | map(attribute='role') | join }}|"
                      "{{ messages | rejectattr('tool_calls', 'defined') | list | length }}|"
                      "{{ messages | selectattr('tool_calls') | map(attribute='role') | join }}",
                      context),
            "user|1|assistant");
}

TEST(JinjaTest, ExtensionsBeyondTheReference) {
  EXPECT_EQ(render_ok("{{ 'abc' < 'abd' }} {% for ch in 'hé' %}[{{ ch }}]{% endfor %} {{ 'ab' | list }}"),
            "true [h][é] [\"a\", \"b\"]");
  EXPECT_EQ(render_ok("{{ [1, 2, 3, 4] | select('odd') | list }} {{ [1, 2, 3] | reject('even') | join(',') }}"),
            "[1, 3] 1,3");
  EXPECT_EQ(render_ok("{{ [' a', 'b '] | map('trim') | join('|') }} {{ 2.567 | round(2) }} {{ 2.5 | round }}"),
            "a|b 2.57 3.0");
  EXPECT_EQ(render_ok("{{ '<a href=\"x\">&</a>' | e }} {{ dict(a=1) | tojson }} {{ ', '.join(['x', 'y']) }}"),
            "&lt;a href=&#34;x&#34;&gt;&amp;&lt;/a&gt; {\"a\": 1} x, y");
  EXPECT_EQ(render_ok("{{ 6 is divisibleby(3) }} {{ 3 is gt(2) }} {{ 'a' is in(['a']) }}"), "true true true");
}

TEST(JinjaTest, StrftimeUsesTheInjectedClock) {
  auto tmpl = Template::parse("{{ strftime_now('%Y-%m-%d %H:%M:%S %b %B %%') }}");
  ASSERT_TRUE(tmpl.ok());
  // 2024-07-26 09:05:03 UTC.
  auto out = tmpl->render({}, [] { return int64_t{1721984703000}; });
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_EQ(*out, "2024-07-26 09:05:03 Jul July %");
}

TEST(JinjaTest, TemplatesAreReusableAndRendersIndependent) {
  auto tmpl = Template::parse(
      "{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}"
      "{% endfor %}{{ ns.n }}");
  ASSERT_TRUE(tmpl.ok());
  Dict one;
  one.set("messages", Value::list({Value("a")}));
  Dict three;
  three.set("messages", Value::list({Value("a"), Value("b"), Value("c")}));
  EXPECT_EQ(*tmpl->render(one), "1");
  EXPECT_EQ(*tmpl->render(three), "3");
  EXPECT_EQ(*tmpl->render(one), "1");
}

TEST(JinjaTest, JsNumberFormatting) {
  EXPECT_EQ(js_number_string(1.0), "1");
  EXPECT_EQ(js_number_string(0.1), "0.1");
  EXPECT_EQ(js_number_string(-2.5), "-2.5");
  EXPECT_EQ(js_number_string(1e21), "1e+21");
  EXPECT_EQ(js_number_string(123456789012345680000.0), "123456789012345680000");
  EXPECT_EQ(js_number_string(1e-7), "1e-7");
  EXPECT_EQ(js_number_string(0.000001), "0.000001");
  EXPECT_EQ(js_number_string(1.5e-10), "1.5e-10");
  EXPECT_EQ(render_ok("{{ 0.1 + 0.2 }} {{ 3.0 }} {{ -0.0 }} {{ 1.0 ~ '' }}"), "0.30000000000000004 3.0 -0.0 1");
}

}  // namespace
}  // namespace hearth::text::jinja
