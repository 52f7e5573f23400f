// Value: what a chat template computes with: undefined, none, booleans,
// 64-bit integers, doubles, UTF-8 strings, lists, dicts (insertion-ordered,
// string keys), namespaces and callables.
//
// Lists and dicts are shared and immutable once built (templates have no way
// to change them), so copying a Value is cheap and a context can be rendered
// by any number of threads at once. Namespaces are the one mutable kind
// (`{% set ns.x = ... %}`); they only ever exist inside one render.
//
// Building a context:
//   auto message = std::make_shared<Dict>();
//   message->set("role", Value("user"));
//   message->set("content", Value("Hi"));
//   Value messages = Value::list({Value(std::move(message))});
//
// Conversions to text follow @huggingface/jinja, the reference renderer of
// chat templates (booleans print as true/false, none prints as nothing).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include "base/status.h"

namespace hearth::text::jinja {

class Value;
class Dict;
struct Callable;  // defined by the interpreter (macros, builtins, bound methods)

using List = std::vector<Value>;
using ListPtr = std::shared_ptr<const List>;
using DictPtr = std::shared_ptr<Dict>;
using CallablePtr = std::shared_ptr<const Callable>;

struct Undefined {};
struct None {};
// A mutable attribute bag made by namespace(); shares the Dict layout.
struct Namespace {
  DictPtr dict;
};

class Value {
 public:
  enum class Kind { kUndefined, kNone, kBool, kInt, kFloat, kString, kList, kDict, kNamespace, kCallable };

  Value() : data_(Undefined{}) {}
  Value(None) : data_(None{}) {}  // NOLINT: implicit by design
  explicit Value(bool b) : data_(b) {}
  explicit Value(int64_t i) : data_(i) {}
  explicit Value(int i) : data_(static_cast<int64_t>(i)) {}
  explicit Value(double d) : data_(d) {}
  explicit Value(std::string s) : data_(std::move(s)) {}
  explicit Value(std::string_view s) : data_(std::string(s)) {}
  explicit Value(const char* s) : data_(std::string(s)) {}
  explicit Value(ListPtr list) : data_(std::move(list)) {}
  explicit Value(DictPtr dict) : data_(std::move(dict)) {}
  explicit Value(Namespace ns) : data_(std::move(ns)) {}
  explicit Value(CallablePtr callable) : data_(std::move(callable)) {}

  static Value list(List items) { return Value(std::make_shared<const List>(std::move(items))); }
  static Value none() { return Value(None{}); }

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  bool is_undefined() const { return kind() == Kind::kUndefined; }
  bool is_none() const { return kind() == Kind::kNone; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_int() const { return kind() == Kind::kInt; }
  bool is_float() const { return kind() == Kind::kFloat; }
  bool is_number() const { return is_int() || is_float(); }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_list() const { return kind() == Kind::kList; }
  bool is_dict() const { return kind() == Kind::kDict; }
  bool is_namespace() const { return kind() == Kind::kNamespace; }
  bool is_callable() const { return kind() == Kind::kCallable; }

  // Each accessor requires the matching kind.
  bool as_bool() const { return std::get<bool>(data_); }
  int64_t as_int() const { return std::get<int64_t>(data_); }
  double as_float() const { return std::get<double>(data_); }
  // int, float or bool as a double.
  double as_number() const;
  const std::string& as_string() const { return std::get<std::string>(data_); }
  const List& as_list() const { return *std::get<ListPtr>(data_); }
  const ListPtr& list_ptr() const { return std::get<ListPtr>(data_); }
  // The entries of a dict or of a namespace.
  const Dict& as_dict() const;
  const DictPtr& dict_ptr() const;
  const CallablePtr& as_callable() const { return std::get<CallablePtr>(data_); }

  // Python truthiness (empty containers and strings are false).
  bool truthy() const;
  // "undefined", "none", "boolean", "integer", "float", "string", "list",
  // "dict", "namespace", "callable": for error messages.
  const char* kind_name() const;

 private:
  std::variant<Undefined, None, bool, int64_t, double, std::string, ListPtr, DictPtr, Namespace, CallablePtr> data_;
};

// Insertion-ordered string-keyed map.
class Dict {
 public:
  // nullptr when absent.
  const Value* find(std::string_view key) const;
  // Replaces the value of an existing key in place (its position is kept).
  void set(std::string key, Value value);
  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  const std::vector<std::pair<std::string, Value>>& entries() const { return entries_; }
  // Drops every entry (breaks namespace reference cycles at the end of a render).
  void clear();

 private:
  std::vector<std::pair<std::string, Value>> entries_;
  std::unordered_map<std::string, size_t> index_;
};

// JavaScript's Number#toString for a double (shortest round-trip digits;
// exponent form below 1e-6 and from 1e21): what @huggingface/jinja prints.
std::string js_number_string(double value);

// The text {{ value }} writes: strings as they are, integers in decimal,
// floats with at least one decimal ("1.0"), booleans as true/false, lists,
// dicts and namespaces as JSON, none and undefined as nothing.
// kOutOfRange past max_depth levels of nesting.
Result<std::string> to_output_string(const Value& value, int max_depth);

// The text a value contributes to `+` and `~` concatenation and to join, as
// JavaScript's toString gives it: floats as JavaScript numbers ("1"), lists
// as their items' output text joined by ",", dicts as "[object Map]".
Result<std::string> to_concat_string(const Value& value, int max_depth);

struct JsonOptions {
  int indent = -1;  // < 0: one line
  bool ensure_ascii = false;
  bool sort_keys = false;
  bool has_separators = false;
  std::string item_separator;
  std::string key_separator;
  bool undefined_as_null = true;  // false: "undefined", as printing a list does
};

// The tojson filter: Python json.dumps spacing (", " and ": "; "," between
// indented items), strings escaped as JSON.stringify does, floats as
// JavaScript numbers. kInvalidArgument for a callable, kOutOfRange past
// max_depth levels of nesting (namespaces can refer to themselves).
Result<std::string> to_json(const Value& value, const JsonOptions& options, int max_depth);

}  // namespace hearth::text::jinja
