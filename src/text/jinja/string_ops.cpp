// String operations of the template language; see string_ops.h.
#include "text/jinja/string_ops.h"

#include <utf8proc.h>

#include "text/utf8.h"

namespace hearth::text::jinja {
namespace {

// The code point at `pos` (U+FFFD for ill-formed bytes) and its length.
Utf8Char char_at(std::string_view text, size_t pos) {
  Utf8Char ch = decode_utf8_char(text.substr(pos));
  if (ch.status != Utf8Status::kValid) ch.code_point = kReplacementChar;
  return ch;
}

// Start of the code point that ends at `end` (end > 0).
size_t previous_start(std::string_view text, size_t end) {
  size_t start = end - 1;
  while (start > 0 && end - start < 4 && (static_cast<uint8_t>(text[start]) & 0xC0) == 0x80) --start;
  const Utf8Char ch = decode_utf8_char(text.substr(start, end - start));
  return ch.status == Utf8Status::kValid && ch.n_bytes == end - start ? start : end - 1;
}

template <typename Pred>
std::string_view trim_if(std::string_view text, bool left, bool right, Pred pred) {
  size_t begin = 0;
  size_t end = text.size();
  while (left && begin < end) {
    const Utf8Char ch = char_at(text, begin);
    if (!pred(ch.code_point)) break;
    begin += ch.n_bytes;
  }
  while (right && end > begin) {
    const size_t start = previous_start(text, end);
    if (start < begin || !pred(char_at(text, start).code_point)) break;
    end = start;
  }
  return text.substr(begin, end - begin);
}

template <typename Map>
std::string map_code_points(std::string_view text, Map map) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const Utf8Char ch = char_at(text, pos);
    append_utf8(out, map(ch.code_point));
    pos += ch.n_bytes;
  }
  return out;
}

}  // namespace

bool is_js_space(uint32_t cp) {
  if (cp <= 0x20) return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D);
  return cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 || cp == 0x2029 || cp == 0x202F ||
         cp == 0x205F || cp == 0x3000 || cp == 0xFEFF;
}

std::string_view trim_space(std::string_view text, bool left, bool right) {
  return trim_if(text, left, right, is_js_space);
}

std::string_view trim_chars(std::string_view text, std::string_view chars, bool left, bool right) {
  std::vector<uint32_t> set;
  for (size_t pos = 0; pos < chars.size();) {
    const Utf8Char ch = char_at(chars, pos);
    set.push_back(ch.code_point);
    pos += ch.n_bytes;
  }
  return trim_if(text, left, right, [&set](uint32_t cp) {
    for (uint32_t member : set) {
      if (member == cp) return true;
    }
    return false;
  });
}

std::vector<std::string> split_code_points(std::string_view text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < text.size()) {
    const Utf8Char ch = char_at(text, pos);
    std::string one;
    append_utf8(one, ch.code_point);
    out.push_back(std::move(one));
    pos += ch.n_bytes;
  }
  return out;
}

size_t count_code_points(std::string_view text) {
  size_t count = 0;
  for (size_t pos = 0; pos < text.size(); ++count) pos += char_at(text, pos).n_bytes;
  return count;
}

std::vector<std::string> split_python(std::string_view text, std::string_view sep, bool by_whitespace,
                                      int64_t max_split) {
  std::vector<std::string> out;
  if (by_whitespace) {
    size_t pos = 0;
    while (true) {
      // Skip a run of whitespace, then take a run of non-whitespace.
      while (pos < text.size() && is_js_space(char_at(text, pos).code_point)) pos += char_at(text, pos).n_bytes;
      if (pos >= text.size()) break;
      if (max_split >= 0 && static_cast<int64_t>(out.size()) >= max_split) {
        out.emplace_back(text.substr(pos));
        break;
      }
      const size_t start = pos;
      while (pos < text.size() && !is_js_space(char_at(text, pos).code_point)) pos += char_at(text, pos).n_bytes;
      out.emplace_back(text.substr(start, pos - start));
    }
    return out;
  }
  size_t start = 0;
  while (true) {
    const size_t found = text.find(sep, start);
    if (found == std::string_view::npos || (max_split >= 0 && static_cast<int64_t>(out.size()) >= max_split)) {
      out.emplace_back(text.substr(start));
      return out;
    }
    out.emplace_back(text.substr(start, found - start));
    start = found + sep.size();
  }
}

std::string replace_all(std::string_view text, std::string_view from, std::string_view to, int64_t count) {
  std::string out;
  int64_t remaining = count < 0 ? INT64_MAX : count;
  if (from.empty()) {
    size_t pos = 0;
    while (true) {
      if (remaining > 0) {
        out += to;
        --remaining;
      }
      if (pos >= text.size()) break;
      const Utf8Char ch = char_at(text, pos);
      out += text.substr(pos, ch.n_bytes);
      pos += ch.n_bytes;
    }
    return out;
  }
  size_t start = 0;
  while (remaining > 0) {
    const size_t found = text.find(from, start);
    if (found == std::string_view::npos) break;
    out += text.substr(start, found - start);
    out += to;
    start = found + from.size();
    --remaining;
  }
  out += text.substr(start);
  return out;
}

std::string to_upper(std::string_view text) {
  return map_code_points(text, [](uint32_t cp) { return static_cast<uint32_t>(utf8proc_toupper(cp)); });
}

std::string to_lower(std::string_view text) {
  return map_code_points(text, [](uint32_t cp) { return static_cast<uint32_t>(utf8proc_tolower(cp)); });
}

std::string title_case(std::string_view text) {
  std::string out(text);
  auto is_word = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) != 0 || ch == '_'; };
  for (size_t idx = 0; idx < out.size(); ++idx) {
    if (is_word(out[idx]) && (idx == 0 || !is_word(out[idx - 1]))) {
      out[idx] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[idx])));
    }
  }
  return out;
}

std::string capitalize_first(std::string_view text) {
  if (text.empty()) return {};
  const Utf8Char ch = char_at(text, 0);
  std::string out;
  append_utf8(out, static_cast<uint32_t>(utf8proc_toupper(ch.code_point)));
  out += text.substr(ch.n_bytes);
  return out;
}

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

}  // namespace hearth::text::jinja
