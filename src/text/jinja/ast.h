// The syntax tree of a parsed template. One node type; what its fields mean
// depends on its kind (listed per kind below). Nodes are immutable after
// parsing and owned by their Template.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "text/jinja/value.h"

namespace hearth::text::jinja {

enum class NodeKind {
  // Expressions.
  kLiteral,  // literal
  kName,     // name
  kList,     // children: items
  kTuple,    // children: items
  kDict,     // children: key0, value0, key1, value1, ...
  kUnary,    // name: "-" "+" or "not"; children[0]: operand
  kBinary,   // name: operator ("and", "or", "in", "not in", "+", "==", ...); children: left, right
  kTernary,  // children: value if true, condition, value if false (nullptr: undefined)
  kAttr,     // name: attribute; children[0]: object
  kIndex,    // children: object, index
  kSlice,    // children: object, start, stop, step (each but the object may be nullptr)
  kCall,     // children[0]: callee, then arguments (kKeyword nodes for name=value)
  kKeyword,  // name: keyword; children[0]: value
  kFilter,   // name: filter; children[0]: operand (nullptr in a filter block), then arguments
  kTest,     // name: test; negate; children[0]: operand, then arguments
  // Statements.
  kText,       // name: the text
  kOutput,     // children[0]: expression
  kIf,         // children[0]: condition; body; else_body
  kFor,        // targets: loop variables; children: iterable, condition (nullptr: none); body; else_body
  kSet,        // children[0]: target (kName, kTuple of kName, or kAttr); children[1]: value (nullptr: block set); body
  kMacro,      // name; children: parameters (kName, or kKeyword with the default); body
  kCallBlock,  // children[0]: the kCall; children[1..]: caller parameters; body
  kFilterBlock,  // children[0]: kFilter chain whose innermost operand is nullptr; body
  kBreak,
  kContinue,
};

struct Node;
using NodePtr = std::unique_ptr<Node>;

struct Node {
  NodeKind kind = NodeKind::kLiteral;
  uint32_t offset = 0;  // byte offset in the source, for error messages
  std::string name;
  Value literal;
  bool negate = false;
  std::vector<std::string> targets;
  std::vector<NodePtr> children;
  std::vector<NodePtr> body;
  std::vector<NodePtr> else_body;
};

}  // namespace hearth::text::jinja
