// Lexer: template source -> tokens, with the whitespace rules chat templates
// are written for (transformers renders with trim_blocks and lstrip_blocks on;
// @huggingface/jinja applies the same rules):
//   - one trailing newline of the source is dropped;
//   - lstrip_blocks: spaces and tabs from the start of a line up to a {% or {#
//     are dropped;
//   - trim_blocks: the first newline after a %} or #} is dropped;
//   - {%- {{- {#- drop the whitespace before the tag, -%} -}} -#} the
//     whitespace after it.
// Comments produce no token. Every token carries its byte offset in the source.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace hearth::text::jinja {

enum class TokenKind {
  kText,       // literal text between tags
  kOpenStmt,   // {%
  kCloseStmt,  // %}
  kOpenExpr,   // {{
  kCloseExpr,  // }}
  kName,       // identifier (keywords included)
  kString,     // string literal, escapes resolved
  kInt,        // integer literal
  kFloat,      // float literal (digits.digits)
  kOperator,   // punctuation and operators: ( ) [ ] { } , . : | + - ~ * / // % ** == != < <= > >= =
  kEnd,        // end of the source
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;  // text, name, string value or operator
  int64_t int_value = 0;
  double float_value = 0;
  uint32_t offset = 0;  // byte offset in the source
};

// "line L, column C" (1-based, columns in code points) of a byte offset.
std::string describe_position(std::string_view source, uint32_t offset);

// kInvalidArgument naming the position for an unterminated string, comment or
// tag, a bad escape, or a character that starts no token. The caller bounds
// the source size (offsets are 32-bit).
Result<std::vector<Token>> tokenize(std::string_view source);

}  // namespace hearth::text::jinja
