// JsonGrammar: the language constrained decoding keeps a sequence to, as
// plain data: JSON values shaped by a schema, with literal text around them
// (a tool call's `<tool_call>` markers). api/ compiles a request's JSON
// schema into one (api/json_schema_grammar.h); infer/grammar_matcher.h runs it
// byte by byte. Nothing here knows JSON Schema or parses JSON.
//
//   JsonGrammar grammar;
//   GrammarNode name = GrammarNode::string_node();
//   GrammarNode object = GrammarNode::object_node();
//   object.properties.push_back({"\"name\"", grammar.add(std::move(name)), /*required=*/true});
//   grammar.set_root(grammar.add(std::move(object)));
//   HEARTH_RETURN_IF_ERROR(grammar.validate());
//
// The text a grammar accepts is compact JSON, except that every gap where
// JSON allows whitespace (after `{`, `[`, `:` and `,`, before `}`, `]`, `:`
// and `,`) may hold up to kMaxWhitespaceBytes of spaces, tabs and newlines:
// bounded, so a model cannot stall in whitespace, and enough for the
// indentation models like to write. No whitespace before or after the root.
//
// Objects write their properties in the order given: required ones always,
// optional ones or not. Strings are UTF-8 (well-formed, no control bytes,
// JSON escapes; \u escapes of surrogates are refused so that every parser
// accepts the text). Numbers have at most kMaxIntegerDigits digits before the
// point, kMaxFractionDigits after it and kMaxExponentDigits in an exponent;
// a number with a bound has no exponent.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace hearth::infer {

inline constexpr int kMaxWhitespaceBytes = 24;
inline constexpr int kMaxIntegerDigits = 15;  // exact in a double
inline constexpr int kMaxFractionDigits = 15;
inline constexpr int kMaxExponentDigits = 3;

struct GrammarNode {
  enum class Kind : uint8_t {
    kObject,    // {"key": value, ...}: `properties`, or free keys with `additional` values
    kArray,     // [item, ...]: `items`, min_items..max_items
    kString,    // "...": min_length..max_length code points (an escape is one)
    kNumber,    // JSON number; `integer`: no fraction, no exponent; optional bounds
    kLiteral,   // exactly the bytes of `literal` (enum and const values, true/false/null, marker text)
    kAnyOf,     // any one of `children`
    kSequence,  // each of `children` in order (marker text around a value)
  };

  struct Property {
    std::string key_json;  // the key as JSON text, quotes included: "\"name\""
    int32_t value = -1;
    bool required = false;
  };

  Kind kind = Kind::kLiteral;
  // kObject
  std::vector<Property> properties;
  int32_t additional = -1;  // with no properties: any string key, values of this node
  // kArray
  int32_t items = -1;
  int64_t min_items = 0;
  int64_t max_items = -1;  // -1: no limit
  // kString
  int64_t min_length = 0;
  int64_t max_length = -1;  // -1: no limit
  // kNumber
  bool integer = false;
  std::optional<double> minimum;
  std::optional<double> maximum;
  bool exclusive_minimum = false;
  bool exclusive_maximum = false;
  // kLiteral
  std::string literal;
  // kAnyOf, kSequence
  std::vector<int32_t> children;

  static GrammarNode object_node() { return with_kind(Kind::kObject); }
  static GrammarNode array_node(int32_t items) {
    GrammarNode node = with_kind(Kind::kArray);
    node.items = items;
    return node;
  }
  static GrammarNode string_node() { return with_kind(Kind::kString); }
  static GrammarNode number_node(bool integer) {
    GrammarNode node = with_kind(Kind::kNumber);
    node.integer = integer;
    return node;
  }
  static GrammarNode literal_node(std::string text) {
    GrammarNode node = with_kind(Kind::kLiteral);
    node.literal = std::move(text);
    return node;
  }
  static GrammarNode any_of(std::vector<int32_t> children) {
    GrammarNode node = with_kind(Kind::kAnyOf);
    node.children = std::move(children);
    return node;
  }
  static GrammarNode sequence(std::vector<int32_t> children) {
    GrammarNode node = with_kind(Kind::kSequence);
    node.children = std::move(children);
    return node;
  }

 private:
  static GrammarNode with_kind(Kind kind) {
    GrammarNode node;
    node.kind = kind;
    return node;
  }
};

class JsonGrammar {
 public:
  // Appends a node and returns its index; nodes refer to each other by index,
  // so recursive schemas ($ref) are cycles of indices.
  int32_t add(GrammarNode node);
  // A node reserved now and filled later (a $ref target seen before its definition).
  int32_t reserve() { return add(GrammarNode{}); }
  void set(int32_t index, GrammarNode node) { nodes_[static_cast<size_t>(index)] = std::move(node); }
  void set_root(int32_t index) { root_ = index; }

  // kInvalidArgument naming the node: an index out of range, an empty
  // literal, anyOf or sequence, bounds that admit nothing (min > max), an
  // object with both properties and free keys, or a loop of anyOf/sequence
  // nodes that reaches itself before any byte is read (left recursion).
  Status validate() const;

  int32_t root() const { return root_; }
  const GrammarNode& node(int32_t index) const { return nodes_[static_cast<size_t>(index)]; }
  size_t size() const { return nodes_.size(); }

  // Adds the nodes of "any JSON value" (objects with free keys, arrays,
  // strings, numbers, true, false, null) and returns the value's index:
  // what response_format json_object asks for, with an object root.
  int32_t add_any_value();
  // An object with free keys whose values are any JSON value.
  int32_t add_any_object();

 private:
  std::vector<GrammarNode> nodes_;
  int32_t root_ = -1;
};

}  // namespace hearth::infer
