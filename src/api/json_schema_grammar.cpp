#include "api/json_schema_grammar.h"

#include <map>
#include <optional>
#include <set>
#include <vector>

#include "api/json_fields.h"
#include "api/request_parsing.h"

namespace hearth::api {
namespace {

using nlohmann::ordered_json;
using infer::GrammarNode;

const std::set<std::string, std::less<>> kAnnotations = {
    "title", "description", "default", "examples", "$schema", "$id", "$comment", "deprecated", "readOnly",
    "writeOnly", "strict", "$defs", "definitions"};

class SchemaCompiler {
 public:
  SchemaCompiler(infer::JsonGrammar* grammar, const ordered_json& root, std::string param)
      : grammar_(grammar), root_(root), param_(std::move(param)) {}

  ApiResult<int32_t> compile(const ordered_json& schema, const std::string& path, int depth);

 private:
  ApiError unsupported(const std::string& path, const std::string& what) const {
    ApiError error = invalid_field_error(param_, quote(path) + ": " + what + " is not supported in constrained output");
    error.code = std::string(kUnsupportedFeatureCode);
    return error;
  }
  ApiError invalid(const std::string& path, const std::string& what) const {
    return invalid_field_error(param_, quote(path) + ": " + what);
  }
  ApiResult<int32_t> add(GrammarNode node, const std::string& path) {
    if (grammar_->size() >= kMaxSchemaNodes) {
      return invalid(path, "the schema is too large (more than " + std::to_string(kMaxSchemaNodes) + " parts)");
    }
    return grammar_->add(std::move(node));
  }
  ApiResult<int32_t> literal(const ordered_json& value, const std::string& path) {
    return add(GrammarNode::literal_node(value.dump(-1, ' ', false, ordered_json::error_handler_t::replace)), path);
  }
  ApiResult<int32_t> any_value(const std::string& path) {
    if (any_value_ < 0) {
      if (grammar_->size() + 16 >= kMaxSchemaNodes) return invalid(path, "the schema is too large");
      any_value_ = grammar_->add_any_value();
    }
    return any_value_;
  }
  ApiResult<int32_t> ref(const std::string& target, const std::string& path, int depth);
  ApiResult<int32_t> typed(const ordered_json& schema, const std::string& type, const std::string& path, int depth);
  ApiResult<int32_t> object(const ordered_json& schema, const std::string& path, int depth);
  ApiResult<int32_t> array(const ordered_json& schema, const std::string& path, int depth);
  ApiResult<int32_t> string_node(const ordered_json& schema, const std::string& path);
  ApiResult<int32_t> number(const ordered_json& schema, bool integer, const std::string& path);

  infer::JsonGrammar* grammar_;
  const ordered_json& root_;
  std::string param_;
  std::map<std::string, int32_t> refs_;  // $ref target -> node (reserved before it is compiled)
  int32_t any_value_ = -1;
};

// A non-negative integer keyword (minItems, maxLength, ...).
std::optional<int64_t> non_negative(const ordered_json& value) {
  if (value.is_number_unsigned()) return static_cast<int64_t>(std::min<uint64_t>(value.get<uint64_t>(), INT64_MAX));
  if (value.is_number_integer() && value.get<int64_t>() >= 0) return value.get<int64_t>();
  if (value.is_number_float() && value.get<double>() >= 0 && value.get<double>() == static_cast<int64_t>(value.get<double>())) {
    return static_cast<int64_t>(value.get<double>());
  }
  return std::nullopt;
}

ApiResult<int32_t> SchemaCompiler::ref(const std::string& target, const std::string& path, int depth) {
  if (auto found = refs_.find(target); found != refs_.end()) return found->second;
  const ordered_json* schema = nullptr;
  if (target == "#") {
    schema = &root_;
  } else {
    for (const char* prefix : {"#/$defs/", "#/definitions/"}) {
      const std::string_view head(prefix);
      if (target.rfind(head, 0) != 0) continue;
      const std::string name = target.substr(head.size());
      const std::string section = head == "#/$defs/" ? "$defs" : "definitions";
      if (root_.is_object() && root_.contains(section) && root_[section].is_object() &&
          root_[section].contains(name)) {
        schema = &root_[section][name];
      }
    }
  }
  if (schema == nullptr) {
    if (target.rfind("#/$defs/", 0) == 0 || target.rfind("#/definitions/", 0) == 0 || target == "#") {
      return invalid(path, "$ref " + quote(target) + " names no definition");
    }
    return unsupported(path, "$ref " + quote(target) + " (only \"#\", \"#/$defs/...\" and \"#/definitions/...\")");
  }
  if (grammar_->size() >= kMaxSchemaNodes) return invalid(path, "the schema is too large");
  const int32_t node = grammar_->reserve();
  refs_[target] = node;
  ApiResult<int32_t> compiled = compile(*schema, target, depth + 1);
  if (!compiled.ok()) return compiled.error();
  // The reserved node becomes a one-way anyOf to the compiled one: refs may be cyclic.
  grammar_->set(node, GrammarNode::any_of({*compiled}));
  return node;
}

ApiResult<int32_t> SchemaCompiler::compile(const ordered_json& schema, const std::string& path, int depth) {
  if (depth > 64) return invalid(path, "the schema nests too deeply");
  if (schema.is_boolean()) {
    if (!schema.get<bool>()) return unsupported(path, "the schema false (no value fits it)");
    return any_value(path);
  }
  if (!schema.is_object()) return invalid(path, "a schema must be an object or a boolean, got " + json_kind(schema));
  static const std::set<std::string, std::less<>> kKnown = {
      "type", "properties", "required", "additionalProperties", "items", "minItems", "maxItems", "enum", "const",
      "anyOf", "allOf", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
      "$ref", "uniqueItems"};
  for (const auto& [key, value] : schema.items()) {
    if (kKnown.contains(key) || kAnnotations.contains(key)) continue;
    return unsupported(path, "the keyword " + quote(key));
  }
  if (schema.contains("uniqueItems") && schema["uniqueItems"] != false) {
    return unsupported(path, "the keyword 'uniqueItems'");
  }
  if (schema.contains("$ref")) {
    if (!schema["$ref"].is_string()) return invalid(path, "$ref must be a string");
    return ref(schema["$ref"].get<std::string>(), path, depth);
  }
  if (schema.contains("const")) return literal(schema["const"], path);
  if (schema.contains("enum")) {
    const ordered_json& values = schema["enum"];
    if (!values.is_array() || values.empty()) return invalid(path + ".enum", "enum must be a non-empty array");
    std::vector<int32_t> children;
    for (const ordered_json& value : values) {
      ApiResult<int32_t> node = literal(value, path + ".enum");
      if (!node.ok()) return node.error();
      children.push_back(*node);
    }
    return add(GrammarNode::any_of(std::move(children)), path);
  }
  if (schema.contains("anyOf") || schema.contains("allOf")) {
    const bool any = schema.contains("anyOf");
    const char* key = any ? "anyOf" : "allOf";
    const ordered_json& options = schema[key];
    if (!options.is_array() || options.empty()) return invalid(path + "." + key, std::string(key) + " must be a non-empty array");
    if (!any && options.size() != 1) return unsupported(path, "allOf with more than one schema");
    for (const auto& [other, unused] : schema.items()) {
      if (other != key && !kAnnotations.contains(other)) {
        return unsupported(path, std::string(key) + " beside " + quote(other) + " (put it inside each option)");
      }
    }
    std::vector<int32_t> children;
    for (size_t idx = 0; idx < options.size(); ++idx) {
      ApiResult<int32_t> node = compile(options[idx], path + "." + key + "[" + std::to_string(idx) + "]", depth + 1);
      if (!node.ok()) return node.error();
      children.push_back(*node);
    }
    if (children.size() == 1) return children[0];
    return add(GrammarNode::any_of(std::move(children)), path);
  }
  std::vector<std::string> types;
  if (schema.contains("type")) {
    const ordered_json& type = schema["type"];
    if (type.is_string()) {
      types.push_back(type.get<std::string>());
    } else if (type.is_array() && !type.empty()) {
      for (const ordered_json& entry : type) {
        if (!entry.is_string()) return invalid(path + ".type", "type must be a string or an array of strings");
        types.push_back(entry.get<std::string>());
      }
    } else {
      return invalid(path + ".type", "type must be a string or an array of strings");
    }
  } else if (schema.contains("properties") || schema.contains("additionalProperties") || schema.contains("required")) {
    types.push_back("object");
  } else if (schema.contains("items") || schema.contains("minItems") || schema.contains("maxItems")) {
    types.push_back("array");
  } else {
    return any_value(path);
  }
  std::vector<int32_t> children;
  for (const std::string& type : types) {
    ApiResult<int32_t> node = typed(schema, type, path, depth);
    if (!node.ok()) return node.error();
    children.push_back(*node);
  }
  if (children.size() == 1) return children[0];
  return add(GrammarNode::any_of(std::move(children)), path);
}

ApiResult<int32_t> SchemaCompiler::typed(const ordered_json& schema, const std::string& type, const std::string& path,
                                         int depth) {
  if (type == "object") return object(schema, path, depth);
  if (type == "array") return array(schema, path, depth);
  if (type == "string") return string_node(schema, path);
  if (type == "number") return number(schema, false, path);
  if (type == "integer") return number(schema, true, path);
  if (type == "boolean") {
    ApiResult<int32_t> yes = add(GrammarNode::literal_node("true"), path);
    if (!yes.ok()) return yes;
    ApiResult<int32_t> no = add(GrammarNode::literal_node("false"), path);
    if (!no.ok()) return no;
    return add(GrammarNode::any_of({*yes, *no}), path);
  }
  if (type == "null") return add(GrammarNode::literal_node("null"), path);
  return invalid(path + ".type", "unknown type " + quote(type));
}

ApiResult<int32_t> SchemaCompiler::object(const ordered_json& schema, const std::string& path, int depth) {
  std::set<std::string> required;
  if (schema.contains("required")) {
    if (!schema["required"].is_array()) return invalid(path + ".required", "required must be an array of strings");
    for (const ordered_json& name : schema["required"]) {
      if (!name.is_string()) return invalid(path + ".required", "required must be an array of strings");
      required.insert(name.get<std::string>());
    }
  }
  GrammarNode node = GrammarNode::object_node();
  if (schema.contains("properties") && !schema["properties"].empty()) {
    const ordered_json& properties = schema["properties"];
    if (!properties.is_object()) return invalid(path + ".properties", "properties must be an object");
    for (const auto& [name, property] : properties.items()) {
      ApiResult<int32_t> value = compile(property, path + ".properties." + name, depth + 1);
      if (!value.ok()) return value.error();
      node.properties.push_back({ordered_json(name).dump(), *value, required.contains(name)});
      required.erase(name);
    }
    if (!required.empty()) {
      return unsupported(path, "required property " + quote(*required.begin()) + " missing from properties");
    }
  } else {
    if (!required.empty()) {
      return unsupported(path, "required property " + quote(*required.begin()) + " missing from properties");
    }
    const ordered_json* additional = schema.contains("additionalProperties") ? &schema["additionalProperties"] : nullptr;
    if (additional != nullptr && additional->is_boolean() && !additional->get<bool>()) {
      // No property may appear: only {} fits.
      return add(std::move(node), path);
    }
    ApiResult<int32_t> value = additional == nullptr || additional->is_boolean()
                                   ? any_value(path)
                                   : compile(*additional, path + ".additionalProperties", depth + 1);
    if (!value.ok()) return value.error();
    node.additional = *value;
  }
  return add(std::move(node), path);
}

ApiResult<int32_t> SchemaCompiler::array(const ordered_json& schema, const std::string& path, int depth) {
  ApiResult<int32_t> items = schema.contains("items") ? compile(schema["items"], path + ".items", depth + 1)
                                                      : any_value(path);
  if (!items.ok()) return items.error();
  GrammarNode node = GrammarNode::array_node(*items);
  for (const char* key : {"minItems", "maxItems"}) {
    if (!schema.contains(key)) continue;
    std::optional<int64_t> value = non_negative(schema[key]);
    if (!value) return invalid(path + "." + key, std::string(key) + " must be a non-negative integer");
    (std::string_view(key) == "minItems" ? node.min_items : node.max_items) = *value;
  }
  if (node.max_items >= 0 && node.max_items < node.min_items) return invalid(path, "maxItems is below minItems");
  return add(std::move(node), path);
}

ApiResult<int32_t> SchemaCompiler::string_node(const ordered_json& schema, const std::string& path) {
  GrammarNode node = GrammarNode::string_node();
  for (const char* key : {"minLength", "maxLength"}) {
    if (!schema.contains(key)) continue;
    std::optional<int64_t> value = non_negative(schema[key]);
    if (!value) return invalid(path + "." + key, std::string(key) + " must be a non-negative integer");
    (std::string_view(key) == "minLength" ? node.min_length : node.max_length) = *value;
  }
  if (node.max_length >= 0 && node.max_length < node.min_length) return invalid(path, "maxLength is below minLength");
  return add(std::move(node), path);
}

ApiResult<int32_t> SchemaCompiler::number(const ordered_json& schema, bool integer, const std::string& path) {
  GrammarNode node = GrammarNode::number_node(integer);
  const auto read = [&](const char* key, std::optional<double>* out) -> std::optional<ApiError> {
    if (!schema.contains(key)) return std::nullopt;
    if (!schema[key].is_number()) return invalid(path + "." + key, std::string(key) + " must be a number");
    *out = schema[key].get<double>();
    return std::nullopt;
  };
  for (const auto& [key, out] : {std::pair{"minimum", &node.minimum}, std::pair{"maximum", &node.maximum}}) {
    if (auto error = read(key, out)) return *error;
  }
  for (const auto& [key, bound, exclusive] :
       {std::tuple{"exclusiveMinimum", &node.minimum, &node.exclusive_minimum},
        std::tuple{"exclusiveMaximum", &node.maximum, &node.exclusive_maximum}}) {
    if (!schema.contains(key)) continue;
    const ordered_json& value = schema[key];
    if (value.is_boolean()) {  // draft 4: a flag on minimum/maximum
      *exclusive = value.get<bool>();
    } else if (value.is_number()) {
      const double limit = value.get<double>();
      const bool tighter = !bound->has_value() || (std::string_view(key) == "exclusiveMinimum" ? limit >= **bound
                                                                                                : limit <= **bound);
      if (tighter) {
        *bound = limit;
        *exclusive = true;
      }
    } else {
      return invalid(path + "." + key, std::string(key) + " must be a number");
    }
  }
  infer::JsonGrammar probe;
  probe.set_root(probe.add(node));
  if (!probe.validate().ok()) return unsupported(path, "bounds that no " + std::string(integer ? "integer" : "number") + " meets");
  return add(std::move(node), path);
}

}  // namespace

ApiResult<int32_t> add_json_schema(infer::JsonGrammar* grammar, const nlohmann::ordered_json& schema,
                                   const std::string& param) {
  SchemaCompiler compiler(grammar, schema, param);
  return compiler.compile(schema, param, 0);
}

}  // namespace hearth::api
