// Template: a sandboxed Jinja interpreter for the subset chat templates use.
//
//   HEARTH_ASSIGN_OR_RETURN(jinja::Template tmpl, jinja::Template::parse(source));
//   jinja::Dict context;
//   context.set("messages", messages);
//   context.set("add_generation_prompt", jinja::Value(true));
//   HEARTH_ASSIGN_OR_RETURN(std::string prompt, tmpl.render(context));
//
// Sandbox: a template reads only its context and writes only its output (no
// files, no imports, no attribute access beyond dict keys and the documented
// methods). Every limit below is checked; no input makes it crash, loop
// forever or grow without bound. Errors are Status values whose message names
// the line and column:
//   kInvalidArgument  syntax errors, type errors, raise_exception()
//   kOutOfRange       a limit in Limits was reached
//
// Semantics follow @huggingface/jinja, the renderer the transformers.js
// ecosystem uses and that hearth's fixtures are made with (see README.md for
// the few places hearth follows Python's Jinja instead).
//
// A Template is immutable after parse(); render() is const and may run on any
// number of threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "text/jinja/ast.h"
#include "text/jinja/value.h"

namespace hearth::text::jinja {

struct Limits {
  size_t max_source_bytes = 1 << 20;  // template text
  int max_parse_depth = 64;           // nested blocks and expressions in the source
  int64_t max_steps = 5'000'000;      // evaluation steps; building text costs 1 per 64 bytes
  size_t max_output_bytes = 8 << 20;  // the output, and any one string made on the way
  int max_render_depth = 256;         // nested evaluation (macro recursion included)
  int max_value_depth = 64;           // nesting of a list or dict turned into text
};

class Template {
 public:
  // kInvalidArgument with the position of a syntax error; kOutOfRange for a
  // source over max_source_bytes or nesting over max_parse_depth.
  static Result<Template> parse(std::string_view source, const Limits& limits = {});

  // Renders with `context` as the global variables. `now_ms` (Unix time in
  // milliseconds) feeds strftime_now(), which formats UTC; the wall clock
  // when empty.
  Result<std::string> render(const Dict& context, const std::function<int64_t()>& now_ms = {}) const;

  const Limits& limits() const { return limits_; }

 private:
  Template() = default;

  std::string source_;
  std::vector<NodePtr> nodes_;
  Limits limits_;
};

}  // namespace hearth::text::jinja
