// Recursive-descent template parser; see parser.h.
#include "text/jinja/parser.h"

#include <algorithm>
#include <initializer_list>

namespace hearth::text::jinja {
namespace {

class Parser {
 public:
  Parser(std::string_view source, const std::vector<Token>& tokens, int max_depth)
      : source_(source), tokens_(tokens), max_depth_(max_depth) {}

  Result<std::vector<NodePtr>> parse_template() {
    std::vector<NodePtr> nodes;
    std::string end_name;
    HEARTH_RETURN_IF_ERROR(parse_block(nodes, {}, &end_name));
    return nodes;
  }

 private:
  // Counts one level of nesting for its lifetime.
  class DepthGuard {
   public:
    explicit DepthGuard(Parser& parser) : parser_(parser) { ++parser_.depth_; }
    ~DepthGuard() { --parser_.depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;

   private:
    Parser& parser_;
  };

  Status check_depth() const {
    if (depth_ <= max_depth_) return ok_status();
    return out_of_range_error("template nests deeper than " + std::to_string(max_depth_) + " levels at " +
                              describe_position(source_, peek().offset));
  }

  const Token& peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];  // the last token is kEnd
  }
  const Token& next() {
    const Token& token = peek();
    if (pos_ < tokens_.size() - 1) ++pos_;
    return token;
  }
  bool at_operator(std::string_view op, size_t ahead = 0) const {
    return peek(ahead).kind == TokenKind::kOperator && peek(ahead).text == op;
  }
  bool at_name(std::string_view name, size_t ahead = 0) const {
    return peek(ahead).kind == TokenKind::kName && peek(ahead).text == name;
  }

  Status error_at(const Token& token, const std::string& message) const {
    return invalid_argument_error("template syntax error at " + describe_position(source_, token.offset) + ": " +
                                  message);
  }
  static std::string describe(const Token& token) {
    switch (token.kind) {
      case TokenKind::kText:
        return "text";
      case TokenKind::kOpenStmt:
        return "'{%'";
      case TokenKind::kCloseStmt:
        return "'%}'";
      case TokenKind::kOpenExpr:
        return "'{{'";
      case TokenKind::kCloseExpr:
        return "'}}'";
      case TokenKind::kName:
        return "'" + token.text + "'";
      case TokenKind::kString:
        return "a string";
      case TokenKind::kInt:
      case TokenKind::kFloat:
        return "a number";
      case TokenKind::kOperator:
        return "'" + token.text + "'";
      case TokenKind::kEnd:
        return "the end of the template";
    }
    return "?";
  }
  Status expect_operator(std::string_view op) {
    if (!at_operator(op)) return error_at(peek(), "expected '" + std::string(op) + "', got " + describe(peek()));
    next();
    return ok_status();
  }
  Status expect_kind(TokenKind kind, std::string_view what) {
    if (peek().kind != kind) return error_at(peek(), "expected " + std::string(what) + ", got " + describe(peek()));
    next();
    return ok_status();
  }
  Result<std::string> expect_name(std::string_view what) {
    if (peek().kind != TokenKind::kName) {
      return error_at(peek(), "expected " + std::string(what) + ", got " + describe(peek()));
    }
    return next().text;
  }

  static NodePtr make(NodeKind kind, uint32_t offset) {
    auto node = std::make_unique<Node>();
    node->kind = kind;
    node->offset = offset;
    return node;
  }

  // ---- statements ----

  // Parses nodes until `{% <one of end_names>` (left unconsumed past the name,
  // whose text goes to *end_name) or, with no end names, the end of input.
  Status parse_block(std::vector<NodePtr>& out, std::initializer_list<std::string_view> end_names,
                     std::string* end_name) {
    DepthGuard guard(*this);
    HEARTH_RETURN_IF_ERROR(check_depth());
    const Token& opener = peek();
    while (true) {
      const Token& token = peek();
      switch (token.kind) {
        case TokenKind::kEnd:
          if (end_names.size() == 0) return ok_status();
          return error_at(opener,
                          "missing {% " + std::string(*end_names.begin()) + " %} before the end of the template");
        case TokenKind::kText: {
          NodePtr text = make(NodeKind::kText, token.offset);
          text->name = next().text;
          out.push_back(std::move(text));
          break;
        }
        case TokenKind::kOpenExpr: {
          NodePtr output = make(NodeKind::kOutput, next().offset);
          HEARTH_ASSIGN_OR_RETURN(NodePtr expr, parse_expression());
          output->children.push_back(std::move(expr));
          HEARTH_RETURN_IF_ERROR(expect_kind(TokenKind::kCloseExpr, "'}}'"));
          out.push_back(std::move(output));
          break;
        }
        case TokenKind::kOpenStmt: {
          const Token& keyword = peek(1);
          if (keyword.kind == TokenKind::kName &&
              std::find(end_names.begin(), end_names.end(), keyword.text) != end_names.end()) {
            next();
            *end_name = next().text;
            return ok_status();
          }
          HEARTH_RETURN_IF_ERROR(parse_statement(out));
          break;
        }
        default:
          return error_at(token, "unexpected " + describe(token));
      }
    }
  }

  Status parse_statement(std::vector<NodePtr>& out) {
    const Token& open = next();  // {%
    const Token& keyword = peek();
    if (keyword.kind != TokenKind::kName) return error_at(keyword, "expected a statement, got " + describe(keyword));
    const std::string name = next().text;
    if (name == "if") {
      HEARTH_ASSIGN_OR_RETURN(NodePtr node, parse_if(open.offset));
      out.push_back(std::move(node));
      return ok_status();
    }
    if (name == "for") return push(out, parse_for(open.offset));
    if (name == "set") return push(out, parse_set(open.offset));
    if (name == "macro") return push(out, parse_macro(open.offset));
    if (name == "call") return push(out, parse_call_block(open.offset));
    if (name == "filter") return push(out, parse_filter_block(open.offset));
    if (name == "break" || name == "continue") {
      HEARTH_RETURN_IF_ERROR(expect_kind(TokenKind::kCloseStmt, "'%}'"));
      out.push_back(make(name == "break" ? NodeKind::kBreak : NodeKind::kContinue, open.offset));
      return ok_status();
    }
    if (name == "generation" || name == "endgeneration") {
      // transformers' assistant-mask markers: no output.
      return expect_kind(TokenKind::kCloseStmt, "'%}'");
    }
    return error_at(keyword, "unknown statement '" + name + "'");
  }

  static Status push(std::vector<NodePtr>& out, Result<NodePtr> node) {
    if (!node.ok()) return node.status();
    out.push_back(std::move(node).value());
    return ok_status();
  }

  Status expect_end_tag() { return expect_kind(TokenKind::kCloseStmt, "'%}'"); }

  // After `if`: condition %} body ({% elif ... | {% else %} ...) {% endif %}.
  Result<NodePtr> parse_if(uint32_t offset) {
    NodePtr node = make(NodeKind::kIf, offset);
    HEARTH_ASSIGN_OR_RETURN(NodePtr condition, parse_expression());
    node->children.push_back(std::move(condition));
    HEARTH_RETURN_IF_ERROR(expect_end_tag());
    std::string end_name;
    HEARTH_RETURN_IF_ERROR(parse_block(node->body, {"elif", "else", "endif"}, &end_name));
    if (end_name == "elif") {
      HEARTH_ASSIGN_OR_RETURN(NodePtr elif, parse_if(peek().offset));
      node->else_body.push_back(std::move(elif));
      return node;  // the nested if consumed the endif
    }
    if (end_name == "else") {
      HEARTH_RETURN_IF_ERROR(expect_end_tag());
      HEARTH_RETURN_IF_ERROR(parse_block(node->else_body, {"endif"}, &end_name));
    }
    HEARTH_RETURN_IF_ERROR(expect_end_tag());
    return node;
  }

  Result<NodePtr> parse_for(uint32_t offset) {
    NodePtr node = make(NodeKind::kFor, offset);
    while (true) {
      HEARTH_ASSIGN_OR_RETURN(std::string target, expect_name("a loop variable"));
      node->targets.push_back(std::move(target));
      if (!at_operator(",")) break;
      next();
    }
    if (!at_name("in")) return error_at(peek(), "expected 'in' after the loop variable, got " + describe(peek()));
    next();
    // The iterable stops before a filtering `if` (no ternary here).
    HEARTH_ASSIGN_OR_RETURN(NodePtr iterable, parse_or());
    node->children.push_back(std::move(iterable));
    if (at_name("if")) {
      next();
      HEARTH_ASSIGN_OR_RETURN(NodePtr condition, parse_expression());
      node->children.push_back(std::move(condition));
    } else {
      node->children.push_back(nullptr);
    }
    HEARTH_RETURN_IF_ERROR(expect_end_tag());
    std::string end_name;
    HEARTH_RETURN_IF_ERROR(parse_block(node->body, {"else", "endfor"}, &end_name));
    if (end_name == "else") {
      HEARTH_RETURN_IF_ERROR(expect_end_tag());
      HEARTH_RETURN_IF_ERROR(parse_block(node->else_body, {"endfor"}, &end_name));
    }
    HEARTH_RETURN_IF_ERROR(expect_end_tag());
    return node;
  }

  Result<NodePtr> parse_set(uint32_t offset) {
    NodePtr node = make(NodeKind::kSet, offset);
    const Token& first = peek();
    HEARTH_ASSIGN_OR_RETURN(std::string name, expect_name("a variable name after 'set'"));
    NodePtr target;
    if (at_operator(".")) {
      next();
      HEARTH_ASSIGN_OR_RETURN(std::string attribute, expect_name("an attribute name"));
      NodePtr object = make(NodeKind::kName, first.offset);
      object->name = name;
      target = make(NodeKind::kAttr, first.offset);
      target->name = attribute;
      target->children.push_back(std::move(object));
    } else if (at_operator(",")) {
      target = make(NodeKind::kTuple, first.offset);
      NodePtr item = make(NodeKind::kName, first.offset);
      item->name = name;
      target->children.push_back(std::move(item));
      while (at_operator(",")) {
        next();
        const uint32_t item_offset = peek().offset;
        HEARTH_ASSIGN_OR_RETURN(std::string more, expect_name("a variable name"));
        NodePtr more_item = make(NodeKind::kName, item_offset);
        more_item->name = more;
        target->children.push_back(std::move(more_item));
      }
    } else {
      target = make(NodeKind::kName, first.offset);
      target->name = name;
    }
    node->children.push_back(std::move(target));
    if (at_operator("=")) {
      next();
      HEARTH_ASSIGN_OR_RETURN(NodePtr value, parse_expression_sequence());
      node->children.push_back(std::move(value));
      HEARTH_RETURN_IF_ERROR(expect_end_tag());
      return node;
    }
    if (node->children[0]->kind != NodeKind::kName) {
      return error_at(peek(), "a block set assigns one name");
    }
    node->children.push_back(nullptr);
    HEARTH_RETURN_IF_ERROR(expect_end_tag());
    std::string end_name;
    HEARTH_RETURN_IF_ERROR(parse_block(node->body, {"endset"}, &end_name));
    HEARTH_RETURN_IF_ERROR(expect_end_tag());
    return node;
  }

  // ( name [= default], ... )
  Status parse_parameters(std::vector<NodePtr>& out) {
    HEARTH_RETURN_IF_ERROR(expect_operator("("));
    bool saw_default = false;
    while (!at_operator(")")) {
      const Token& token = peek();
      HEARTH_ASSIGN_OR_RETURN(std::string name, expect_name("a parameter name"));
      for (const NodePtr& existing : out) {
        if (existing->name == name) return error_at(token, "duplicate parameter '" + name + "'");
      }
      if (at_operator("=")) {
        next();
        NodePtr param = make(NodeKind::kKeyword, token.offset);
        param->name = name;
        HEARTH_ASSIGN_OR_RETURN(NodePtr value, parse_expression());
        param->children.push_back(std::move(value));
        out.push_back(std::move(param));
        saw_default = true;
      } else {
        if (saw_default) return error_at(token, "a parameter without a default follows one with a default");
        NodePtr param = make(NodeKind::kName, token.offset);
        param->name = name;
        out.push_back(std::move(param));
      }
      if (!at_operator(",")) break;
      next();
    }
    return expect_operator(")");
  }

  Result<NodePtr> parse_macro(uint32_t offset) {
    NodePtr node = make(NodeKind::kMacro, offset);
    HEARTH_ASSIGN_OR_RETURN(node->name, expect_name("a macro name"));
    HEARTH_RETURN_IF_ERROR(parse_parameters(node->children));
    HEARTH_RETURN_IF_ERROR(expect_end_tag());
    std::string end_name;
    HEARTH_RETURN_IF_ERROR(parse_block(node->body, {"endmacro"}, &end_name));
    if (peek().kind == TokenKind::kName) next();  // {% endmacro name %}
    HEARTH_RETURN_IF_ERROR(expect_end_tag());
    return node;
  }

  Result<NodePtr> parse_call_block(uint32_t offset) {
    NodePtr node = make(NodeKind::kCallBlock, offset);
    std::vector<NodePtr> caller_params;
    if (at_operator("(")) HEARTH_RETURN_IF_ERROR(parse_parameters(caller_params));
    const Token& callee_token = peek();
    HEARTH_ASSIGN_OR_RETURN(NodePtr call, parse_postfix());
    if (call->kind != NodeKind::kCall) return error_at(callee_token, "expected a macro call after 'call'");
    node->children.push_back(std::move(call));
    for (NodePtr& param : caller_params) node->children.push_back(std::move(param));
    HEARTH_RETURN_IF_ERROR(expect_end_tag());
    std::string end_name;
    HEARTH_RETURN_IF_ERROR(parse_block(node->body, {"endcall"}, &end_name));
    HEARTH_RETURN_IF_ERROR(expect_end_tag());
    return node;
  }

  Result<NodePtr> parse_filter_block(uint32_t offset) {
    NodePtr node = make(NodeKind::kFilterBlock, offset);
    NodePtr chain;
    while (true) {
      HEARTH_ASSIGN_OR_RETURN(NodePtr filter, parse_filter_call(std::move(chain)));
      chain = std::move(filter);
      if (!at_operator("|")) break;
      next();
    }
    node->children.push_back(std::move(chain));
    HEARTH_RETURN_IF_ERROR(expect_end_tag());
    std::string end_name;
    HEARTH_RETURN_IF_ERROR(parse_block(node->body, {"endfilter"}, &end_name));
    HEARTH_RETURN_IF_ERROR(expect_end_tag());
    return node;
  }

  // ---- expressions ----

  Result<NodePtr> parse_expression() {
    DepthGuard guard(*this);
    HEARTH_RETURN_IF_ERROR(check_depth());
    return parse_ternary();
  }

  // a, b, c (a tuple) or a single expression.
  Result<NodePtr> parse_expression_sequence() {
    const uint32_t offset = peek().offset;
    HEARTH_ASSIGN_OR_RETURN(NodePtr first, parse_expression());
    if (!at_operator(",")) return first;
    NodePtr tuple = make(NodeKind::kTuple, offset);
    tuple->children.push_back(std::move(first));
    while (at_operator(",")) {
      next();
      if (at_operator(")") || peek().kind == TokenKind::kCloseStmt) break;
      HEARTH_ASSIGN_OR_RETURN(NodePtr item, parse_expression());
      tuple->children.push_back(std::move(item));
    }
    return tuple;
  }

  Result<NodePtr> parse_ternary() {
    HEARTH_ASSIGN_OR_RETURN(NodePtr value, parse_or());
    if (!at_name("if")) return value;
    NodePtr node = make(NodeKind::kTernary, next().offset);
    HEARTH_ASSIGN_OR_RETURN(NodePtr condition, parse_or());
    node->children.push_back(std::move(value));
    node->children.push_back(std::move(condition));
    if (at_name("else")) {
      next();
      HEARTH_ASSIGN_OR_RETURN(NodePtr otherwise, parse_expression());
      node->children.push_back(std::move(otherwise));
    } else {
      node->children.push_back(nullptr);
    }
    return node;
  }

  NodePtr binary(std::string op, uint32_t offset, NodePtr left, NodePtr right) {
    NodePtr node = make(NodeKind::kBinary, offset);
    node->name = std::move(op);
    node->children.push_back(std::move(left));
    node->children.push_back(std::move(right));
    return node;
  }

  Result<NodePtr> parse_or() {
    HEARTH_ASSIGN_OR_RETURN(NodePtr left, parse_and());
    while (at_name("or")) {
      const uint32_t offset = next().offset;
      HEARTH_ASSIGN_OR_RETURN(NodePtr right, parse_and());
      left = binary("or", offset, std::move(left), std::move(right));
    }
    return left;
  }

  Result<NodePtr> parse_and() {
    HEARTH_ASSIGN_OR_RETURN(NodePtr left, parse_not());
    while (at_name("and")) {
      const uint32_t offset = next().offset;
      HEARTH_ASSIGN_OR_RETURN(NodePtr right, parse_not());
      left = binary("and", offset, std::move(left), std::move(right));
    }
    return left;
  }

  Result<NodePtr> parse_not() {
    if (!at_name("not")) return parse_comparison();
    DepthGuard guard(*this);
    HEARTH_RETURN_IF_ERROR(check_depth());
    NodePtr node = make(NodeKind::kUnary, next().offset);
    node->name = "not";
    HEARTH_ASSIGN_OR_RETURN(NodePtr operand, parse_not());
    node->children.push_back(std::move(operand));
    return node;
  }

  Result<NodePtr> parse_comparison() {
    HEARTH_ASSIGN_OR_RETURN(NodePtr left, parse_additive());
    while (true) {
      std::string op;
      const uint32_t offset = peek().offset;
      if (at_name("not") && at_name("in", 1)) {
        next();
        next();
        op = "not in";
      } else if (at_name("in")) {
        next();
        op = "in";
      } else if (peek().kind == TokenKind::kOperator &&
                 (peek().text == "==" || peek().text == "!=" || peek().text == "<" || peek().text == "<=" ||
                  peek().text == ">" || peek().text == ">=")) {
        op = next().text;
      } else {
        return left;
      }
      HEARTH_ASSIGN_OR_RETURN(NodePtr right, parse_additive());
      left = binary(op, offset, std::move(left), std::move(right));
    }
  }

  Result<NodePtr> parse_additive() {
    HEARTH_ASSIGN_OR_RETURN(NodePtr left, parse_multiplicative());
    while (at_operator("+") || at_operator("-") || at_operator("~")) {
      const Token& op = next();
      HEARTH_ASSIGN_OR_RETURN(NodePtr right, parse_multiplicative());
      left = binary(op.text, op.offset, std::move(left), std::move(right));
    }
    return left;
  }

  Result<NodePtr> parse_multiplicative() {
    HEARTH_ASSIGN_OR_RETURN(NodePtr left, parse_power());
    while (at_operator("*") || at_operator("/") || at_operator("//") || at_operator("%")) {
      const Token& op = next();
      HEARTH_ASSIGN_OR_RETURN(NodePtr right, parse_power());
      left = binary(op.text, op.offset, std::move(left), std::move(right));
    }
    return left;
  }

  Result<NodePtr> parse_power() {
    HEARTH_ASSIGN_OR_RETURN(NodePtr left, parse_test());
    while (at_operator("**")) {
      const Token& op = next();
      HEARTH_ASSIGN_OR_RETURN(NodePtr right, parse_test());
      left = binary(op.text, op.offset, std::move(left), std::move(right));
    }
    return left;
  }

  // Arguments after a filter or test name, or of a call: ( expr, name=expr, ... ).
  Status parse_arguments(std::vector<NodePtr>& out) {
    HEARTH_RETURN_IF_ERROR(expect_operator("("));
    bool saw_keyword = false;
    while (!at_operator(")")) {
      const Token& token = peek();
      if (token.kind == TokenKind::kName && at_operator("=", 1)) {
        next();
        next();
        NodePtr keyword = make(NodeKind::kKeyword, token.offset);
        keyword->name = token.text;
        HEARTH_ASSIGN_OR_RETURN(NodePtr value, parse_expression());
        keyword->children.push_back(std::move(value));
        out.push_back(std::move(keyword));
        saw_keyword = true;
      } else {
        if (saw_keyword) return error_at(token, "a positional argument follows a keyword argument");
        HEARTH_ASSIGN_OR_RETURN(NodePtr value, parse_expression());
        out.push_back(std::move(value));
      }
      if (!at_operator(",")) break;
      next();
    }
    return expect_operator(")");
  }

  Result<NodePtr> parse_test() {
    HEARTH_ASSIGN_OR_RETURN(NodePtr operand, parse_filter());
    while (at_name("is")) {
      NodePtr node = make(NodeKind::kTest, next().offset);
      if (at_name("not")) {
        next();
        node->negate = true;
      }
      HEARTH_ASSIGN_OR_RETURN(node->name, expect_name("a test name after 'is'"));
      node->children.push_back(std::move(operand));
      if (at_operator("(")) HEARTH_RETURN_IF_ERROR(parse_arguments(node->children));
      operand = std::move(node);
    }
    return operand;
  }

  // name [( args )] applied to `operand`.
  Result<NodePtr> parse_filter_call(NodePtr operand) {
    const Token& token = peek();
    NodePtr node = make(NodeKind::kFilter, token.offset);
    HEARTH_ASSIGN_OR_RETURN(node->name, expect_name("a filter name"));
    node->children.push_back(std::move(operand));
    if (at_operator("(")) HEARTH_RETURN_IF_ERROR(parse_arguments(node->children));
    return node;
  }

  Result<NodePtr> parse_filter() {
    HEARTH_ASSIGN_OR_RETURN(NodePtr operand, parse_unary());
    while (at_operator("|")) {
      next();
      HEARTH_ASSIGN_OR_RETURN(operand, parse_filter_call(std::move(operand)));
    }
    return operand;
  }

  Result<NodePtr> parse_unary() {
    if (!at_operator("-") && !at_operator("+")) return parse_postfix();
    DepthGuard guard(*this);
    HEARTH_RETURN_IF_ERROR(check_depth());
    const Token& op = next();
    NodePtr node = make(NodeKind::kUnary, op.offset);
    node->name = op.text;
    HEARTH_ASSIGN_OR_RETURN(NodePtr operand, parse_unary());
    node->children.push_back(std::move(operand));
    return node;
  }

  Result<NodePtr> parse_postfix() {
    HEARTH_ASSIGN_OR_RETURN(NodePtr node, parse_primary());
    while (true) {
      if (at_operator(".")) {
        const uint32_t offset = next().offset;
        if (peek().kind == TokenKind::kInt) {
          NodePtr index = make(NodeKind::kIndex, offset);
          NodePtr literal = make(NodeKind::kLiteral, peek().offset);
          literal->literal = Value(next().int_value);
          index->children.push_back(std::move(node));
          index->children.push_back(std::move(literal));
          node = std::move(index);
          continue;
        }
        NodePtr attr = make(NodeKind::kAttr, offset);
        HEARTH_ASSIGN_OR_RETURN(attr->name, expect_name("an attribute name after '.'"));
        attr->children.push_back(std::move(node));
        node = std::move(attr);
      } else if (at_operator("[")) {
        HEARTH_ASSIGN_OR_RETURN(node, parse_subscript(std::move(node)));
      } else if (at_operator("(")) {
        NodePtr call = make(NodeKind::kCall, node->offset);
        call->children.push_back(std::move(node));
        HEARTH_RETURN_IF_ERROR(parse_arguments(call->children));
        node = std::move(call);
      } else {
        return node;
      }
    }
  }

  // [index] or [start:stop:step] applied to `object`.
  Result<NodePtr> parse_subscript(NodePtr object) {
    const Token& open = next();  // [
    std::vector<NodePtr> parts(1);
    bool is_slice = false;
    while (!at_operator("]")) {
      if (at_operator(":")) {
        next();
        is_slice = true;
        if (parts.size() == 3) return error_at(open, "a slice takes at most three parts");
        parts.emplace_back();
        continue;
      }
      if (parts.back() != nullptr) return error_at(peek(), "expected ']' or ':', got " + describe(peek()));
      HEARTH_ASSIGN_OR_RETURN(parts.back(), parse_expression());
    }
    next();  // ]
    if (!is_slice) {
      if (parts[0] == nullptr) return error_at(open, "empty subscript '[]'");
      NodePtr index = make(NodeKind::kIndex, open.offset);
      index->children.push_back(std::move(object));
      index->children.push_back(std::move(parts[0]));
      return index;
    }
    NodePtr slice = make(NodeKind::kSlice, open.offset);
    slice->children.push_back(std::move(object));
    parts.resize(3);
    for (NodePtr& part : parts) slice->children.push_back(std::move(part));
    return slice;
  }

  Result<NodePtr> parse_primary() {
    const Token& token = peek();
    switch (token.kind) {
      case TokenKind::kInt:
      case TokenKind::kFloat: {
        NodePtr node = make(NodeKind::kLiteral, token.offset);
        node->literal = token.kind == TokenKind::kInt ? Value(token.int_value) : Value(token.float_value);
        next();
        return node;
      }
      case TokenKind::kString: {
        NodePtr node = make(NodeKind::kLiteral, token.offset);
        std::string text = next().text;
        while (peek().kind == TokenKind::kString) text += next().text;  // 'a' 'b' is 'ab'
        node->literal = Value(std::move(text));
        return node;
      }
      case TokenKind::kName: {
        NodePtr node = make(NodeKind::kLiteral, token.offset);
        const std::string& name = token.text;
        if (name == "true" || name == "True") {
          node->literal = Value(true);
        } else if (name == "false" || name == "False") {
          node->literal = Value(false);
        } else if (name == "none" || name == "None") {
          node->literal = Value::none();
        } else {
          node->kind = NodeKind::kName;
          node->name = name;
        }
        next();
        return node;
      }
      case TokenKind::kOperator:
        if (token.text == "(") {
          next();
          if (at_operator(")")) {
            next();
            return make(NodeKind::kTuple, token.offset);
          }
          HEARTH_ASSIGN_OR_RETURN(NodePtr inner, parse_expression_sequence());
          HEARTH_RETURN_IF_ERROR(expect_operator(")"));
          return inner;
        }
        if (token.text == "[") {
          next();
          NodePtr list = make(NodeKind::kList, token.offset);
          while (!at_operator("]")) {
            HEARTH_ASSIGN_OR_RETURN(NodePtr item, parse_expression());
            list->children.push_back(std::move(item));
            if (!at_operator(",")) break;
            next();
          }
          HEARTH_RETURN_IF_ERROR(expect_operator("]"));
          return list;
        }
        if (token.text == "{") {
          next();
          NodePtr dict = make(NodeKind::kDict, token.offset);
          while (!at_operator("}")) {
            HEARTH_ASSIGN_OR_RETURN(NodePtr key, parse_expression());
            HEARTH_RETURN_IF_ERROR(expect_operator(":"));
            HEARTH_ASSIGN_OR_RETURN(NodePtr value, parse_expression());
            dict->children.push_back(std::move(key));
            dict->children.push_back(std::move(value));
            if (!at_operator(",")) break;
            next();
          }
          HEARTH_RETURN_IF_ERROR(expect_operator("}"));
          return dict;
        }
        break;
      default:
        break;
    }
    return error_at(token, "expected an expression, got " + describe(token));
  }

  std::string_view source_;
  const std::vector<Token>& tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  int max_depth_;
};

}  // namespace

Result<std::vector<NodePtr>> parse_tokens(std::string_view source, const std::vector<Token>& tokens, int max_depth) {
  if (tokens.empty() || tokens.back().kind != TokenKind::kEnd) return internal_error("token list without an end");
  return Parser(source, tokens, max_depth).parse_template();
}

}  // namespace hearth::text::jinja
