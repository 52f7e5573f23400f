// Template lexer; see lexer.h.
#include "text/jinja/lexer.h"

#include "text/jinja/string_ops.h"
#include "text/utf8.h"

namespace hearth::text::jinja {
namespace {

bool is_word_byte(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_';
}
bool is_digit(char ch) { return ch >= '0' && ch <= '9'; }

// Operators, longest first where one is a prefix of another.
constexpr std::string_view kOperators[] = {"**", "//", "==", "!=", "<=", ">=", "(", ")", "[", "]", "{", "}", ",",
                                           ".",  ":",  "|",  "+",  "-",  "~",  "*", "/", "%", "<", ">", "="};

class Lexer {
 public:
  explicit Lexer(std::string_view source) : src_(source) {
    // Like Jinja's default keep_trailing_newline=False.
    if (!src_.empty() && src_.back() == '\n') src_.remove_suffix(1);
  }

  Result<std::vector<Token>> run() {
    while (pos_ < src_.size()) {
      HEARTH_RETURN_IF_ERROR(lex_text());
      if (pos_ >= src_.size()) break;
      HEARTH_RETURN_IF_ERROR(lex_tag());
    }
    Token end;
    end.kind = TokenKind::kEnd;
    end.offset = static_cast<uint32_t>(src_.size());
    tokens_.push_back(std::move(end));
    return std::move(tokens_);
  }

 private:
  Status error(size_t offset, const std::string& message) const {
    return invalid_argument_error("template syntax error at " + describe_position(src_, static_cast<uint32_t>(offset)) +
                                  ": " + message);
  }

  // The text up to the next {% {{ {#, after the whitespace rules.
  Status lex_text() {
    size_t end = pos_;
    while (true) {
      end = src_.find('{', end);
      if (end == std::string_view::npos || end + 1 >= src_.size()) {
        end = src_.size();
        break;
      }
      const char next = src_[end + 1];
      if (next == '%' || next == '{' || next == '#') break;
      ++end;
    }
    std::string_view text = src_.substr(pos_, end - pos_);
    const size_t text_start = pos_;
    pos_ = end;
    const bool tag_follows = end < src_.size();
    const char tag_kind = tag_follows ? src_[end + 1] : 0;
    const bool strip_before_tag = tag_follows && end + 2 < src_.size() && src_[end + 2] == '-';
    // lstrip_blocks: spaces and tabs between a line start and a {% or {#.
    if (tag_kind == '%' || tag_kind == '#') {
      const size_t last_newline = text.rfind('\n');
      const size_t line_start = last_newline == std::string_view::npos ? 0 : last_newline + 1;
      const bool at_line_start =
          last_newline != std::string_view::npos || text_start == 0 || src_[text_start - 1] == '\n';
      if (at_line_start && text.substr(line_start).find_first_not_of(" \t") == std::string_view::npos) {
        text = text.substr(0, line_start);
      }
    }
    // trim_blocks: one newline after %} or #}.
    if (trim_next_newline_ && !text.empty() && text.front() == '\n') text.remove_prefix(1);
    trim_next_newline_ = false;
    if (strip_next_whitespace_) text = trim_space(text, true, false);
    strip_next_whitespace_ = false;
    if (strip_before_tag) text = trim_space(text, false, true);
    if (!text.empty()) {
      Token token;
      token.kind = TokenKind::kText;
      token.text = std::string(text);
      token.offset = static_cast<uint32_t>(text_start);
      tokens_.push_back(std::move(token));
    }
    return ok_status();
  }

  Status lex_tag() {
    const size_t tag_start = pos_;
    const char kind = src_[pos_ + 1];
    pos_ += 2;
    if (pos_ < src_.size() && src_[pos_] == '-') ++pos_;  // already applied to the text before
    if (kind == '#') {
      const size_t close = src_.find("#}", pos_);
      if (close == std::string_view::npos) return error(tag_start, "unterminated comment (no '#}')");
      strip_next_whitespace_ = close > pos_ && src_[close - 1] == '-';
      trim_next_newline_ = true;
      pos_ = close + 2;
      return ok_status();
    }
    const bool is_statement = kind == '%';
    push(is_statement ? TokenKind::kOpenStmt : TokenKind::kOpenExpr, is_statement ? "{%" : "{{", tag_start);
    int brace_depth = 0;
    while (true) {
      while (pos_ < src_.size()) {
        const Utf8Char ch = decode_utf8_char(src_.substr(pos_));
        if (ch.status != Utf8Status::kValid || !is_js_space(ch.code_point)) break;
        pos_ += ch.n_bytes;
      }
      if (pos_ >= src_.size()) {
        return error(tag_start,
                     std::string("unterminated ") + (is_statement ? "'{%' tag (no '%}')" : "'{{' (no '}}')"));
      }
      const std::string_view rest = src_.substr(pos_);
      const std::string_view close = is_statement ? "%}" : "}}";
      const bool dash_close = rest.size() >= 3 && rest[0] == '-' && rest.substr(1, 2) == close;
      if (dash_close || (rest.substr(0, 2) == close && (is_statement || brace_depth == 0))) {
        push(is_statement ? TokenKind::kCloseStmt : TokenKind::kCloseExpr, std::string(close), pos_);
        pos_ += dash_close ? 3 : 2;
        strip_next_whitespace_ = dash_close;
        trim_next_newline_ = is_statement;
        return ok_status();
      }
      if (rest.substr(0, 2) == "{%" || rest.substr(0, 2) == "{{" || (!is_statement && rest.substr(0, 2) == "%}")) {
        std::string message = "'";
        message.append(rest.substr(0, 2));
        message.append("' inside a tag (is a closing tag missing?)");
        return error(pos_, message);
      }
      const char ch = rest[0];
      if (ch == '\'' || ch == '"') {
        HEARTH_RETURN_IF_ERROR(lex_string(ch));
        continue;
      }
      if (is_digit(ch)) {
        lex_number();
        continue;
      }
      if (is_word_byte(ch)) {
        const size_t start = pos_;
        while (pos_ < src_.size() && is_word_byte(src_[pos_])) ++pos_;
        push(TokenKind::kName, std::string(src_.substr(start, pos_ - start)), start);
        continue;
      }
      bool matched = false;
      for (std::string_view op : kOperators) {
        if (rest.substr(0, op.size()) == op) {
          if (op == "{") ++brace_depth;
          if (op == "}") --brace_depth;
          push(TokenKind::kOperator, std::string(op), pos_);
          pos_ += op.size();
          matched = true;
          break;
        }
      }
      if (!matched) {
        const Utf8Char bad = decode_utf8_char(rest);
        std::string shown;
        append_utf8(shown, bad.status == Utf8Status::kValid ? bad.code_point : kReplacementChar);
        return error(pos_, "unexpected character '" + shown + "'");
      }
    }
  }

  Status lex_string(char quote) {
    const size_t start = pos_;
    ++pos_;
    std::string value;
    while (true) {
      if (pos_ >= src_.size()) return error(start, "unterminated string literal");
      const char ch = src_[pos_++];
      if (ch == quote) break;
      if (ch != '\\') {
        value += ch;
        continue;
      }
      if (pos_ >= src_.size()) return error(start, "unterminated string literal");
      const char escaped = src_[pos_++];
      switch (escaped) {
        case 'n':
          value += '\n';
          break;
        case 't':
          value += '\t';
          break;
        case 'r':
          value += '\r';
          break;
        case 'b':
          value += '\b';
          break;
        case 'f':
          value += '\f';
          break;
        case 'v':
          value += '\v';
          break;
        case '\'':
          value += '\'';
          break;
        case '"':
          value += '"';
          break;
        case '\\':
          value += '\\';
          break;
        case 'x':
        case 'u': {
          const size_t n_hex = escaped == 'x' ? 2 : 4;
          if (pos_ + n_hex > src_.size()) return error(pos_ - 2, "truncated \\" + std::string(1, escaped) + " escape");
          uint32_t code = 0;
          for (size_t idx = 0; idx < n_hex; ++idx) {
            const char hex = src_[pos_ + idx];
            uint32_t digit = 0;
            if (hex >= '0' && hex <= '9') {
              digit = static_cast<uint32_t>(hex - '0');
            } else if (hex >= 'a' && hex <= 'f') {
              digit = static_cast<uint32_t>(hex - 'a' + 10);
            } else if (hex >= 'A' && hex <= 'F') {
              digit = static_cast<uint32_t>(hex - 'A' + 10);
            } else {
              return error(pos_ - 2, "invalid hexadecimal escape");
            }
            code = code * 16 + digit;
          }
          pos_ += n_hex;
          append_utf8(value, code);  // a lone surrogate becomes U+FFFD
          break;
        }
        default:
          return error(pos_ - 2, "unknown escape '\\" + std::string(1, escaped) + "' in a string literal");
      }
    }
    push(TokenKind::kString, std::move(value), start);
    return ok_status();
  }

  void lex_number() {
    const size_t start = pos_;
    while (pos_ < src_.size() && is_digit(src_[pos_])) ++pos_;
    const bool after_dot =
        !tokens_.empty() && tokens_.back().kind == TokenKind::kOperator && tokens_.back().text == ".";
    bool is_float = false;
    if (!after_dot && pos_ + 1 < src_.size() && src_[pos_] == '.' && is_digit(src_[pos_ + 1])) {
      is_float = true;
      ++pos_;
      while (pos_ < src_.size() && is_digit(src_[pos_])) ++pos_;
    }
    Token token;
    token.text = std::string(src_.substr(start, pos_ - start));
    token.offset = static_cast<uint32_t>(start);
    if (is_float) {
      token.kind = TokenKind::kFloat;
      token.float_value = std::strtod(token.text.c_str(), nullptr);
    } else {
      token.kind = TokenKind::kInt;
      // Past int64 the literal saturates; arithmetic on it is checked later.
      int64_t value = 0;
      for (char digit : token.text) {
        if (value > (INT64_MAX - (digit - '0')) / 10) {
          value = INT64_MAX;
          break;
        }
        value = value * 10 + (digit - '0');
      }
      token.int_value = value;
    }
    tokens_.push_back(std::move(token));
  }

  void push(TokenKind kind, std::string text, size_t offset) {
    Token token;
    token.kind = kind;
    token.text = std::move(text);
    token.offset = static_cast<uint32_t>(offset);
    tokens_.push_back(std::move(token));
  }

  std::string_view src_;
  size_t pos_ = 0;
  bool trim_next_newline_ = false;
  bool strip_next_whitespace_ = false;
  std::vector<Token> tokens_;
};

}  // namespace

std::string describe_position(std::string_view source, uint32_t offset) {
  size_t line = 1;
  size_t column = 1;
  const size_t end = std::min<size_t>(offset, source.size());
  for (size_t pos = 0; pos < end; ++pos) {
    if (source[pos] == '\n') {
      ++line;
      column = 1;
    } else if ((static_cast<uint8_t>(source[pos]) & 0xC0) != 0x80) {
      ++column;
    }
  }
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

Result<std::vector<Token>> tokenize(std::string_view source) { return Lexer(source).run(); }

}  // namespace hearth::text::jinja
