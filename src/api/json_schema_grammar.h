// A JSON Schema (response_format json_schema, a tool's parameters) compiled
// into infer::JsonGrammar nodes, the plain description constrained decoding
// runs (JSON stays in api/).
//
//   infer::JsonGrammar grammar;
//   ApiResult<int32_t> root = add_json_schema(&grammar, schema, "response_format.json_schema.schema");
//   grammar.set_root(*root);
//
// Supported: type (one or a list), properties, required, additionalProperties
// (false, true or a schema; with properties, only the named ones are
// written), items, minItems, maxItems, enum, const, anyOf, allOf with one
// schema, minLength, maxLength, minimum, maximum, exclusiveMinimum,
// exclusiveMaximum (numbers, or draft 4's booleans), $ref to "#",
// "#/$defs/..." or "#/definitions/..." (recursion included), and the
// annotations title, description, default, examples, $schema, $id,
// $comment, deprecated, readOnly, writeOnly, strict. `true` and `{}` are any
// value. Any other keyword (pattern, format, oneOf, not, multipleOf,
// prefixItems, uniqueItems: true, ...) is a 400 naming the keyword and where
// it is (code "unsupported_feature", as for other features hearth lacks,
// so that a gateway may send the request to a provider that has it); a
// schema beyond kMaxSchemaNodes grammar nodes is a plain 400.
//
// Properties are written in the schema's order, so the schema must come from
// an insertion-ordered parse (nlohmann::ordered_json).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "api/openai_errors.h"
#include "infer/json_grammar.h"

namespace hearth::api {

inline constexpr size_t kMaxSchemaNodes = 20000;

// Adds the nodes of `schema` to `grammar` and returns its root node. `param`
// names the schema in errors ("response_format.json_schema.schema").
ApiResult<int32_t> add_json_schema(infer::JsonGrammar* grammar, const nlohmann::ordered_json& schema,
                                   const std::string& param);

}  // namespace hearth::api
