// Filters, tests, methods and global functions of the interpreter; see
// interpreter.h. Behavior follows @huggingface/jinja; README.md lists where
// hearth follows Python's Jinja instead.
#include <algorithm>
#include <cmath>
#include <ctime>
#include <unordered_set>

#include "base/clock.h"
#include "text/jinja/interpreter.h"
#include "text/jinja/string_ops.h"

namespace hearth::text::jinja {
namespace {

constexpr std::string_view kStringMethods[] = {"upper",      "lower",      "strip",    "lstrip", "rstrip",  "title",
                                               "capitalize", "startswith", "endswith", "split",  "replace", "join"};
constexpr std::string_view kDictMethods[] = {"get", "items", "keys", "values"};

Value items_of(const Dict& dict) {
  List items;
  for (const auto& [key, value] : dict.entries()) items.push_back(Value::list({Value(key), value}));
  return Value::list(std::move(items));
}

// Sorting keys: numbers (booleans count as 0/1) with numbers, strings with
// strings (case-insensitively unless asked), none with none.
enum class SortClass { kNumber, kString, kNone, kUndefined, kOther };
SortClass sort_class(const Value& value) {
  if (value.is_number() || value.is_bool()) return SortClass::kNumber;
  if (value.is_string()) return SortClass::kString;
  if (value.is_none()) return SortClass::kNone;
  if (value.is_undefined()) return SortClass::kUndefined;
  return SortClass::kOther;
}

// A dotted attribute path ("a.b", "items.0") into dicts and lists.
Value attribute_path(const Value& item, std::string_view path) {
  Value current = item;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part(path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (current.is_dict() || current.is_namespace()) {
      const Value* found = current.as_dict().find(part);
      current = found != nullptr ? *found : Value();
    } else if (current.is_list() && !part.empty() && part.find_first_not_of("0123456789") == std::string::npos &&
               part.size() < 10) {
      const size_t index = static_cast<size_t>(std::stoul(part));
      current = index < current.as_list().size() ? current.as_list()[index] : Value();
    } else {
      return Value();
    }
    if (dot == std::string_view::npos) return current;
    start = dot + 1;
  }
}

// JavaScript's parseInt(text, 10) / parseFloat(text): leading whitespace, a
// sign, then as many digits as there are; false when there are none.
bool parse_leading_int(std::string_view text, int64_t* out) {
  const std::string_view trimmed = trim_space(text, true, false);
  size_t pos = 0;
  bool negative = false;
  if (pos < trimmed.size() && (trimmed[pos] == '+' || trimmed[pos] == '-')) negative = trimmed[pos++] == '-';
  const size_t digits_start = pos;
  int64_t value = 0;
  while (pos < trimmed.size() && trimmed[pos] >= '0' && trimmed[pos] <= '9') {
    const int digit = trimmed[pos] - '0';
    value = value > (INT64_MAX - digit) / 10 ? INT64_MAX : value * 10 + digit;
    ++pos;
  }
  if (pos == digits_start) return false;
  *out = negative ? -value : value;
  return true;
}

bool parse_leading_float(std::string_view text, double* out) {
  const std::string trimmed(trim_space(text, true, false));
  char* end = nullptr;
  const double value = std::strtod(trimmed.c_str(), &end);
  if (end == trimmed.c_str() || trimmed.compare(0, 1, "0x") == 0 || trimmed.compare(0, 2, "-0x") == 0) return false;
  *out = value;
  return true;
}

}  // namespace

bool Interpreter::has_method(const Value& receiver, std::string_view name) {
  if (receiver.is_string()) {
    return std::find(std::begin(kStringMethods), std::end(kStringMethods), name) != std::end(kStringMethods);
  }
  if (receiver.is_dict()) {
    return std::find(std::begin(kDictMethods), std::end(kDictMethods), name) != std::end(kDictMethods);
  }
  return false;
}

Result<Value> Interpreter::call_method(const Node& node, const Callable& method, const Args& args) {
  const Value& receiver = method.receiver;
  const std::string& name = method.name;
  if (receiver.is_dict()) {
    const Dict& dict = receiver.as_dict();
    HEARTH_RETURN_IF_ERROR(step(node.offset, dict.size() * 8));
    if (name == "get") {
      const Value* key = args.get(0, "key");
      if (key == nullptr || !key->is_string()) return fail(node.offset, "dict.get() needs a string key");
      if (const Value* found = dict.find(key->as_string())) return *found;
      const Value* fallback = args.get(1, "default");
      return fallback != nullptr ? *fallback : Value::none();
    }
    if (name == "items") return items_of(dict);
    List out;
    for (const auto& [key, value] : dict.entries()) out.push_back(name == "keys" ? Value(key) : value);
    return Value::list(std::move(out));
  }
  const std::string& text = receiver.as_string();
  HEARTH_RETURN_IF_ERROR(step(node.offset, text.size()));
  if (name == "upper") return Value(to_upper(text));
  if (name == "lower") return Value(to_lower(text));
  if (name == "title") return Value(title_case(text));
  if (name == "capitalize") return Value(capitalize_first(text));
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    const bool left = name != "rstrip";
    const bool right = name != "lstrip";
    // Python's str.strip(chars); without chars (or with none), whitespace.
    const Value* chars = args.get(0, "chars");
    if (chars != nullptr && chars->is_string()) return Value(trim_chars(text, chars->as_string(), left, right));
    if (chars != nullptr && !chars->is_none()) return fail(node.offset, name + "() takes a string of characters");
    return Value(trim_space(text, left, right));
  }
  if (name == "startswith" || name == "endswith") {
    const Value* pattern = args.get(0, "prefix");
    if (pattern == nullptr) return fail(node.offset, name + "() needs an argument");
    auto matches = [&](const std::string& affix) {
      if (affix.size() > text.size()) return false;
      return name == "startswith" ? text.compare(0, affix.size(), affix) == 0
                                  : text.compare(text.size() - affix.size(), affix.size(), affix) == 0;
    };
    if (pattern->is_string()) return Value(matches(pattern->as_string()));
    if (pattern->is_list()) {
      for (const Value& item : pattern->as_list()) {
        if (!item.is_string()) return fail(node.offset, name + "() takes strings");
        if (matches(item.as_string())) return Value(true);
      }
      return Value(false);
    }
    return fail(node.offset, name + "() takes a string or a tuple of strings");
  }
  if (name == "split") {
    const Value* sep = args.get(0, "sep");
    const Value* max_split = args.get(1, "maxsplit");
    if (sep != nullptr && !sep->is_string() && !sep->is_none())
      return fail(node.offset, "split() separator must be a string");
    if (sep != nullptr && sep->is_string() && sep->as_string().empty())
      return fail(node.offset, "split(): empty separator");
    if (max_split != nullptr && !max_split->is_int()) return fail(node.offset, "split() maxsplit must be an integer");
    const bool by_whitespace = sep == nullptr || sep->is_none();
    List parts;
    for (std::string& part : split_python(text, by_whitespace ? "" : sep->as_string(), by_whitespace,
                                          max_split != nullptr ? max_split->as_int() : -1)) {
      parts.emplace_back(std::move(part));
    }
    HEARTH_RETURN_IF_ERROR(step(node.offset, parts.size() * 8));
    return Value::list(std::move(parts));
  }
  if (name == "replace") {
    const Value* from = args.get(0, "old");
    const Value* to = args.get(1, "new");
    const Value* count = args.get(2, "count");
    if (from == nullptr || to == nullptr || !from->is_string() || !to->is_string()) {
      return fail(node.offset, "replace() takes two strings");
    }
    if (count != nullptr && !count->is_int() && !count->is_none()) {
      return fail(node.offset, "replace() count must be an integer");
    }
    // Bound the result before building it.
    const size_t n_max = from->as_string().empty() ? text.size() + 1 : text.size() / from->as_string().size();
    HEARTH_RETURN_IF_ERROR(check_size(node.offset, text.size() + n_max * to->as_string().size()));
    HEARTH_RETURN_IF_ERROR(step(node.offset, text.size() + n_max * to->as_string().size()));
    return Value(replace_all(text, from->as_string(), to->as_string(),
                             count != nullptr && count->is_int() ? count->as_int() : -1));
  }
  if (name == "join") {
    const Value* items = args.get(0, "iterable");
    if (items == nullptr || !items->is_list()) return fail(node.offset, "join() takes a list");
    std::string out;
    for (size_t idx = 0; idx < items->as_list().size(); ++idx) {
      if (idx > 0) out += text;
      HEARTH_ASSIGN_OR_RETURN(std::string part, concat_text_of(node, items->as_list()[idx]));
      out += part;
      HEARTH_RETURN_IF_ERROR(check_size(node.offset, out.size()));
    }
    HEARTH_RETURN_IF_ERROR(step(node.offset, out.size()));
    return Value(std::move(out));
  }
  return fail(node.offset, "unknown method '" + name + "'");
}

Result<std::string> Interpreter::strftime_now(const Node& node, const std::string& format) {
  static constexpr const char* kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                            "July",    "August",   "September", "October", "November", "December"};
  const int64_t now_ms = now_ms_ ? now_ms_() : unix_now_ms();
  const std::time_t seconds = static_cast<std::time_t>(now_ms / 1000);
  std::tm utc{};
  if (gmtime_r(&seconds, &utc) == nullptr) return fail(node.offset, "the clock is out of range");
  auto pad2 = [](int value) { return (value < 10 ? "0" : "") + std::to_string(value); };
  std::string out;
  for (size_t idx = 0; idx < format.size(); ++idx) {
    if (format[idx] != '%' || idx + 1 >= format.size()) {
      out += format[idx];
      continue;
    }
    const char code = format[++idx];
    switch (code) {
      case 'Y':
        out += std::to_string(utc.tm_year + 1900);
        break;
      case 'm':
        out += pad2(utc.tm_mon + 1);
        break;
      case 'd':
        out += pad2(utc.tm_mday);
        break;
      case 'b':
        out += std::string(kMonths[utc.tm_mon]).substr(0, 3);
        break;
      case 'B':
        out += kMonths[utc.tm_mon];
        break;
      case 'H':
        out += pad2(utc.tm_hour);
        break;
      case 'M':
        out += pad2(utc.tm_min);
        break;
      case 'S':
        out += pad2(utc.tm_sec);
        break;
      case '%':
        out += '%';
        break;
      default:
        out += '%';
        out += code;
    }
  }
  return out;
}

Result<Value> Interpreter::call_builtin(const Node& node, const std::string& name, const Args& args) {
  if (name == "raise_exception") {
    const Value* message = args.get(0, "message");
    std::string text = "raise_exception";
    if (message != nullptr) {
      HEARTH_ASSIGN_OR_RETURN(text, text_of(node, *message));
    }
    return fail(node.offset, "the template raised an exception: " + text);
  }
  if (name == "namespace" || name == "dict") {
    auto dict = std::make_shared<Dict>();
    if (args.positional.size() > 1) return fail(node.offset, name + "() takes at most one positional argument");
    if (args.positional.size() == 1) {
      const Value& source = args.positional[0];
      if (source.is_dict()) {
        for (const auto& [key, value] : source.as_dict().entries()) dict->set(key, value);
      } else if (source.is_list()) {
        for (const Value& pair : source.as_list()) {
          if (!pair.is_list() || pair.as_list().size() != 2 || !pair.as_list()[0].is_string()) {
            return fail(node.offset, name + "() takes a dict or a list of [key, value] pairs");
          }
          dict->set(pair.as_list()[0].as_string(), pair.as_list()[1]);
        }
      } else {
        return fail(node.offset, name + "() takes a dict or a list of [key, value] pairs");
      }
    }
    for (const auto& [key, value] : args.keywords) dict->set(key, value);
    HEARTH_RETURN_IF_ERROR(step(node.offset, dict->size() * 8));
    if (name == "dict") return Value(std::move(dict));
    namespaces_.push_back(dict);
    return Value(Namespace{std::move(dict)});
  }
  if (name == "range") {
    int64_t bounds[3] = {0, 0, 1};
    if (args.positional.empty() || args.positional.size() > 3)
      return fail(node.offset, "range() takes 1 to 3 integers");
    for (const Value& arg : args.positional) {
      if (!arg.is_int()) return fail(node.offset, "range() takes integers");
    }
    if (args.positional.size() == 1) {
      bounds[1] = args.positional[0].as_int();
    } else {
      bounds[0] = args.positional[0].as_int();
      bounds[1] = args.positional[1].as_int();
      if (args.positional.size() == 3) bounds[2] = args.positional[2].as_int();
    }
    if (bounds[2] == 0) return fail(node.offset, "range() step must not be zero");
    const long double span = static_cast<long double>(bounds[1]) - static_cast<long double>(bounds[0]);
    const long double count_ld = std::ceil(span / static_cast<long double>(bounds[2]));
    const int64_t count = count_ld <= 0 ? 0 : count_ld > 1e12L ? INT64_MAX / 2 : static_cast<int64_t>(count_ld);
    if (count > limits_.max_steps)
      return limit(node.offset, "range() of " + std::to_string(count) + " items exceeds the step budget");
    HEARTH_RETURN_IF_ERROR(step(node.offset, static_cast<size_t>(count) * 8));
    List items;
    items.reserve(static_cast<size_t>(count));
    for (int64_t idx = 0; idx < count; ++idx) items.emplace_back(bounds[0] + idx * bounds[2]);
    return Value::list(std::move(items));
  }
  if (name == "strftime_now") {
    const Value* format = args.get(0, "format");
    if (format == nullptr || !format->is_string()) return fail(node.offset, "strftime_now() takes a format string");
    HEARTH_ASSIGN_OR_RETURN(std::string text, strftime_now(node, format->as_string()));
    return Value(std::move(text));
  }
  return fail(node.offset, "unknown function '" + name + "'");
}

Result<bool> Interpreter::apply_test(const Node& node, const std::string& name, const Value& operand,
                                     const Args& args) {
  const Value* arg = args.get(0, "value");
  auto need_arg = [&]() { return fail(node.offset, "test '" + name + "' needs an argument"); };
  if (name == "defined") return !operand.is_undefined();
  if (name == "undefined") return operand.is_undefined();
  if (name == "none") return operand.is_none();
  if (name == "boolean") return operand.is_bool();
  if (name == "true") return operand.is_bool() && operand.as_bool();
  if (name == "false") return operand.is_bool() && !operand.as_bool();
  if (name == "string") return operand.is_string();
  if (name == "number") return operand.is_number();
  if (name == "integer") return operand.is_int();
  if (name == "float") return operand.is_float();
  if (name == "iterable") return operand.is_list() || operand.is_string();
  if (name == "mapping") return operand.is_dict();
  if (name == "sequence") return operand.is_list() || operand.is_dict() || operand.is_string();
  if (name == "callable") return operand.is_callable();
  if (name == "lower") return operand.is_string() && to_lower(operand.as_string()) == operand.as_string();
  if (name == "upper") return operand.is_string() && to_upper(operand.as_string()) == operand.as_string();
  if (name == "odd" || name == "even") {
    if (!operand.is_int()) return fail(node.offset, "test '" + name + "' needs an integer, got " + operand.kind_name());
    return (operand.as_int() % 2 != 0) == (name == "odd");
  }
  if (name == "divisibleby") {
    if (arg == nullptr || !arg->is_int() || !operand.is_int()) return fail(node.offset, "divisibleby takes integers");
    if (arg->as_int() == 0) return fail(node.offset, "divisibleby(0)");
    return operand.as_int() % arg->as_int() == 0;
  }
  if (name == "equalto" || name == "eq" || name == "sameas") {
    if (arg == nullptr) return need_arg();
    return strict_equal(operand, *arg);
  }
  if (name == "ne") {
    if (arg == nullptr) return need_arg();
    return !strict_equal(operand, *arg);
  }
  if (name == "gt" || name == "ge" || name == "lt" || name == "le") {
    if (arg == nullptr) return need_arg();
    const std::string op = name == "gt" ? ">" : name == "ge" ? ">=" : name == "lt" ? "<" : "<=";
    HEARTH_ASSIGN_OR_RETURN(Value result, binary_op(node, op, operand, *arg));
    return result.truthy();
  }
  if (name == "in") {
    if (arg == nullptr) return need_arg();
    HEARTH_ASSIGN_OR_RETURN(Value result, binary_op(node, "in", operand, *arg));
    return result.truthy();
  }
  return fail(node.offset, "unknown test '" + name + "'");
}

Result<Value> Interpreter::filter_tojson(const Node& node, const Value& operand, const Args& args) {
  JsonOptions options;
  if (const Value* indent = args.get(0, "indent"); indent != nullptr && !indent->is_none()) {
    if (!indent->is_int() || indent->as_int() < 0 || indent->as_int() > 64) {
      return fail(node.offset, "tojson indent must be an integer from 0 to 64");
    }
    options.indent = static_cast<int>(indent->as_int());
  }
  for (const char* flag : {"ensure_ascii", "sort_keys"}) {
    const Value* value = args.get(SIZE_MAX, flag);
    if (value == nullptr) continue;
    if (!value->is_bool()) return fail(node.offset, std::string("tojson ") + flag + " must be a boolean");
    (std::string_view(flag) == "ensure_ascii" ? options.ensure_ascii : options.sort_keys) = value->as_bool();
  }
  if (const Value* separators = args.get(SIZE_MAX, "separators"); separators != nullptr && !separators->is_none()) {
    if (!separators->is_list() || separators->as_list().size() != 2 || !separators->as_list()[0].is_string() ||
        !separators->as_list()[1].is_string()) {
      return fail(node.offset, "tojson separators must be two strings");
    }
    options.has_separators = true;
    options.item_separator = separators->as_list()[0].as_string();
    options.key_separator = separators->as_list()[1].as_string();
  }
  Result<std::string> json = to_json(operand, options, limits_.max_value_depth);
  if (!json.ok()) return fail(node.offset, json.status().message());
  HEARTH_RETURN_IF_ERROR(check_size(node.offset, json->size()));
  HEARTH_RETURN_IF_ERROR(step(node.offset, json->size()));
  return Value(std::move(json).value());
}

Result<Value> Interpreter::filter_sort(const Node& node, const Value& operand, const Args& args) {
  if (!operand.is_list()) return fail(node.offset, std::string("sort needs a list, got ") + operand.kind_name());
  const Value* reverse = args.get(0, "reverse");
  const Value* case_sensitive = args.get(1, "case_sensitive");
  const Value* attribute = args.get(2, "attribute");
  const bool descending = reverse != nullptr && reverse->truthy();
  const bool exact_case = case_sensitive != nullptr && case_sensitive->truthy();
  std::string path;
  if (attribute != nullptr && !attribute->is_none()) {
    if (attribute->is_int()) {
      path = std::to_string(attribute->as_int());
    } else if (attribute->is_string()) {
      path = attribute->as_string();
    } else {
      return fail(node.offset, "sort attribute must be a string or an integer");
    }
  }
  struct Keyed {
    Value key;
    std::string folded;
    Value item;
  };
  std::vector<Keyed> keyed;
  SortClass common = SortClass::kOther;
  for (const Value& item : operand.as_list()) {
    Value key = path.empty() ? item : attribute_path(item, path);
    const SortClass cls = sort_class(key);
    if (cls == SortClass::kOther) return fail(node.offset, std::string("cannot sort ") + key.kind_name() + " values");
    if (!keyed.empty() && cls != common) {
      return fail(node.offset, std::string("cannot compare ") + keyed[0].key.kind_name() + " with " + key.kind_name());
    }
    common = cls;
    std::string folded = key.is_string() ? (exact_case ? key.as_string() : to_lower(key.as_string())) : std::string();
    keyed.push_back({std::move(key), std::move(folded), item});
  }
  HEARTH_RETURN_IF_ERROR(step(node.offset, keyed.size() * 64));
  std::stable_sort(keyed.begin(), keyed.end(), [&](const Keyed& a, const Keyed& b) {
    if (common == SortClass::kNumber) {
      return descending ? a.key.as_number() > b.key.as_number() : a.key.as_number() < b.key.as_number();
    }
    if (common == SortClass::kString) return descending ? a.folded > b.folded : a.folded < b.folded;
    return false;
  });
  List sorted;
  for (Keyed& entry : keyed) sorted.push_back(std::move(entry.item));
  return Value::list(std::move(sorted));
}

Result<Value> Interpreter::filter_select(const Node& node, const std::string& name, const Value& operand,
                                         const Args& args) {
  if (!operand.is_list()) return fail(node.offset, name + " needs a list, got " + operand.kind_name());
  const bool by_attribute = name == "selectattr" || name == "rejectattr";
  const bool keep_matches = name == "selectattr" || name == "select";
  size_t next_arg = 0;
  std::string attribute;
  if (by_attribute) {
    if (args.positional.empty() || !args.positional[0].is_string()) {
      return fail(node.offset, name + " needs an attribute name");
    }
    attribute = args.positional[0].as_string();
    next_arg = 1;
  }
  std::string test;
  if (next_arg < args.positional.size()) {
    if (!args.positional[next_arg].is_string()) return fail(node.offset, name + " needs a test name");
    test = args.positional[next_arg].as_string();
    ++next_arg;
  }
  Args test_args;
  test_args.positional.assign(args.positional.begin() + static_cast<std::ptrdiff_t>(next_arg), args.positional.end());
  List kept;
  for (const Value& item : operand.as_list()) {
    HEARTH_RETURN_IF_ERROR(step(node.offset));
    Value subject = item;
    if (by_attribute) {
      if (!item.is_dict() && !item.is_namespace()) return fail(node.offset, name + " needs a list of dicts");
      // Python's Jinja: a missing attribute is undefined and still tested.
      subject = attribute_path(item, attribute);
    }
    bool result = false;
    if (test.empty()) {
      result = subject.truthy();
    } else {
      HEARTH_ASSIGN_OR_RETURN(result, apply_test(node, test, subject, test_args));
    }
    if (result == keep_matches) kept.push_back(item);
  }
  return Value::list(std::move(kept));
}

Result<Value> Interpreter::filter_map(const Node& node, const Value& operand, const Args& args) {
  if (!operand.is_list()) return fail(node.offset, std::string("map needs a list, got ") + operand.kind_name());
  List mapped;
  if (const Value* attribute = args.get(SIZE_MAX, "attribute")) {
    if (!attribute->is_string() && !attribute->is_int()) return fail(node.offset, "map attribute must be a string");
    const std::string path = attribute->is_int() ? std::to_string(attribute->as_int()) : attribute->as_string();
    const Value* fallback = args.get(SIZE_MAX, "default");
    for (const Value& item : operand.as_list()) {
      HEARTH_RETURN_IF_ERROR(step(node.offset));
      Value value = attribute_path(item, path);
      mapped.push_back(value.is_undefined() && fallback != nullptr ? *fallback : value);
    }
    return Value::list(std::move(mapped));
  }
  if (args.positional.empty() || !args.positional[0].is_string()) {
    return fail(node.offset, "map needs attribute= or a filter name");
  }
  const std::string filter = args.positional[0].as_string();
  Args filter_args;
  filter_args.positional.assign(args.positional.begin() + 1, args.positional.end());
  filter_args.keywords = args.keywords;
  for (const Value& item : operand.as_list()) {
    HEARTH_ASSIGN_OR_RETURN(Value value, apply_filter(node, filter, item, filter_args));
    mapped.push_back(std::move(value));
  }
  return Value::list(std::move(mapped));
}

Result<Value> Interpreter::apply_filter(const Node& node, const std::string& name, const Value& operand,
                                        const Args& args) {
  HEARTH_RETURN_IF_ERROR(step(node.offset));
  auto wrong_type = [&]() {
    return fail(node.offset, "filter '" + name + "' does not apply to " + operand.kind_name());
  };
  if (name == "safe") return operand;
  if (name == "tojson") return filter_tojson(node, operand, args);
  if (name == "default" || name == "d") {
    const Value* fallback = args.get(0, "default_value");
    const Value* boolean = args.get(1, "boolean");
    const bool use_fallback = operand.is_undefined() || (boolean != nullptr && boolean->truthy() && !operand.truthy());
    if (!use_fallback) return operand;
    return fallback != nullptr ? *fallback : Value(std::string());
  }
  if (name == "length" || name == "count") {
    if (operand.is_list()) return Value(static_cast<int64_t>(operand.as_list().size()));
    if (operand.is_string()) return Value(static_cast<int64_t>(count_code_points(operand.as_string())));
    if (operand.is_dict()) return Value(static_cast<int64_t>(operand.as_dict().size()));
    return wrong_type();
  }
  if (name == "sort") return filter_sort(node, operand, args);
  if (name == "selectattr" || name == "rejectattr" || name == "select" || name == "reject") {
    return filter_select(node, name, operand, args);
  }
  if (name == "map") return filter_map(node, operand, args);
  if (name == "items") {
    if (!operand.is_dict()) return wrong_type();
    HEARTH_RETURN_IF_ERROR(step(node.offset, operand.as_dict().size() * 8));
    return items_of(operand.as_dict());
  }
  if (name == "dictsort") {
    if (!operand.is_dict()) return wrong_type();
    Args sort_args;
    sort_args.keywords.emplace_back("attribute", Value(0));
    if (const Value* case_sensitive = args.get(0, "case_sensitive"))
      sort_args.keywords.emplace_back("case_sensitive", *case_sensitive);
    if (const Value* reverse = args.get(2, "reverse")) sort_args.keywords.emplace_back("reverse", *reverse);
    return filter_sort(node, items_of(operand.as_dict()), sort_args);
  }
  if (name == "list") {
    if (operand.is_list()) return operand;
    List items;
    if (operand.is_string()) {
      for (std::string& ch : split_code_points(operand.as_string())) items.emplace_back(std::move(ch));
    } else if (operand.is_dict()) {
      for (const auto& entry : operand.as_dict().entries()) items.emplace_back(entry.first);
    } else {
      return wrong_type();
    }
    HEARTH_RETURN_IF_ERROR(step(node.offset, items.size() * 8));
    return Value::list(std::move(items));
  }
  if (name == "first" || name == "last") {
    if (operand.is_list()) {
      const List& items = operand.as_list();
      if (items.empty()) return Value();
      return name == "first" ? items.front() : items.back();
    }
    if (operand.is_string()) {
      std::vector<std::string> chars = split_code_points(operand.as_string());
      if (chars.empty()) return Value();
      return Value(name == "first" ? chars.front() : chars.back());
    }
    return wrong_type();
  }
  if (name == "reverse") {
    if (operand.is_list()) {
      List items(operand.as_list().rbegin(), operand.as_list().rend());
      HEARTH_RETURN_IF_ERROR(step(node.offset, items.size() * 8));
      return Value::list(std::move(items));
    }
    if (operand.is_string()) {
      std::vector<std::string> chars = split_code_points(operand.as_string());
      std::string out;
      for (auto it = chars.rbegin(); it != chars.rend(); ++it) out += *it;
      return Value(std::move(out));
    }
    return wrong_type();
  }
  if (name == "unique") {
    if (!operand.is_list()) return wrong_type();
    List out;
    for (const Value& item : operand.as_list()) {
      HEARTH_RETURN_IF_ERROR(step(node.offset, out.size()));
      bool seen = false;
      for (const Value& kept : out) {
        if (strict_equal(kept, item)) {
          seen = true;
          break;
        }
      }
      if (!seen) out.push_back(item);
    }
    return Value::list(std::move(out));
  }
  if (name == "join") {
    const Value* separator = args.get(0, "d");
    const Value* attribute = args.get(1, "attribute");
    if (separator != nullptr && !separator->is_string()) return fail(node.offset, "join separator must be a string");
    List items;
    if (operand.is_list()) {
      items = operand.as_list();
    } else if (operand.is_string()) {
      for (std::string& ch : split_code_points(operand.as_string())) items.emplace_back(std::move(ch));
    } else {
      return wrong_type();
    }
    std::string out;
    for (size_t idx = 0; idx < items.size(); ++idx) {
      if (idx > 0 && separator != nullptr) out += separator->as_string();
      const Value item = attribute != nullptr && attribute->is_string()
                             ? attribute_path(items[idx], attribute->as_string())
                             : items[idx];
      // Like Array#join: none and undefined join as empty text.
      if (!item.is_none() && !item.is_undefined()) {
        HEARTH_ASSIGN_OR_RETURN(std::string part, concat_text_of(node, item));
        out += part;
      }
      HEARTH_RETURN_IF_ERROR(check_size(node.offset, out.size()));
    }
    HEARTH_RETURN_IF_ERROR(step(node.offset, out.size()));
    return Value(std::move(out));
  }
  if (name == "string") {
    if (operand.is_none() || operand.is_undefined() || operand.is_callable()) return wrong_type();
    HEARTH_ASSIGN_OR_RETURN(std::string text, text_of(node, operand));
    return Value(std::move(text));
  }
  if (name == "int" || name == "float") {
    const bool to_int = name == "int";
    const Value* fallback = args.get(0, "default");
    const Value default_value = fallback != nullptr ? *fallback : to_int ? Value(0) : Value(0.0);
    if (operand.is_string()) {
      if (to_int) {
        int64_t parsed = 0;
        return parse_leading_int(operand.as_string(), &parsed) ? Value(parsed) : default_value;
      }
      double parsed = 0;
      return parse_leading_float(operand.as_string(), &parsed) ? Value(parsed) : default_value;
    }
    if (operand.is_bool()) return to_int ? Value(operand.as_bool() ? 1 : 0) : Value(operand.as_bool() ? 1.0 : 0.0);
    if (operand.is_int()) return to_int ? operand : Value(static_cast<double>(operand.as_int()));
    if (operand.is_float()) {
      if (!to_int) return operand;
      const double truncated = std::trunc(operand.as_float());
      if (!std::isfinite(truncated) || std::fabs(truncated) >= 9.2e18) return fail(node.offset, "integer overflow");
      return Value(static_cast<int64_t>(truncated));
    }
    return wrong_type();
  }
  if (name == "bool") return Value(operand.truthy());
  if (name == "abs") {
    if (operand.is_int()) {
      if (operand.as_int() == INT64_MIN) return fail(node.offset, "integer overflow");
      return Value(operand.as_int() < 0 ? -operand.as_int() : operand.as_int());
    }
    if (operand.is_float()) return Value(std::fabs(operand.as_float()));
    return wrong_type();
  }
  if (name == "round") {
    if (!operand.is_number()) return wrong_type();
    const Value* precision = args.get(0, "precision");
    const Value* method = args.get(1, "method");
    const int64_t digits = precision != nullptr && precision->is_int() ? precision->as_int() : 0;
    if (digits < 0 || digits > 15) return fail(node.offset, "round precision must be from 0 to 15");
    const std::string how = method != nullptr && method->is_string() ? method->as_string() : "common";
    const double scale = std::pow(10.0, static_cast<double>(digits));
    const double scaled = operand.as_number() * scale;
    double rounded = 0;
    if (how == "common") {
      rounded = std::round(scaled);
    } else if (how == "ceil") {
      rounded = std::ceil(scaled);
    } else if (how == "floor") {
      rounded = std::floor(scaled);
    } else {
      return fail(node.offset, "round method must be common, ceil or floor");
    }
    return Value(rounded / scale);
  }
  if (operand.is_string()) {
    const std::string& text = operand.as_string();
    HEARTH_RETURN_IF_ERROR(step(node.offset, text.size()));
    if (name == "trim") {
      const Value* chars = args.get(0, "chars");
      if (chars != nullptr && chars->is_string()) return Value(trim_chars(text, chars->as_string(), true, true));
      return Value(trim_space(text, true, true));
    }
    if (name == "upper") return Value(to_upper(text));
    if (name == "lower") return Value(to_lower(text));
    if (name == "title") return Value(title_case(text));
    if (name == "capitalize") return Value(capitalize_first(text));
    if (name == "escape" || name == "e" || name == "forceescape") return Value(html_escape(text));
    if (name == "replace") {
      Callable method;
      method.kind = Callable::Kind::kMethod;
      method.name = "replace";
      method.receiver = operand;
      return call_method(node, method, args);
    }
    if (name == "indent") {
      const Value* width = args.get(0, "width");
      const Value* first = args.get(1, "first");
      const Value* blank = args.get(2, "blank");
      std::string pad(4, ' ');
      if (width != nullptr && width->is_string()) {
        pad = width->as_string();
      } else if (width != nullptr && width->is_int()) {
        if (width->as_int() < 0 || width->as_int() > 256)
          return fail(node.offset, "indent width must be from 0 to 256");
        pad.assign(static_cast<size_t>(width->as_int()), ' ');
      } else if (width != nullptr) {
        return fail(node.offset, "indent width must be an integer or a string");
      }
      const bool indent_first = first != nullptr && first->truthy();
      const bool indent_blank = blank != nullptr && blank->truthy();
      const std::vector<std::string> lines = split_python(text, "\n", false, -1);
      HEARTH_RETURN_IF_ERROR(check_size(node.offset, text.size() + lines.size() * pad.size()));
      HEARTH_RETURN_IF_ERROR(step(node.offset, text.size() + lines.size() * pad.size()));
      std::string out;
      for (size_t idx = 0; idx < lines.size(); ++idx) {
        if (idx > 0) out += '\n';
        if ((idx > 0 || indent_first) && (!lines[idx].empty() || indent_blank)) out += pad;
        out += lines[idx];
      }
      return Value(std::move(out));
    }
  } else if (name == "escape" || name == "e" || name == "forceescape") {
    HEARTH_ASSIGN_OR_RETURN(std::string text, text_of(node, operand));
    return Value(html_escape(text));
  }
  static const std::unordered_set<std::string> kKnown = {"trim",       "upper",   "lower", "title",
                                                         "capitalize", "replace", "indent"};
  if (kKnown.count(name) != 0) return wrong_type();
  return fail(node.offset, "unknown filter '" + name + "'");
}

}  // namespace hearth::text::jinja
