// Interpreter: evaluates one render of a parsed template (internal to
// text/jinja; Template is the public face). interpreter.cpp holds statements
// and expressions, builtins.cpp the filters, tests, methods and global
// functions.
//
// One Interpreter per render: it owns the scopes and namespaces that render
// creates and frees them (breaking namespace reference cycles) when it ends.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "text/jinja/ast.h"
#include "text/jinja/template.h"
#include "text/jinja/value.h"

namespace hearth::text::jinja {

struct Scope {
  std::unordered_map<std::string, Value> vars;
  Scope* parent = nullptr;
};

struct Callable {
  enum class Kind { kMacro, kCaller, kBuiltin, kMethod };
  Kind kind = Kind::kBuiltin;
  const Node* node = nullptr;  // kMacro: the macro; kCaller: the call block
  Scope* closure = nullptr;    // kMacro, kCaller: the scope they were defined in (lives as long as the render)
  std::string name;            // kBuiltin: the function; kMethod: the method
  Value receiver;              // kMethod: the string or dict the method belongs to
};

struct Args {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keywords;

  // Positional argument `idx`, else the keyword `name`, else nullptr.
  const Value* get(size_t idx, std::string_view name) const;
};

class Interpreter {
 public:
  Interpreter(std::string_view source, const Limits& limits, std::function<int64_t()> now_ms);
  ~Interpreter();
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  Result<std::string> run(const std::vector<NodePtr>& nodes, const Dict& context);

 private:
  enum class Flow { kNormal, kBreak, kContinue };

  // ---- interpreter.cpp ----
  Status fail(uint32_t offset, const std::string& message) const;
  Status limit(uint32_t offset, const std::string& message) const;
  // Charges one step plus one per 64 bytes of text built.
  Status step(uint32_t offset, size_t bytes = 0);
  // kOutOfRange when a string would exceed max_output_bytes.
  Status check_size(uint32_t offset, size_t bytes) const;
  Scope* new_scope(Scope* parent);
  Value make_callable(Callable callable);

  Status exec_block(const std::vector<NodePtr>& nodes, Scope* scope, std::string& out);
  Status exec(const Node& node, Scope* scope, std::string& out);
  Status exec_for(const Node& node, Scope* scope, std::string& out);
  Status exec_set(const Node& node, Scope* scope);
  Result<Value> eval(const Node& node, Scope* scope);
  Result<Value> eval_binary(const Node& node, Scope* scope);
  Result<Value> binary_op(const Node& node, const std::string& op, const Value& left, const Value& right);
  Result<Value> get_member(const Node& node, const Value& object, const Value& property);
  Result<Value> slice(const Node& node, const Value& object, Scope* scope);
  Result<Args> eval_args(const Node& node, size_t first, Scope* scope);
  Result<Value> call(const Node& node, const Value& callee, Args args, const Value* caller);
  Result<Value> call_macro(const Node& at, const Callable& macro, Args args, const Value* caller);
  Status bind_parameters(const Node& at, const std::vector<const Node*>& params, Args args, Scope* scope);
  Result<Value> eval_filter_chain(const Node& node, Scope* scope, const Value* block_text);
  Result<std::string> text_of(const Node& node, const Value& value);
  Result<std::string> concat_text_of(const Node& node, const Value& value);

  // ---- builtins.cpp ----
  Result<Value> apply_filter(const Node& node, const std::string& name, const Value& operand, const Args& args);
  Result<bool> apply_test(const Node& node, const std::string& name, const Value& operand, const Args& args);
  Result<Value> call_method(const Node& node, const Callable& method, const Args& args);
  Result<Value> call_builtin(const Node& node, const std::string& name, const Args& args);
  Result<Value> filter_sort(const Node& node, const Value& operand, const Args& args);
  Result<Value> filter_select(const Node& node, const std::string& name, const Value& operand, const Args& args);
  Result<Value> filter_map(const Node& node, const Value& operand, const Args& args);
  Result<Value> filter_tojson(const Node& node, const Value& operand, const Args& args);
  Result<std::string> strftime_now(const Node& node, const std::string& format);

 public:
  // The methods a value has under `name` (dict: get/items/keys/values;
  // string: strip/split/startswith/...). Used by attribute access.
  static bool has_method(const Value& receiver, std::string_view name);
  // Strict equality (`in`, unique): numbers by value, strings by content,
  // lists and dicts by identity.
  static bool strict_equal(const Value& a, const Value& b);
  // Loose equality (==): as strict, plus booleans equal to 0/1 and none equal to undefined.
  static bool loose_equal(const Value& a, const Value& b);

 private:
  std::string_view source_;
  const Limits& limits_;
  std::function<int64_t()> now_ms_;
  int64_t n_steps_ = 0;
  int depth_ = 0;
  Flow flow_ = Flow::kNormal;
  std::vector<std::unique_ptr<Scope>> scopes_;
  std::vector<DictPtr> namespaces_;
};

}  // namespace hearth::text::jinja
