#include "infer/grammar_matcher.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "infer/json_grammar.h"
#include "infer/rng.h"
#include "infer/token_trie.h"

namespace hearth::infer {
namespace {

// Feeds `text` byte by byte: the number of bytes accepted before a rejection.
size_t n_accepted(const JsonGrammar& grammar, std::string_view text, GrammarMatcher* out = nullptr) {
  GrammarMatcher matcher(grammar);
  size_t n_bytes = 0;
  for (const char byte : text) {
    if (!matcher.accept(static_cast<uint8_t>(byte))) break;
    ++n_bytes;
  }
  if (out != nullptr) *out = matcher;
  return n_bytes;
}

bool complete(const JsonGrammar& grammar, std::string_view text) {
  GrammarMatcher matcher(grammar);
  return matcher.accept(text) && matcher.can_finish();
}

// {"name": string, "age"?: integer 0..150, "tags"?: [enum "a"|"ab"|"b", 1..3 items], "ok": boolean}
JsonGrammar person_grammar() {
  JsonGrammar grammar;
  GrammarNode age = GrammarNode::number_node(true);
  age.minimum = 0;
  age.maximum = 150;
  GrammarNode tags = GrammarNode::array_node(grammar.add(GrammarNode::any_of(
      {grammar.add(GrammarNode::literal_node("\"a\"")), grammar.add(GrammarNode::literal_node("\"ab\"")),
       grammar.add(GrammarNode::literal_node("\"b\""))})));
  tags.min_items = 1;
  tags.max_items = 3;
  GrammarNode object = GrammarNode::object_node();
  GrammarNode name = GrammarNode::string_node();
  name.max_length = 12;
  object.properties.push_back({"\"name\"", grammar.add(std::move(name)), true});
  object.properties.push_back({"\"age\"", grammar.add(std::move(age)), false});
  object.properties.push_back({"\"tags\"", grammar.add(std::move(tags)), false});
  object.properties.push_back(
      {"\"ok\"", grammar.add(GrammarNode::any_of({grammar.add(GrammarNode::literal_node("true")),
                                                   grammar.add(GrammarNode::literal_node("false"))})),
       true});
  grammar.set_root(grammar.add(std::move(object)));
  EXPECT_TRUE(grammar.validate().ok());
  return grammar;
}

TEST(GrammarMatcherTest, ObjectPropertiesInOrderRequiredOnesAlways) {
  const JsonGrammar grammar = person_grammar();
  EXPECT_TRUE(complete(grammar, R"({"name":"x","ok":true})"));
  EXPECT_TRUE(complete(grammar, R"({"name":"x","age":42,"tags":["ab","a"],"ok":false})"));
  EXPECT_TRUE(complete(grammar, "{\n  \"name\": \"x\",\n  \"age\": 7,\n  \"ok\": true\n}"));
  // Missing required "ok": '}' is refused where it would end the object.
  EXPECT_EQ(n_accepted(grammar, R"({"name":"x"})"), std::string(R"({"name":"x")").size());
  // Out of order, unknown key, duplicate key.
  EXPECT_EQ(n_accepted(grammar, R"({"ok":true})"), 2u);
  EXPECT_EQ(n_accepted(grammar, R"({"name":"x","zz":1})"), std::string(R"({"name":"x",")").size());
  EXPECT_EQ(n_accepted(grammar, R"({"name":"x","name":"y"})"), std::string(R"({"name":"x",")").size());
  GrammarMatcher matcher(grammar);
  ASSERT_TRUE(matcher.accept(R"({"name":"x","ok":true})"));
  EXPECT_TRUE(matcher.finished());
  EXPECT_FALSE(matcher.accept(' '));  // nothing after the root
}

TEST(GrammarMatcherTest, WhitespaceIsBounded) {
  const JsonGrammar grammar = person_grammar();
  const std::string gap(kMaxWhitespaceBytes, ' ');
  EXPECT_TRUE(complete(grammar, "{" + gap + R"("name":"x","ok":true})"));
  EXPECT_FALSE(complete(grammar, "{" + gap + " " + R"("name":"x","ok":true})"));
  EXPECT_EQ(n_accepted(grammar, " {"), 0u);  // none before the root
}

TEST(GrammarMatcherTest, EnumValuesSharingAPrefix) {
  const JsonGrammar grammar = person_grammar();
  EXPECT_TRUE(complete(grammar, R"({"name":"","tags":["a","ab","b"],"ok":true})"));
  EXPECT_FALSE(complete(grammar, R"({"name":"","tags":["abc"],"ok":true})"));
  EXPECT_FALSE(complete(grammar, R"({"name":"","tags":[],"ok":true})"));            // minItems 1
  EXPECT_FALSE(complete(grammar, R"({"name":"","tags":["a","a","a","a"],"ok":true})"));  // maxItems 3
}

TEST(GrammarMatcherTest, IntegerBoundsAreCheckedDigitByDigit) {
  const JsonGrammar grammar = person_grammar();
  const std::string head = R"({"name":"","age":)";
  EXPECT_TRUE(complete(grammar, head + R"(150,"ok":true})"));
  EXPECT_TRUE(complete(grammar, head + R"(0,"ok":true})"));
  EXPECT_EQ(n_accepted(grammar, head + "151"), head.size() + 2);  // "15" could still become 150
  EXPECT_EQ(n_accepted(grammar, head + "-1"), head.size() + 1);   // "-0" is 0; no negative number is in range
  EXPECT_EQ(n_accepted(grammar, head + "1.5"), head.size() + 1);  // integers have no fraction
  EXPECT_EQ(n_accepted(grammar, head + "01"), head.size() + 1);   // no leading zeros
  EXPECT_EQ(n_accepted(grammar, head + "1e2"), head.size() + 1);  // bounded: no exponent
  EXPECT_EQ(n_accepted(grammar, head + "9999"), head.size() + 2);
}

JsonGrammar bounded_number(std::optional<double> minimum, std::optional<double> maximum, bool exclusive_minimum,
                           bool exclusive_maximum, bool integer = false) {
  JsonGrammar grammar;
  GrammarNode number = GrammarNode::number_node(integer);
  number.minimum = minimum;
  number.maximum = maximum;
  number.exclusive_minimum = exclusive_minimum;
  number.exclusive_maximum = exclusive_maximum;
  // A number at the root ends only at the end of the text: wrap it in an array.
  GrammarNode array = GrammarNode::array_node(grammar.add(std::move(number)));
  grammar.set_root(grammar.add(std::move(array)));
  EXPECT_TRUE(grammar.validate().ok());
  return grammar;
}

TEST(GrammarMatcherTest, NumberBoundsWithFractionsAndExclusivity) {
  const JsonGrammar half = bounded_number(0.5, 1.5, false, false);
  EXPECT_TRUE(complete(half, "[0.5,1,1.5,1.25]"));
  EXPECT_FALSE(complete(half, "[0.4]"));
  EXPECT_EQ(n_accepted(half, "[0.4"), 3u);
  EXPECT_EQ(n_accepted(half, "[1.51"), 4u);
  EXPECT_FALSE(complete(half, "[0]"));
  EXPECT_EQ(n_accepted(half, "[2"), 1u);
  const JsonGrammar open = bounded_number(0.0, 1.0, true, true);
  EXPECT_FALSE(complete(open, "[0]"));
  EXPECT_TRUE(complete(open, "[0.1]"));
  EXPECT_FALSE(complete(open, "[1]"));
  EXPECT_FALSE(complete(open, "[1.0]"));
  EXPECT_EQ(n_accepted(open, "[1."), 1u);  // nothing starting with 1 is below 1
  const JsonGrammar positive = bounded_number(0.0, std::nullopt, true, false, /*integer=*/true);
  EXPECT_EQ(n_accepted(positive, "[0"), 1u);
  EXPECT_TRUE(complete(positive, "[1,123456789012345]"));
  EXPECT_FALSE(complete(positive, "[1234567890123456]"));  // past kMaxIntegerDigits
  const JsonGrammar negative = bounded_number(-10.0, -2.0, false, false, /*integer=*/true);
  EXPECT_TRUE(complete(negative, "[-10,-2,-5]"));
  EXPECT_EQ(n_accepted(negative, "[-1"), 3u);  // -1x is still possible
  EXPECT_EQ(n_accepted(negative, "[-11"), 3u);
  EXPECT_FALSE(complete(negative, "[-1]"));
}

TEST(GrammarMatcherTest, UnboundedNumbers) {
  JsonGrammar grammar;
  grammar.set_root(grammar.add(GrammarNode::array_node(grammar.add(GrammarNode::number_node(false)))));
  ASSERT_TRUE(grammar.validate().ok());
  EXPECT_TRUE(complete(grammar, "[0,-0,1.5,-2e10,3E+2,4.25e-3,123]"));
  EXPECT_FALSE(complete(grammar, "[1.]"));
  EXPECT_FALSE(complete(grammar, "[.5]"));
  EXPECT_FALSE(complete(grammar, "[1e]"));
  EXPECT_FALSE(complete(grammar, "[+1]"));
  EXPECT_FALSE(complete(grammar, "[1e1234]"));
}

TEST(GrammarMatcherTest, StringsAreWellFormedUtf8WithJsonEscapes) {
  JsonGrammar grammar;
  GrammarNode text = GrammarNode::string_node();
  text.min_length = 1;
  text.max_length = 3;
  grammar.set_root(grammar.add(std::move(text)));
  ASSERT_TRUE(grammar.validate().ok());
  EXPECT_TRUE(complete(grammar, "\"a\""));
  EXPECT_TRUE(complete(grammar, "\"\\n\\\"\\u00e9\""));  // three escapes, three code points
  EXPECT_TRUE(complete(grammar, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\""));  // é € 😀
  EXPECT_FALSE(complete(grammar, "\"\""));                                     // minLength 1
  EXPECT_FALSE(complete(grammar, "\"abcd\""));                                 // maxLength 3
  EXPECT_FALSE(complete(grammar, "\"\\x\""));
  EXPECT_FALSE(complete(grammar, "\"\\ud800\""));   // a lone surrogate
  EXPECT_FALSE(complete(grammar, "\"a\nb\""));      // a control byte
  EXPECT_FALSE(complete(grammar, "\"\xc0\xaf\""));  // overlong
  EXPECT_FALSE(complete(grammar, "\"\xed\xa0\x80\""));  // an encoded surrogate
  EXPECT_FALSE(complete(grammar, "\"\xe2\x82\""));      // cut short
}

TEST(GrammarMatcherTest, AnyValueAndRecursion) {
  JsonGrammar grammar;
  grammar.set_root(grammar.add_any_object());
  ASSERT_TRUE(grammar.validate().ok());
  EXPECT_TRUE(complete(grammar, R"({"a":[1,{"b":null},"c",true,false,-1.5e3],"":{}})"));
  EXPECT_FALSE(complete(grammar, "[1]"));  // json_object: an object at the root
  EXPECT_FALSE(complete(grammar, R"({"a":1,})"));
  EXPECT_FALSE(complete(grammar, R"({"a" 1})"));
  std::string deep = R"({"a":)";
  for (size_t depth = 0; depth < GrammarMatcher::kMaxDepth; ++depth) deep += "[";
  EXPECT_LT(n_accepted(grammar, deep), deep.size());  // nesting is bounded

  // A tree: {"children": [tree, ...]} through a reserved node.
  JsonGrammar tree;
  const int32_t node = tree.reserve();
  GrammarNode object = GrammarNode::object_node();
  object.properties.push_back({"\"children\"", tree.add(GrammarNode::array_node(node)), true});
  tree.set(node, std::move(object));
  tree.set_root(node);
  ASSERT_TRUE(tree.validate().ok());
  EXPECT_TRUE(complete(tree, R"({"children":[{"children":[]},{"children":[{"children":[]}]}]})"));
}

TEST(GrammarMatcherTest, SequencesWrapAValueInMarkerText) {
  JsonGrammar grammar;
  const int32_t open = grammar.add(GrammarNode::literal_node("<tool_call>\n"));
  const int32_t value = grammar.add_any_object();
  const int32_t close = grammar.add(GrammarNode::literal_node("\n</tool_call>"));
  grammar.set_root(grammar.add(GrammarNode::sequence({open, value, close})));
  ASSERT_TRUE(grammar.validate().ok());
  GrammarMatcher matcher(grammar);
  ASSERT_TRUE(matcher.accept("<tool_call>\n{\"a\":1}\n</tool_call>"));
  EXPECT_TRUE(matcher.finished());
  EXPECT_FALSE(complete(grammar, "<tool_call>{\"a\":1}\n</tool_call>"));
}

TEST(GrammarMatcherTest, NestedAnyOfStaysBoundedPerByte) {
  // 200 x 200 alternatives that all start alike: a byte explores at most
  // kMaxBranchesPerByte of them, and what it keeps is still valid.
  JsonGrammar grammar;
  std::vector<int32_t> outer;
  for (int outer_idx = 0; outer_idx < 200; ++outer_idx) {
    std::vector<int32_t> inner;
    for (int inner_idx = 0; inner_idx < 200; ++inner_idx) {
      std::string text = "\"";
      text += std::to_string(outer_idx * 200 + inner_idx);
      text += '"';
      inner.push_back(grammar.add(GrammarNode::literal_node(std::move(text))));
    }
    outer.push_back(grammar.add(GrammarNode::any_of(std::move(inner))));
  }
  grammar.set_root(grammar.add(GrammarNode::any_of(std::move(outer))));
  ASSERT_TRUE(grammar.validate().ok());
  GrammarMatcher matcher(grammar);
  ASSERT_TRUE(matcher.accept('"'));
  ASSERT_TRUE(matcher.accept('1'));
  EXPECT_FALSE(matcher.can_finish());
  std::string rest;
  for (uint8_t byte : std::string("0123456789\"")) {
    GrammarMatcher trial = matcher;
    if (trial.accept(byte)) {
      rest.push_back(static_cast<char>(byte));
      matcher = trial;
      if (matcher.finished()) break;
    }
  }
  EXPECT_FALSE(rest.empty());
}

TEST(GrammarMatcherTest, ValidateRefusesBrokenGrammars) {
  JsonGrammar empty;
  EXPECT_FALSE(empty.validate().ok());
  JsonGrammar loop;
  const int32_t a = loop.reserve();
  const int32_t b = loop.add(GrammarNode::any_of({a}));
  loop.set(a, GrammarNode::sequence({b}));
  loop.set_root(a);
  const Status status = loop.validate();
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.message().find("left recursion"), std::string::npos) << status.message();
  JsonGrammar bounds;
  GrammarNode number = GrammarNode::number_node(true);
  number.minimum = 0.2;
  number.maximum = 0.8;
  bounds.set_root(bounds.add(std::move(number)));
  EXPECT_FALSE(bounds.validate().ok());
}

TEST(TokenTrieTest, AllowsExactlyTheTokensTheMatcherAccepts) {
  const JsonGrammar grammar = person_grammar();
  const std::vector<std::string> vocab = {"{", "{\"", "{\"name", "{\"ok", "\"", "name", "\":", "x", "", "}", " {",
                                          "\"name\":\"", "tr", "true", "ue"};
  TokenTrie trie(vocab);
  std::vector<uint8_t> allowed;
  GrammarMatcher matcher(grammar);
  trie.fill_allowed(matcher, &allowed);
  const std::vector<uint8_t> expected_start = {1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  EXPECT_EQ(allowed, expected_start);
  ASSERT_TRUE(matcher.accept("{\"name\":\"x\",\"ok\":"));
  EXPECT_EQ(trie.fill_allowed(matcher, &allowed), 2);
  EXPECT_EQ(allowed[12], 1);  // "tr"
  EXPECT_EQ(allowed[13], 1);  // "true"
  // Against brute force on every id.
  for (size_t id = 0; id < vocab.size(); ++id) {
    GrammarMatcher trial = matcher;
    EXPECT_EQ(allowed[id] != 0, !vocab[id].empty() && trial.accept(vocab[id])) << vocab[id];
  }
}

// Random walks: tokens drawn uniformly from those allowed, an end allowed
// where the text can finish; every finished text parses and fits the schema.
TEST(TokenTrieTest, RandomConstrainedWalksProduceValidJson) {
  const JsonGrammar grammar = person_grammar();
  std::vector<std::string> vocab;
  for (int byte = 0x20; byte < 0x7f; ++byte) vocab.emplace_back(1, static_cast<char>(byte));
  for (const char* piece : {"\":", "\",\"", "name", "ok", "age", "tags", "true", "false", "\\n", "\xc3\xa9", "\xe2",
                            "\x82\xac", "1", "15", "150", "  ", "\n", "\t", "\"]", "\"}", "\\u00", "abcdefgh", "\xc3\xa9t\xc3\xa9", "\x80", "a\"", "x\xf0\x9f"}) {
    vocab.emplace_back(piece);
  }
  TokenTrie trie(vocab);
  std::vector<uint8_t> allowed;
  int n_finished = 0;
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    Rng rng(seed);
    GrammarMatcher matcher(grammar);
    std::string text;
    for (int step = 0; step < 400 && !matcher.finished(); ++step) {
      const int64_t n_allowed = trie.fill_allowed(matcher, &allowed);
      ASSERT_GT(n_allowed, 0) << text;
      if (seed <= 20) {
        // The mask, fast path inside strings included, equals trying every token.
        for (size_t id = 0; id < vocab.size(); ++id) {
          GrammarMatcher trial = matcher;
          ASSERT_EQ(allowed[id] != 0, trial.accept(vocab[id])) << text << " + " << vocab[id];
        }
      }
      int64_t pick = static_cast<int64_t>(rng.next_unit() * static_cast<double>(n_allowed));
      for (size_t id = 0; id < allowed.size(); ++id) {
        if (allowed[id] != 0 && pick-- == 0) {
          ASSERT_TRUE(matcher.accept(vocab[id]));
          text += vocab[id];
          break;
        }
      }
    }
    if (!matcher.finished()) continue;
    ++n_finished;
    const nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(value.is_discarded()) << text;
    ASSERT_TRUE(value.is_object()) << text;
    EXPECT_TRUE(value.contains("name") && value["name"].is_string()) << text;
    if (value.contains("name") && value["name"].is_string()) {
      const std::string name = value["name"].get<std::string>();
      size_t n_code_points = 0;
      for (const char c : name) n_code_points += (static_cast<uint8_t>(c) & 0xC0) != 0x80;
      EXPECT_LE(n_code_points, 12u) << text;
    }
    EXPECT_TRUE(value.contains("ok") && value["ok"].is_boolean()) << text;
    if (value.contains("age")) {
      EXPECT_TRUE(value["age"].is_number_integer() && value["age"] >= 0 && value["age"] <= 150) << text;
    }
    if (value.contains("tags")) {
      EXPECT_TRUE(value["tags"].size() >= 1 && value["tags"].size() <= 3) << text;
      for (const auto& tag : value["tags"]) EXPECT_TRUE(tag == "a" || tag == "ab" || tag == "b") << text;
    }
    for (const auto& [key, unused] : value.items()) {
      EXPECT_TRUE(key == "name" || key == "ok" || key == "age" || key == "tags") << text;
    }
  }
  EXPECT_GT(n_finished, 20);
}

}  // namespace
}  // namespace hearth::infer
