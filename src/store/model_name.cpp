#include "store/model_name.h"

#include <cctype>

#include "net/url.h"

namespace hearth::store {
namespace {

constexpr std::string_view kSuffix = ".gguf";

bool is_name_char(char ch) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
         ch == '-' || ch == '+';
}

bool ends_with_suffix(std::string_view name) {
  if (name.size() < kSuffix.size()) return false;
  const std::string_view tail = name.substr(name.size() - kSuffix.size());
  for (size_t idx = 0; idx < kSuffix.size(); ++idx) {
    if (std::tolower(static_cast<unsigned char>(tail[idx])) != kSuffix[idx]) return false;
  }
  return true;
}

std::string printable(std::string_view name) {
  std::string out;
  for (char ch : name.substr(0, 80)) out.push_back(std::isprint(static_cast<unsigned char>(ch)) ? ch : '?');
  return out;
}

}  // namespace

Status validate_new_model_name(std::string_view name) {
  if (name.empty()) return invalid_argument_error("a model name cannot be empty");
  if (name.size() > kMaxModelNameChars) {
    return invalid_argument_error("the model name '" + printable(name) + "...' is longer than " +
                                  std::to_string(kMaxModelNameChars) + " characters");
  }
  for (char ch : name) {
    if (!is_name_char(ch)) {
      return invalid_argument_error("the model name '" + printable(name) +
                                    "' may hold only letters, digits, '.', '_', '-' and '+'");
    }
  }
  if (name.front() == '.' || name.front() == '-') {
    return invalid_argument_error("the model name '" + printable(name) + "' must not start with '.' or '-'");
  }
  if (name.find("..") != std::string_view::npos) {
    return invalid_argument_error("the model name '" + printable(name) + "' must not contain '..'");
  }
  return ok_status();
}

Status validate_existing_model_name(std::string_view name) {
  if (name.empty()) return invalid_argument_error("a model name cannot be empty");
  if (name.size() + kSuffix.size() > 255) return invalid_argument_error("the model name is too long for a file name");
  for (char ch : name) {
    if (ch == '/' || static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) {
      return invalid_argument_error("the model name '" + printable(name) +
                                    "' must be a plain file name (no '/' or control characters)");
    }
  }
  if (name.front() == '.') return invalid_argument_error("the model name '" + printable(name) + "' starts with '.'");
  return ok_status();
}

Result<std::string> model_name_from_source(std::string_view source, bool is_url) {
  std::string_view path = source;
  if (is_url) {
    const size_t cut = path.find_first_of("?#");
    if (cut != std::string_view::npos) path = path.substr(0, cut);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  const size_t slash = path.find_last_of('/');
  std::string name(slash == std::string_view::npos ? path : path.substr(slash + 1));
  if (is_url) name = net::percent_decode(name);
  if (ends_with_suffix(name)) name.resize(name.size() - kSuffix.size());
  Status valid = validate_new_model_name(name);
  if (!valid.ok()) {
    return invalid_argument_error("cannot take a model name from '" + printable(source) + "' (" + valid.message() +
                                  "); give one with --name");
  }
  return name;
}

}  // namespace hearth::store
