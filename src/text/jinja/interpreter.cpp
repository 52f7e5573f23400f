// Statements and expressions of the interpreter; see interpreter.h.
#include "text/jinja/interpreter.h"

#include <cmath>
#include <limits>

#include "text/jinja/lexer.h"
#include "text/jinja/string_ops.h"

namespace hearth::text::jinja {
namespace {

// Counts one level of evaluation for its lifetime.
class DepthGuard {
 public:
  explicit DepthGuard(int& depth) : depth_(depth) { ++depth_; }
  ~DepthGuard() { --depth_; }
  DepthGuard(const DepthGuard&) = delete;
  DepthGuard& operator=(const DepthGuard&) = delete;

 private:
  int& depth_;
};

bool is_numeric_like(const Value& value) { return value.is_number() || value.is_bool(); }

}  // namespace

const Value* Args::get(size_t idx, std::string_view name) const {
  if (idx < positional.size()) return &positional[idx];
  for (const auto& [key, value] : keywords) {
    if (key == name) return &value;
  }
  return nullptr;
}

Interpreter::Interpreter(std::string_view source, const Limits& limits, std::function<int64_t()> now_ms)
    : source_(source), limits_(limits), now_ms_(std::move(now_ms)) {}

Interpreter::~Interpreter() {
  // Namespaces may hold themselves (set ns.self = ns); empty them so the
  // shared pointers can free.
  for (const DictPtr& ns : namespaces_) ns->clear();
}

Status Interpreter::fail(uint32_t offset, const std::string& message) const {
  return invalid_argument_error("template error at " + describe_position(source_, offset) + ": " + message);
}

Status Interpreter::limit(uint32_t offset, const std::string& message) const {
  return out_of_range_error("template stopped at " + describe_position(source_, offset) + ": " + message);
}

Status Interpreter::step(uint32_t offset, size_t bytes) {
  n_steps_ += 1 + static_cast<int64_t>(bytes / 64);
  if (n_steps_ <= limits_.max_steps) return ok_status();
  return limit(offset, "the step budget of " + std::to_string(limits_.max_steps) +
                           " is spent (an endless loop, or a template too costly for this input)");
}

Status Interpreter::check_size(uint32_t offset, size_t bytes) const {
  if (bytes <= limits_.max_output_bytes) return ok_status();
  return limit(offset, "text longer than the limit of " + std::to_string(limits_.max_output_bytes) + " bytes");
}

Scope* Interpreter::new_scope(Scope* parent) {
  // Scopes live until the render ends (closures may refer to them), so each
  // costs steps: the budget bounds their memory too.
  n_steps_ += 16;
  scopes_.push_back(std::make_unique<Scope>());
  scopes_.back()->parent = parent;
  return scopes_.back().get();
}

Value Interpreter::make_callable(Callable callable) {
  return Value(CallablePtr(std::make_shared<const Callable>(std::move(callable))));
}

Result<std::string> Interpreter::text_of(const Node& node, const Value& value) {
  Result<std::string> text = to_output_string(value, limits_.max_value_depth);
  if (!text.ok()) return fail(node.offset, text.status().message());
  return text;
}

Result<std::string> Interpreter::concat_text_of(const Node& node, const Value& value) {
  Result<std::string> text = to_concat_string(value, limits_.max_value_depth);
  if (!text.ok()) return fail(node.offset, text.status().message());
  return text;
}

Result<std::string> Interpreter::run(const std::vector<NodePtr>& nodes, const Dict& context) {
  Scope* globals = new_scope(nullptr);
  for (const char* builtin : {"namespace", "raise_exception", "range", "strftime_now", "dict"}) {
    Callable callable;
    callable.kind = Callable::Kind::kBuiltin;
    callable.name = builtin;
    globals->vars[builtin] = make_callable(std::move(callable));
  }
  for (const auto& [key, value] : context.entries()) globals->vars[key] = value;
  std::string out;
  HEARTH_RETURN_IF_ERROR(exec_block(nodes, new_scope(globals), out));
  return out;
}

Status Interpreter::exec_block(const std::vector<NodePtr>& nodes, Scope* scope, std::string& out) {
  for (const NodePtr& node : nodes) {
    HEARTH_RETURN_IF_ERROR(exec(*node, scope, out));
    HEARTH_RETURN_IF_ERROR(check_size(node->offset, out.size()));
    if (flow_ != Flow::kNormal) return ok_status();
  }
  return ok_status();
}

Status Interpreter::exec(const Node& node, Scope* scope, std::string& out) {
  DepthGuard guard(depth_);
  if (depth_ > limits_.max_render_depth) {
    return limit(node.offset, "evaluation nested deeper than " + std::to_string(limits_.max_render_depth) +
                                  " levels (runaway macro recursion?)");
  }
  HEARTH_RETURN_IF_ERROR(step(node.offset));
  switch (node.kind) {
    case NodeKind::kText:
      HEARTH_RETURN_IF_ERROR(step(node.offset, node.name.size()));
      out += node.name;
      return ok_status();
    case NodeKind::kOutput: {
      HEARTH_ASSIGN_OR_RETURN(Value value, eval(*node.children[0], scope));
      HEARTH_ASSIGN_OR_RETURN(std::string text, text_of(node, value));
      HEARTH_RETURN_IF_ERROR(step(node.offset, text.size()));
      out += text;
      return ok_status();
    }
    case NodeKind::kIf: {
      HEARTH_ASSIGN_OR_RETURN(Value condition, eval(*node.children[0], scope));
      return exec_block(condition.truthy() ? node.body : node.else_body, scope, out);
    }
    case NodeKind::kFor:
      return exec_for(node, scope, out);
    case NodeKind::kSet:
      return exec_set(node, scope);
    case NodeKind::kMacro: {
      Callable macro;
      macro.kind = Callable::Kind::kMacro;
      macro.node = &node;
      macro.closure = scope;
      macro.name = node.name;
      scope->vars[node.name] = make_callable(std::move(macro));
      return ok_status();
    }
    case NodeKind::kCallBlock: {
      Callable caller;
      caller.kind = Callable::Kind::kCaller;
      caller.node = &node;
      caller.closure = scope;
      caller.name = "caller";
      const Value caller_value = make_callable(std::move(caller));
      const Node& call_node = *node.children[0];
      HEARTH_ASSIGN_OR_RETURN(Value callee, eval(*call_node.children[0], scope));
      HEARTH_ASSIGN_OR_RETURN(Args args, eval_args(call_node, 1, scope));
      HEARTH_ASSIGN_OR_RETURN(Value result, call(call_node, callee, std::move(args), &caller_value));
      HEARTH_ASSIGN_OR_RETURN(std::string text, text_of(node, result));
      out += text;
      return ok_status();
    }
    case NodeKind::kFilterBlock: {
      std::string body;
      HEARTH_RETURN_IF_ERROR(exec_block(node.body, scope, body));
      const Value body_value(std::move(body));
      HEARTH_ASSIGN_OR_RETURN(Value result, eval_filter_chain(*node.children[0], scope, &body_value));
      HEARTH_ASSIGN_OR_RETURN(std::string text, text_of(node, result));
      out += text;
      return ok_status();
    }
    case NodeKind::kBreak:
      flow_ = Flow::kBreak;
      return ok_status();
    case NodeKind::kContinue:
      flow_ = Flow::kContinue;
      return ok_status();
    default: {
      // An expression used as a statement cannot occur: the parser wraps them in kOutput.
      return fail(node.offset, "expression where a statement was expected");
    }
  }
}

Status Interpreter::exec_for(const Node& node, Scope* scope, std::string& out) {
  Scope* loop_scope = new_scope(scope);
  HEARTH_ASSIGN_OR_RETURN(Value iterable, eval(*node.children[0], loop_scope));
  List candidates;
  if (iterable.is_list()) {
    candidates = iterable.as_list();
  } else if (iterable.is_dict()) {
    for (const auto& entry : iterable.as_dict().entries()) candidates.emplace_back(entry.first);
  } else if (iterable.is_string()) {
    for (std::string& ch : split_code_points(iterable.as_string())) candidates.emplace_back(std::move(ch));
  } else {
    return fail(node.children[0]->offset, std::string("cannot loop over ") + iterable.kind_name());
  }
  auto bind = [&](const Value& item, Scope* target) -> Status {
    if (node.targets.size() == 1) {
      target->vars[node.targets[0]] = item;
      return ok_status();
    }
    if (!item.is_list()) {
      return fail(node.offset, std::string("cannot unpack ") + item.kind_name() + " into " +
                                   std::to_string(node.targets.size()) + " loop variables");
    }
    if (item.as_list().size() != node.targets.size()) {
      return fail(node.offset, "cannot unpack " + std::to_string(item.as_list().size()) + " items into " +
                                   std::to_string(node.targets.size()) + " loop variables");
    }
    for (size_t idx = 0; idx < node.targets.size(); ++idx) target->vars[node.targets[idx]] = item.as_list()[idx];
    return ok_status();
  };
  // Every item is unpacked (and, with an `if`, tested) before the first iteration.
  List items;
  Scope* test_scope = new_scope(loop_scope);
  if (node.children[1] == nullptr) {
    items = std::move(candidates);
    if (node.targets.size() > 1) {
      for (const Value& item : items) HEARTH_RETURN_IF_ERROR(bind(item, test_scope));
    }
  } else {
    for (Value& item : candidates) {
      HEARTH_RETURN_IF_ERROR(step(node.offset));
      test_scope->vars.clear();
      HEARTH_RETURN_IF_ERROR(bind(item, test_scope));
      HEARTH_ASSIGN_OR_RETURN(Value keep, eval(*node.children[1], test_scope));
      if (keep.truthy()) items.push_back(std::move(item));
    }
  }
  const int64_t length = static_cast<int64_t>(items.size());
  for (int64_t idx = 0; idx < length; ++idx) {
    auto loop = std::make_shared<Dict>();
    loop->set("index", Value(idx + 1));
    loop->set("index0", Value(idx));
    loop->set("revindex", Value(length - idx));
    loop->set("revindex0", Value(length - idx - 1));
    loop->set("first", Value(idx == 0));
    loop->set("last", Value(idx == length - 1));
    loop->set("length", Value(length));
    loop->set("previtem", idx > 0 ? items[static_cast<size_t>(idx - 1)] : Value());
    loop->set("nextitem", idx + 1 < length ? items[static_cast<size_t>(idx + 1)] : Value());
    loop_scope->vars["loop"] = Value(std::move(loop));
    HEARTH_RETURN_IF_ERROR(bind(items[static_cast<size_t>(idx)], loop_scope));
    HEARTH_RETURN_IF_ERROR(exec_block(node.body, loop_scope, out));
    if (flow_ == Flow::kBreak) {
      flow_ = Flow::kNormal;
      break;
    }
    flow_ = Flow::kNormal;
  }
  if (length == 0) HEARTH_RETURN_IF_ERROR(exec_block(node.else_body, loop_scope, out));
  return ok_status();
}

Status Interpreter::exec_set(const Node& node, Scope* scope) {
  Value value;
  if (node.children[1] != nullptr) {
    HEARTH_ASSIGN_OR_RETURN(value, eval(*node.children[1], scope));
  } else {
    std::string text;
    HEARTH_RETURN_IF_ERROR(exec_block(node.body, scope, text));
    value = Value(std::move(text));
  }
  const Node& target = *node.children[0];
  switch (target.kind) {
    case NodeKind::kName:
      scope->vars[target.name] = std::move(value);
      return ok_status();
    case NodeKind::kTuple: {
      if (!value.is_list()) return fail(node.offset, std::string("cannot unpack ") + value.kind_name());
      if (value.as_list().size() != target.children.size()) {
        return fail(node.offset, "cannot unpack " + std::to_string(value.as_list().size()) + " items into " +
                                     std::to_string(target.children.size()) + " names");
      }
      for (size_t idx = 0; idx < target.children.size(); ++idx) {
        scope->vars[target.children[idx]->name] = value.as_list()[idx];
      }
      return ok_status();
    }
    case NodeKind::kAttr: {
      HEARTH_ASSIGN_OR_RETURN(Value object, eval(*target.children[0], scope));
      if (!object.is_namespace()) {
        return fail(target.offset,
                    std::string("cannot set an attribute on ") + object.kind_name() + " (only on a namespace())");
      }
      object.dict_ptr()->set(target.name, std::move(value));
      return ok_status();
    }
    default:
      return fail(node.offset, "invalid assignment target");
  }
}

Result<Value> Interpreter::eval(const Node& node, Scope* scope) {
  DepthGuard guard(depth_);
  if (depth_ > limits_.max_render_depth) {
    return limit(node.offset, "evaluation nested deeper than " + std::to_string(limits_.max_render_depth) +
                                  " levels (runaway macro recursion?)");
  }
  HEARTH_RETURN_IF_ERROR(step(node.offset));
  switch (node.kind) {
    case NodeKind::kLiteral:
      return node.literal;
    case NodeKind::kName: {
      for (Scope* at = scope; at != nullptr; at = at->parent) {
        auto it = at->vars.find(node.name);
        if (it != at->vars.end()) return it->second;
      }
      return Value();
    }
    case NodeKind::kList:
    case NodeKind::kTuple: {
      List items;
      for (const NodePtr& child : node.children) {
        HEARTH_ASSIGN_OR_RETURN(Value item, eval(*child, scope));
        items.push_back(std::move(item));
      }
      return Value::list(std::move(items));
    }
    case NodeKind::kDict: {
      auto dict = std::make_shared<Dict>();
      for (size_t idx = 0; idx + 1 < node.children.size(); idx += 2) {
        HEARTH_ASSIGN_OR_RETURN(Value key, eval(*node.children[idx], scope));
        if (!key.is_string()) return fail(node.children[idx]->offset, "dict keys must be strings");
        HEARTH_ASSIGN_OR_RETURN(Value value, eval(*node.children[idx + 1], scope));
        dict->set(key.as_string(), std::move(value));
      }
      return Value(std::move(dict));
    }
    case NodeKind::kUnary: {
      HEARTH_ASSIGN_OR_RETURN(Value operand, eval(*node.children[0], scope));
      if (node.name == "not") return Value(!operand.truthy());
      const bool negative = node.name == "-";
      if (operand.is_float()) return Value(negative ? -operand.as_float() : operand.as_float());
      if (operand.is_int() || operand.is_bool()) {
        const int64_t number = operand.is_int() ? operand.as_int() : (operand.as_bool() ? 1 : 0);
        if (negative && number == std::numeric_limits<int64_t>::min()) return fail(node.offset, "integer overflow");
        return Value(negative ? -number : number);
      }
      return fail(node.offset, "unary '" + node.name + "' needs a number, got " + operand.kind_name());
    }
    case NodeKind::kBinary:
      return eval_binary(node, scope);
    case NodeKind::kTernary: {
      HEARTH_ASSIGN_OR_RETURN(Value condition, eval(*node.children[1], scope));
      if (condition.truthy()) return eval(*node.children[0], scope);
      if (node.children[2] == nullptr) return Value();
      return eval(*node.children[2], scope);
    }
    case NodeKind::kAttr: {
      HEARTH_ASSIGN_OR_RETURN(Value object, eval(*node.children[0], scope));
      return get_member(node, object, Value(node.name));
    }
    case NodeKind::kIndex: {
      HEARTH_ASSIGN_OR_RETURN(Value object, eval(*node.children[0], scope));
      HEARTH_ASSIGN_OR_RETURN(Value index, eval(*node.children[1], scope));
      return get_member(node, object, index);
    }
    case NodeKind::kSlice: {
      HEARTH_ASSIGN_OR_RETURN(Value object, eval(*node.children[0], scope));
      return slice(node, object, scope);
    }
    case NodeKind::kCall: {
      HEARTH_ASSIGN_OR_RETURN(Value callee, eval(*node.children[0], scope));
      HEARTH_ASSIGN_OR_RETURN(Args args, eval_args(node, 1, scope));
      return call(node, callee, std::move(args), nullptr);
    }
    case NodeKind::kFilter:
      return eval_filter_chain(node, scope, nullptr);
    case NodeKind::kTest: {
      HEARTH_ASSIGN_OR_RETURN(Value operand, eval(*node.children[0], scope));
      HEARTH_ASSIGN_OR_RETURN(Args args, eval_args(node, 1, scope));
      HEARTH_ASSIGN_OR_RETURN(bool result, apply_test(node, node.name, operand, args));
      return Value(result != node.negate);
    }
    default:
      return fail(node.offset, "statement where an expression was expected");
  }
}

Result<Value> Interpreter::eval_filter_chain(const Node& node, Scope* scope, const Value* block_text) {
  Value operand;
  if (node.children[0] == nullptr) {
    if (block_text == nullptr) return fail(node.offset, "filter without an operand");
    operand = *block_text;
  } else if (node.children[0]->kind == NodeKind::kFilter) {
    HEARTH_ASSIGN_OR_RETURN(operand, eval_filter_chain(*node.children[0], scope, block_text));
  } else {
    HEARTH_ASSIGN_OR_RETURN(operand, eval(*node.children[0], scope));
  }
  HEARTH_ASSIGN_OR_RETURN(Args args, eval_args(node, 1, scope));
  return apply_filter(node, node.name, operand, args);
}

Result<Args> Interpreter::eval_args(const Node& node, size_t first, Scope* scope) {
  Args args;
  for (size_t idx = first; idx < node.children.size(); ++idx) {
    const Node& child = *node.children[idx];
    if (child.kind == NodeKind::kKeyword) {
      for (const auto& [key, unused] : args.keywords) {
        if (key == child.name) return fail(child.offset, "keyword argument '" + child.name + "' given twice");
      }
      HEARTH_ASSIGN_OR_RETURN(Value value, eval(*child.children[0], scope));
      args.keywords.emplace_back(child.name, std::move(value));
    } else {
      HEARTH_ASSIGN_OR_RETURN(Value value, eval(child, scope));
      args.positional.push_back(std::move(value));
    }
  }
  return args;
}

Result<Value> Interpreter::eval_binary(const Node& node, Scope* scope) {
  HEARTH_ASSIGN_OR_RETURN(Value left, eval(*node.children[0], scope));
  if (node.name == "and") return left.truthy() ? eval(*node.children[1], scope) : Result<Value>(left);
  if (node.name == "or") return left.truthy() ? Result<Value>(left) : eval(*node.children[1], scope);
  HEARTH_ASSIGN_OR_RETURN(Value right, eval(*node.children[1], scope));
  return binary_op(node, node.name, left, right);
}

bool Interpreter::strict_equal(const Value& a, const Value& b) {
  if (a.is_number() && b.is_number()) return a.as_number() == b.as_number();
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone:
      return true;
    case Value::Kind::kBool:
      return a.as_bool() == b.as_bool();
    case Value::Kind::kString:
      return a.as_string() == b.as_string();
    case Value::Kind::kList:
      return a.list_ptr() == b.list_ptr();
    case Value::Kind::kDict:
    case Value::Kind::kNamespace:
      return a.dict_ptr() == b.dict_ptr();
    case Value::Kind::kCallable:
      return a.as_callable() == b.as_callable();
    default:
      return false;
  }
}

bool Interpreter::loose_equal(const Value& a, const Value& b) {
  if (is_numeric_like(a) && is_numeric_like(b)) return a.as_number() == b.as_number();
  const bool a_nothing = a.is_none() || a.is_undefined();
  const bool b_nothing = b.is_none() || b.is_undefined();
  if (a_nothing || b_nothing) return a_nothing && b_nothing;
  return strict_equal(a, b);
}

Result<Value> Interpreter::binary_op(const Node& node, const std::string& op, const Value& left, const Value& right) {
  if (op == "==") return Value(loose_equal(left, right));
  if (op == "!=") return Value(!loose_equal(left, right));
  auto unsupported = [&]() {
    return fail(node.offset,
                "unsupported operand types for '" + op + "': " + left.kind_name() + " and " + right.kind_name());
  };
  if (left.is_number() && right.is_number() && op != "~" && op != "**") {
    const bool both_int = left.is_int() && right.is_int();
    if (op == "<") return Value(left.as_number() < right.as_number());
    if (op == ">") return Value(left.as_number() > right.as_number());
    if (op == "<=") return Value(left.as_number() <= right.as_number());
    if (op == ">=") return Value(left.as_number() >= right.as_number());
    if (op == "+" || op == "-" || op == "*") {
      if (both_int) {
        int64_t result = 0;
        const bool overflow = op == "+"   ? __builtin_add_overflow(left.as_int(), right.as_int(), &result)
                              : op == "-" ? __builtin_sub_overflow(left.as_int(), right.as_int(), &result)
                                          : __builtin_mul_overflow(left.as_int(), right.as_int(), &result);
        if (overflow) return fail(node.offset, "integer overflow");
        return Value(result);
      }
      const double a = left.as_number();
      const double b = right.as_number();
      return Value(op == "+" ? a + b : op == "-" ? a - b : a * b);
    }
    if (op == "/" || op == "//" || op == "%") {
      if (right.as_number() == 0) return fail(node.offset, "division by zero");
      if (op == "/") return Value(left.as_number() / right.as_number());
      if (both_int) {
        const int64_t a = left.as_int();
        const int64_t b = right.as_int();
        if (a == std::numeric_limits<int64_t>::min() && b == -1) return fail(node.offset, "integer overflow");
        if (op == "%") return Value(a % b);  // JavaScript's remainder (sign of the dividend)
        int64_t quotient = a / b;
        if ((a % b != 0) && ((a < 0) != (b < 0))) --quotient;
        return Value(quotient);
      }
      if (op == "%") return Value(std::fmod(left.as_number(), right.as_number()));
      return Value(std::floor(left.as_number() / right.as_number()));
    }
    return unsupported();
  }
  if (left.is_undefined() || right.is_undefined()) {
    if (right.is_undefined() && (op == "in" || op == "not in")) return Value(op == "not in");
    if (op == "~" && !left.is_none() && !right.is_none()) {
      HEARTH_ASSIGN_OR_RETURN(std::string a, concat_text_of(node, left));
      HEARTH_ASSIGN_OR_RETURN(std::string b, concat_text_of(node, right));
      HEARTH_RETURN_IF_ERROR(check_size(node.offset, a.size() + b.size()));
      HEARTH_RETURN_IF_ERROR(step(node.offset, a.size() + b.size()));
      return Value(a + b);
    }
    return fail(node.offset, "cannot apply '" + op + "' to an undefined value (" + left.kind_name() + " " + op + " " +
                                 right.kind_name() + ")");
  }
  if (left.is_none() || right.is_none()) {
    return fail(node.offset,
                "cannot apply '" + op + "' to none (" + left.kind_name() + " " + op + " " + right.kind_name() + ")");
  }
  const bool concat =
      op == "~" || (op == "+" && (left.is_string() || right.is_string()) && !(left.is_list() && right.is_list()));
  if (op == "**" && is_numeric_like(left) && is_numeric_like(right)) {
    const double a = left.as_number();
    const double b = right.as_number();
    if (a == 0 && b < 0) return fail(node.offset, "0 cannot be raised to a negative power");
    const double result = std::pow(a, b);
    if (!std::isfinite(result)) return fail(node.offset, "power result is not a finite number");
    const bool as_float = left.is_float() || right.is_float() || b < 0;
    if (!as_float) {
      if (std::fabs(result) >= 9.2e18) return fail(node.offset, "integer overflow");
      return Value(static_cast<int64_t>(result));
    }
    return Value(result);
  }
  if (op == "+" && left.is_list() && right.is_list()) {
    List joined = left.as_list();
    joined.insert(joined.end(), right.as_list().begin(), right.as_list().end());
    HEARTH_RETURN_IF_ERROR(step(node.offset, joined.size() * 8));
    return Value::list(std::move(joined));
  }
  if ((op == "in" || op == "not in") && right.is_list()) {
    bool found = false;
    for (const Value& item : right.as_list()) {
      if (strict_equal(item, left)) {
        found = true;
        break;
      }
    }
    HEARTH_RETURN_IF_ERROR(step(node.offset, right.as_list().size() * 8));
    return Value(found == (op == "in"));
  }
  if (concat) {
    HEARTH_ASSIGN_OR_RETURN(std::string a, concat_text_of(node, left));
    HEARTH_ASSIGN_OR_RETURN(std::string b, concat_text_of(node, right));
    HEARTH_RETURN_IF_ERROR(check_size(node.offset, a.size() + b.size()));
    HEARTH_RETURN_IF_ERROR(step(node.offset, a.size() + b.size()));
    a += b;
    return Value(std::move(a));
  }
  if ((op == "in" || op == "not in") && left.is_string() && right.is_string()) {
    HEARTH_RETURN_IF_ERROR(step(node.offset, right.as_string().size()));
    return Value((right.as_string().find(left.as_string()) != std::string::npos) == (op == "in"));
  }
  if ((op == "in" || op == "not in") && left.is_string() && right.is_dict()) {
    return Value((right.as_dict().find(left.as_string()) != nullptr) == (op == "in"));
  }
  if (left.is_string() && right.is_string() && (op == "<" || op == ">" || op == "<=" || op == ">=")) {
    const int cmp = left.as_string().compare(right.as_string());
    return Value(op == "<" ? cmp < 0 : op == ">" ? cmp > 0 : op == "<=" ? cmp <= 0 : cmp >= 0);
  }
  return unsupported();
}

Result<Value> Interpreter::get_member(const Node& node, const Value& object, const Value& property) {
  if (object.is_dict() || object.is_namespace()) {
    if (!property.is_string()) {
      return fail(node.offset, std::string("a dict is indexed by string keys, got ") + property.kind_name());
    }
    if (const Value* found = object.as_dict().find(property.as_string())) return *found;
  } else if (object.is_list() || object.is_string()) {
    if (property.is_int()) {
      const int64_t index = property.as_int();
      if (object.is_list()) {
        const int64_t size = static_cast<int64_t>(object.as_list().size());
        const int64_t at = index < 0 ? index + size : index;
        return at >= 0 && at < size ? object.as_list()[static_cast<size_t>(at)] : Value();
      }
      const std::vector<std::string> chars = split_code_points(object.as_string());
      HEARTH_RETURN_IF_ERROR(step(node.offset, object.as_string().size()));
      const int64_t size = static_cast<int64_t>(chars.size());
      const int64_t at = index < 0 ? index + size : index;
      return at >= 0 && at < size ? Value(chars[static_cast<size_t>(at)]) : Value();
    }
    if (!property.is_string()) {
      return fail(node.offset,
                  std::string("a ") + object.kind_name() + " is indexed by integers, got " + property.kind_name());
    }
    if (property.as_string() == "length") {
      return Value(
          static_cast<int64_t>(object.is_list() ? object.as_list().size() : count_code_points(object.as_string())));
    }
  } else if (!property.is_string()) {
    return fail(node.offset, std::string("cannot index ") + object.kind_name() + " with " + property.kind_name());
  }
  if (!object.is_namespace() && has_method(object, property.as_string())) {
    Callable method;
    method.kind = Callable::Kind::kMethod;
    method.name = property.as_string();
    method.receiver = object;
    return make_callable(std::move(method));
  }
  return Value();
}

Result<Value> Interpreter::slice(const Node& node, const Value& object, Scope* scope) {
  if (!object.is_list() && !object.is_string()) {
    return fail(node.offset, std::string("cannot slice ") + object.kind_name());
  }
  int64_t bounds[3] = {0, 0, 1};
  bool given[3] = {false, false, false};
  for (int idx = 0; idx < 3; ++idx) {
    const NodePtr& part = node.children[static_cast<size_t>(idx) + 1];
    if (part == nullptr) continue;
    HEARTH_ASSIGN_OR_RETURN(Value value, eval(*part, scope));
    if (value.is_undefined()) continue;
    if (!value.is_int())
      return fail(part->offset, std::string("slice bounds must be integers, got ") + value.kind_name());
    bounds[idx] = value.as_int();
    given[idx] = true;
  }
  std::vector<std::string> chars;
  if (object.is_string()) chars = split_code_points(object.as_string());
  const int64_t size =
      object.is_list() ? static_cast<int64_t>(object.as_list().size()) : static_cast<int64_t>(chars.size());
  HEARTH_RETURN_IF_ERROR(step(node.offset, static_cast<size_t>(size) * (object.is_list() ? 8 : 1)));
  const int64_t step_size = bounds[2];
  List items;
  std::string text;
  auto take = [&](int64_t at) {
    if (object.is_list()) {
      items.push_back(object.as_list()[static_cast<size_t>(at)]);
    } else {
      text += chars[static_cast<size_t>(at)];
    }
  };
  // Python's slice rules (as @huggingface/jinja's slice()); a zero step selects nothing.
  if (step_size > 0) {
    int64_t start = given[0] ? bounds[0] : 0;
    int64_t stop = given[1] ? bounds[1] : size;
    start = start < 0 ? std::max<int64_t>(size + start, 0) : std::min(start, size);
    stop = stop < 0 ? std::max<int64_t>(size + stop, 0) : std::min(stop, size);
    for (int64_t at = start; at < stop; at += step_size) take(at);
  } else if (step_size < 0) {
    int64_t start = given[0] ? bounds[0] : size - 1;
    int64_t stop = given[1] ? bounds[1] : -1;
    start = start < 0 ? std::max<int64_t>(size + start, -1) : std::min(start, size - 1);
    if (given[1]) stop = stop < 0 ? std::max<int64_t>(size + stop, -1) : std::min(stop, size - 1);
    for (int64_t at = start; at > stop; at += step_size) take(at);
  }
  if (object.is_list()) return Value::list(std::move(items));
  return Value(std::move(text));
}

Result<Value> Interpreter::call(const Node& node, const Value& callee, Args args, const Value* caller) {
  if (!callee.is_callable()) {
    return fail(node.offset, std::string("cannot call ") + callee.kind_name() +
                                 (callee.is_undefined() ? " (no function or macro by that name)" : ""));
  }
  const Callable& callable = *callee.as_callable();
  switch (callable.kind) {
    case Callable::Kind::kMacro:
    case Callable::Kind::kCaller:
      return call_macro(node, callable, std::move(args), caller);
    case Callable::Kind::kMethod:
      return call_method(node, callable, args);
    case Callable::Kind::kBuiltin:
      return call_builtin(node, callable.name, args);
  }
  return fail(node.offset, "unknown callable");
}

Status Interpreter::bind_parameters(const Node& at, const std::vector<const Node*>& params, Args args, Scope* scope) {
  std::vector<const Node*> pending_defaults;
  for (size_t idx = 0; idx < params.size(); ++idx) {
    const Node& param = *params[idx];
    Value value;
    bool bound = false;
    if (idx < args.positional.size()) {
      value = args.positional[idx];
      bound = true;
    } else {
      for (auto it = args.keywords.begin(); it != args.keywords.end(); ++it) {
        if (it->first == param.name) {
          value = std::move(it->second);
          args.keywords.erase(it);
          bound = true;
          break;
        }
      }
    }
    if (!bound && param.kind == NodeKind::kKeyword) pending_defaults.push_back(&param);
    scope->vars[param.name] = std::move(value);
  }
  List varargs;
  for (size_t idx = params.size(); idx < args.positional.size(); ++idx) varargs.push_back(args.positional[idx]);
  scope->vars["varargs"] = Value::list(std::move(varargs));
  auto kwargs = std::make_shared<Dict>();
  for (auto& [key, value] : args.keywords) kwargs->set(key, std::move(value));
  scope->vars["kwargs"] = Value(std::move(kwargs));
  for (const Node* param : pending_defaults) {
    HEARTH_ASSIGN_OR_RETURN(scope->vars[param->name], eval(*param->children[0], scope));
  }
  (void)at;
  return ok_status();
}

Result<Value> Interpreter::call_macro(const Node& at, const Callable& macro, Args args, const Value* caller) {
  Scope* scope = new_scope(macro.closure);
  std::vector<const Node*> params;
  const size_t first_param = macro.kind == Callable::Kind::kCaller ? 1 : 0;
  for (size_t idx = first_param; idx < macro.node->children.size(); ++idx) {
    params.push_back(macro.node->children[idx].get());
  }
  HEARTH_RETURN_IF_ERROR(bind_parameters(at, params, std::move(args), scope));
  if (caller != nullptr) scope->vars["caller"] = *caller;
  std::string out;
  HEARTH_RETURN_IF_ERROR(exec_block(macro.node->body, scope, out));
  flow_ = Flow::kNormal;  // a break inside a macro body ends the macro, not the caller's loop
  return Value(std::move(out));
}

}  // namespace hearth::text::jinja
