// Template: parse once, render many times; see template.h.
#include "text/jinja/template.h"

#include "text/jinja/interpreter.h"
#include "text/jinja/lexer.h"
#include "text/jinja/parser.h"

namespace hearth::text::jinja {

Result<Template> Template::parse(std::string_view source, const Limits& limits) {
  if (source.size() > limits.max_source_bytes || source.size() > UINT32_MAX) {
    return out_of_range_error("template of " + std::to_string(source.size()) + " bytes exceeds the limit of " +
                              std::to_string(limits.max_source_bytes));
  }
  Template parsed;
  parsed.source_ = std::string(source);
  parsed.limits_ = limits;
  HEARTH_ASSIGN_OR_RETURN(std::vector<Token> tokens, tokenize(parsed.source_));
  HEARTH_ASSIGN_OR_RETURN(parsed.nodes_, parse_tokens(parsed.source_, tokens, limits.max_parse_depth));
  return parsed;
}

Result<std::string> Template::render(const Dict& context, const std::function<int64_t()>& now_ms) const {
  Interpreter interpreter(source_, limits_, now_ms);
  return interpreter.run(nodes_, context);
}

}  // namespace hearth::text::jinja
