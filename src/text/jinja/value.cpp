// Value, Dict and the conversions of values to text; see value.h.
#include "text/jinja/value.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "text/utf8.h"

namespace hearth::text::jinja {

double Value::as_number() const {
  if (is_int()) return static_cast<double>(as_int());
  if (is_bool()) return as_bool() ? 1.0 : 0.0;
  return as_float();
}

const Dict& Value::as_dict() const {
  return is_namespace() ? *std::get<Namespace>(data_).dict : *std::get<DictPtr>(data_);
}

const DictPtr& Value::dict_ptr() const {
  return is_namespace() ? std::get<Namespace>(data_).dict : std::get<DictPtr>(data_);
}

bool Value::truthy() const {
  switch (kind()) {
    case Kind::kUndefined:
    case Kind::kNone:
      return false;
    case Kind::kBool:
      return as_bool();
    case Kind::kInt:
      return as_int() != 0;
    case Kind::kFloat:
      return as_float() != 0.0 && !std::isnan(as_float());
    case Kind::kString:
      return !as_string().empty();
    case Kind::kList:
      return !as_list().empty();
    case Kind::kDict:
      return !as_dict().empty();
    case Kind::kNamespace:
    case Kind::kCallable:
      return true;
  }
  return false;
}

const char* Value::kind_name() const {
  switch (kind()) {
    case Kind::kUndefined:
      return "undefined";
    case Kind::kNone:
      return "none";
    case Kind::kBool:
      return "boolean";
    case Kind::kInt:
      return "integer";
    case Kind::kFloat:
      return "float";
    case Kind::kString:
      return "string";
    case Kind::kList:
      return "list";
    case Kind::kDict:
      return "dict";
    case Kind::kNamespace:
      return "namespace";
    case Kind::kCallable:
      return "callable";
  }
  return "?";
}

const Value* Dict::find(std::string_view key) const {
  auto it = index_.find(std::string(key));
  return it == index_.end() ? nullptr : &entries_[it->second].second;
}

void Dict::set(std::string key, Value value) {
  auto it = index_.find(key);
  if (it != index_.end()) {
    entries_[it->second].second = std::move(value);
    return;
  }
  index_.emplace(key, entries_.size());
  entries_.emplace_back(std::move(key), std::move(value));
}

void Dict::clear() {
  entries_.clear();
  index_.clear();
}

std::string js_number_string(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value < 0 ? "-Infinity" : "Infinity";
  if (value == 0) return "0";  // JavaScript prints -0 as "0" too
  std::string out;
  if (value < 0) {
    out += '-';
    value = -value;
  }
  // Shortest round-trip digits in scientific form: d[.ddd]e[+-]x.
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::scientific);
  const std::string_view sci(buf, static_cast<size_t>(end - buf));
  const size_t e_pos = sci.find('e');
  std::string digits;
  for (char ch : sci.substr(0, e_pos)) {
    if (ch != '.') digits += ch;
  }
  int exponent = 0;
  std::from_chars(sci.data() + e_pos + (sci[e_pos + 1] == '+' ? 2 : 1), sci.data() + sci.size(), exponent);
  // ref: ECMA-262 Number::toString, with n = exponent + 1 and k = digits.size().
  const int k = static_cast<int>(digits.size());
  const int n = exponent + 1;
  if (k <= n && n <= 21) {
    out += digits;
    out.append(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, static_cast<size_t>(n));
    out += '.';
    out += digits.substr(static_cast<size_t>(n));
  } else if (-6 < n && n <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-n), '0');
    out += digits;
  } else {
    out += digits[0];
    if (k > 1) {
      out += '.';
      out += digits.substr(1);
    }
    out += 'e';
    out += n - 1 >= 0 ? '+' : '-';
    out += std::to_string(std::abs(n - 1));
  }
  return out;
}

namespace {

Status too_deep(int max_depth) {
  return out_of_range_error("value nested deeper than " + std::to_string(max_depth) +
                            " levels (a namespace that contains itself?)");
}

void append_hex4(std::string& out, uint32_t unit) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "\\u%04x", unit & 0xFFFF);
  out += buf;
}

// JSON.stringify's string escaping; with ensure_ascii, every code unit from
// U+007F up as \uXXXX (astral characters as surrogate pairs).
void append_json_string(std::string& out, std::string_view text, bool ensure_ascii) {
  out += '"';
  size_t pos = 0;
  while (pos < text.size()) {
    const unsigned char byte = static_cast<unsigned char>(text[pos]);
    if (byte < 0x80) {
      switch (byte) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (byte < 0x20 || (ensure_ascii && byte == 0x7F)) {
            append_hex4(out, byte);
          } else {
            out += static_cast<char>(byte);
          }
      }
      ++pos;
      continue;
    }
    const Utf8Char ch = decode_utf8_char(text.substr(pos));
    const uint32_t cp = ch.status == Utf8Status::kValid ? ch.code_point : kReplacementChar;
    if (!ensure_ascii) {
      append_utf8(out, cp);
    } else if (cp < 0x10000) {
      append_hex4(out, cp);
    } else {
      append_hex4(out, 0xD800 + ((cp - 0x10000) >> 10));
      append_hex4(out, 0xDC00 + ((cp - 0x10000) & 0x3FF));
    }
    pos += ch.n_bytes;
  }
  out += '"';
}

// Keys ordered as String#localeCompare orders plain keys: letters without
// regard to case first, lower case before upper case on a tie.
bool key_less(const std::string& a, const std::string& b) {
  const size_t n = std::min(a.size(), b.size());
  for (size_t idx = 0; idx < n; ++idx) {
    const char la = static_cast<char>(std::tolower(static_cast<unsigned char>(a[idx])));
    const char lb = static_cast<char>(std::tolower(static_cast<unsigned char>(b[idx])));
    if (la != lb) return la < lb;
  }
  if (a.size() != b.size()) return a.size() < b.size();
  return a > b;  // 'a' (0x61) before 'A' (0x41)
}

Status append_json(std::string& out, const Value& value, const JsonOptions& options, int depth, int max_depth) {
  if (depth > max_depth) return too_deep(max_depth);
  const bool indented = options.indent >= 0;
  const std::string item_separator = options.has_separators ? options.item_separator : indented ? "," : ", ";
  const std::string key_separator = options.has_separators ? options.key_separator : ": ";
  auto newline = [&](int level) {
    out += '\n';
    out.append(static_cast<size_t>(options.indent) * static_cast<size_t>(level), ' ');
  };
  switch (value.kind()) {
    case Value::Kind::kUndefined:
      out += options.undefined_as_null ? "null" : "undefined";
      return ok_status();
    case Value::Kind::kNone:
      out += "null";
      return ok_status();
    case Value::Kind::kBool:
      out += value.as_bool() ? "true" : "false";
      return ok_status();
    case Value::Kind::kInt:
      out += std::to_string(value.as_int());
      return ok_status();
    case Value::Kind::kFloat:
      out += std::isfinite(value.as_float()) ? js_number_string(value.as_float()) : "null";
      return ok_status();
    case Value::Kind::kString:
      append_json_string(out, value.as_string(), options.ensure_ascii);
      return ok_status();
    case Value::Kind::kList: {
      const List& items = value.as_list();
      out += '[';
      for (size_t idx = 0; idx < items.size(); ++idx) {
        if (idx > 0) out += item_separator;
        if (indented) newline(depth + 1);
        HEARTH_RETURN_IF_ERROR(append_json(out, items[idx], options, depth + 1, max_depth));
      }
      if (indented && !items.empty()) newline(depth);
      out += ']';
      return ok_status();
    }
    case Value::Kind::kDict:
    case Value::Kind::kNamespace: {
      std::vector<const std::pair<std::string, Value>*> entries;
      for (const auto& entry : value.as_dict().entries()) entries.push_back(&entry);
      if (options.sort_keys) {
        std::stable_sort(entries.begin(), entries.end(),
                         [](const auto* a, const auto* b) { return key_less(a->first, b->first); });
      }
      out += '{';
      for (size_t idx = 0; idx < entries.size(); ++idx) {
        if (idx > 0) out += item_separator;
        if (indented) newline(depth + 1);
        append_json_string(out, entries[idx]->first, options.ensure_ascii);
        out += key_separator;
        HEARTH_RETURN_IF_ERROR(append_json(out, entries[idx]->second, options, depth + 1, max_depth));
      }
      if (indented && !entries.empty()) newline(depth);
      out += '}';
      return ok_status();
    }
    case Value::Kind::kCallable:
      return invalid_argument_error("cannot convert a callable to JSON");
  }
  return ok_status();
}

std::string float_output(double value) {
  if (value == 0 && std::signbit(value)) return "-0.0";
  if (std::isfinite(value) && value == std::trunc(value) && std::fabs(value) < 1e21) {
    return js_number_string(value) + ".0";
  }
  return js_number_string(value);
}

}  // namespace

Result<std::string> to_json(const Value& value, const JsonOptions& options, int max_depth) {
  std::string out;
  HEARTH_RETURN_IF_ERROR(append_json(out, value, options, 0, max_depth));
  return out;
}

Result<std::string> to_output_string(const Value& value, int max_depth) {
  switch (value.kind()) {
    case Value::Kind::kUndefined:
    case Value::Kind::kNone:
      return std::string();
    case Value::Kind::kBool:
      return std::string(value.as_bool() ? "true" : "false");
    case Value::Kind::kInt:
      return std::to_string(value.as_int());
    case Value::Kind::kFloat:
      return float_output(value.as_float());
    case Value::Kind::kString:
      return value.as_string();
    case Value::Kind::kList:
    case Value::Kind::kDict:
    case Value::Kind::kNamespace: {
      JsonOptions options;
      options.undefined_as_null = false;
      return to_json(value, options, max_depth);
    }
    case Value::Kind::kCallable:
      return std::string("<callable>");
  }
  return std::string();
}

Result<std::string> to_concat_string(const Value& value, int max_depth) {
  switch (value.kind()) {
    case Value::Kind::kFloat:
      return js_number_string(value.as_float());
    case Value::Kind::kDict:
    case Value::Kind::kNamespace:
      return std::string("[object Map]");
    case Value::Kind::kList: {
      // Array#toString: the items as {{ }} prints them, joined by ",";
      // none and undefined spelled out.
      std::string out;
      const List& items = value.as_list();
      for (size_t idx = 0; idx < items.size(); ++idx) {
        if (idx > 0) out += ',';
        if (items[idx].is_none()) {
          out += "null";
        } else if (items[idx].is_undefined()) {
          out += "undefined";
        } else {
          HEARTH_ASSIGN_OR_RETURN(std::string item, to_output_string(items[idx], max_depth - 1));
          out += item;
        }
      }
      return out;
    }
    default:
      return to_output_string(value, max_depth);
  }
}

}  // namespace hearth::text::jinja
