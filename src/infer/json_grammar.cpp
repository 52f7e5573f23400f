#include "infer/json_grammar.h"

#include <cmath>
#include <string>

namespace hearth::infer {
namespace {

Status node_error(int32_t index, const std::string& what) {
  return invalid_argument_error("grammar node " + std::to_string(index) + ": " + what);
}

}  // namespace

int32_t JsonGrammar::add(GrammarNode node) {
  nodes_.push_back(std::move(node));
  return static_cast<int32_t>(nodes_.size() - 1);
}

int32_t JsonGrammar::add_any_value() {
  const int32_t value = reserve();
  GrammarNode object = GrammarNode::object_node();
  object.additional = value;
  const int32_t object_idx = add(std::move(object));
  const int32_t array_idx = add(GrammarNode::array_node(value));
  const int32_t string_idx = add(GrammarNode::string_node());
  const int32_t number_idx = add(GrammarNode::number_node(false));
  const int32_t true_idx = add(GrammarNode::literal_node("true"));
  const int32_t false_idx = add(GrammarNode::literal_node("false"));
  const int32_t null_idx = add(GrammarNode::literal_node("null"));
  set(value, GrammarNode::any_of({object_idx, array_idx, string_idx, number_idx, true_idx, false_idx, null_idx}));
  return value;
}

int32_t JsonGrammar::add_any_object() {
  const int32_t value = add_any_value();
  GrammarNode object = GrammarNode::object_node();
  object.additional = value;
  return add(std::move(object));
}

Status JsonGrammar::validate() const {
  const auto n_nodes = static_cast<int32_t>(nodes_.size());
  const auto in_range = [n_nodes](int32_t index) { return index >= 0 && index < n_nodes; };
  if (!in_range(root_)) return invalid_argument_error("grammar has no root");
  for (int32_t index = 0; index < n_nodes; ++index) {
    const GrammarNode& node = nodes_[static_cast<size_t>(index)];
    switch (node.kind) {
      case GrammarNode::Kind::kObject:
        if (!node.properties.empty() && node.additional >= 0) {
          return node_error(index, "an object has either properties or free keys");
        }
        if (node.additional >= 0 && !in_range(node.additional)) return node_error(index, "value out of range");
        for (const GrammarNode::Property& property : node.properties) {
          if (!in_range(property.value)) return node_error(index, "property value out of range");
          if (property.key_json.size() < 2 || property.key_json.front() != '"' || property.key_json.back() != '"') {
            return node_error(index, "a key must be a quoted JSON string");
          }
        }
        break;
      case GrammarNode::Kind::kArray:
        if (!in_range(node.items)) return node_error(index, "items out of range");
        if (node.min_items < 0 || (node.max_items >= 0 && node.max_items < node.min_items)) {
          return node_error(index, "item bounds admit no array");
        }
        break;
      case GrammarNode::Kind::kString:
        if (node.min_length < 0 || (node.max_length >= 0 && node.max_length < node.min_length)) {
          return node_error(index, "length bounds admit no string");
        }
        break;
      case GrammarNode::Kind::kNumber: {
        const bool finite = (!node.minimum || std::isfinite(*node.minimum)) &&
                            (!node.maximum || std::isfinite(*node.maximum));
        if (!finite) return node_error(index, "bounds must be finite");
        if (node.minimum && node.maximum) {
          const bool empty = *node.minimum > *node.maximum ||
                             (*node.minimum == *node.maximum && (node.exclusive_minimum || node.exclusive_maximum));
          if (empty) return node_error(index, "bounds admit no number");
          if (node.integer && std::ceil(*node.minimum) > std::floor(*node.maximum)) {
            return node_error(index, "bounds admit no integer");
          }
        }
        break;
      }
      case GrammarNode::Kind::kLiteral:
        if (node.literal.empty()) return node_error(index, "empty literal");
        break;
      case GrammarNode::Kind::kAnyOf:
      case GrammarNode::Kind::kSequence:
        if (node.children.empty()) return node_error(index, "no children");
        for (int32_t child : node.children) {
          if (!in_range(child)) return node_error(index, "child out of range");
        }
        break;
    }
  }
  // Left recursion: follow anyOf children and a sequence's first child; every
  // other kind reads a byte before it can push anything.
  enum class Mark : uint8_t { kNew, kActive, kDone };
  std::vector<Mark> marks(nodes_.size(), Mark::kNew);
  std::vector<std::pair<int32_t, size_t>> path;  // node, next edge
  for (int32_t start = 0; start < n_nodes; ++start) {
    if (marks[static_cast<size_t>(start)] != Mark::kNew) continue;
    path.push_back({start, 0});
    marks[static_cast<size_t>(start)] = Mark::kActive;
    while (!path.empty()) {
      auto& [index, edge] = path.back();
      const GrammarNode& node = nodes_[static_cast<size_t>(index)];
      const size_t n_edges = node.kind == GrammarNode::Kind::kAnyOf    ? node.children.size()
                             : node.kind == GrammarNode::Kind::kSequence ? 1
                                                                         : 0;
      if (edge == n_edges) {
        marks[static_cast<size_t>(index)] = Mark::kDone;
        path.pop_back();
        continue;
      }
      const int32_t next = node.children[edge++];
      if (marks[static_cast<size_t>(next)] == Mark::kActive) {
        return node_error(next, "reaches itself before reading anything (left recursion)");
      }
      if (marks[static_cast<size_t>(next)] == Mark::kNew) {
        marks[static_cast<size_t>(next)] = Mark::kActive;
        path.push_back({next, 0});
      }
    }
  }
  return ok_status();
}

}  // namespace hearth::infer
