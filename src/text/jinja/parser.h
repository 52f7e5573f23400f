// Parser: tokens -> syntax tree. Operator precedence follows
// @huggingface/jinja (and Jinja): ternary < or < and < not < comparison and
// membership < + - ~ < * / // % < ** < is-tests < filters < unary sign <
// attribute, index, slice and call.
//
// Statements: if/elif/else, for (tuple targets, `if` filter, else), set (name,
// tuple, namespace attribute, block set), macro, call (with caller
// parameters), filter blocks, break, continue, and transformers'
// generation/endgeneration markers (ignored).
#pragma once

#include <string_view>
#include <vector>

#include "base/status.h"
#include "text/jinja/ast.h"
#include "text/jinja/lexer.h"

namespace hearth::text::jinja {

// kInvalidArgument with the line and column for any syntax error;
// kOutOfRange when blocks or expressions nest deeper than max_depth.
Result<std::vector<NodePtr>> parse_tokens(std::string_view source, const std::vector<Token>& tokens, int max_depth);

}  // namespace hearth::text::jinja
