#include "api/json_fields.h"

#include <cmath>
#include <cstdio>
#include <limits>

namespace hearth::api {

std::string json_kind(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
      return "null";
    case nlohmann::json::value_t::object:
      return "an object";
    case nlohmann::json::value_t::array:
      return "an array";
    case nlohmann::json::value_t::string:
      return "a string";
    case nlohmann::json::value_t::boolean:
      return "a boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
      return "an integer";
    case nlohmann::json::value_t::number_float:
      return "a number";
    case nlohmann::json::value_t::binary:
    case nlohmann::json::value_t::discarded:
      break;
  }
  return "an unsupported value";
}

std::string quote(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  out += '\'';
  out += text;
  out += '\'';
  return out;
}

ApiError invalid_field_error(std::string param, std::string message) {
  return ApiError{400, "invalid_request_error", std::move(message), std::move(param), ""};
}

namespace {

std::string format_number(double value) {
  // Shortest text that reads back as a value a person recognizes (2, 0.5, 1e+30).
  char text[32];
  std::snprintf(text, sizeof(text), "%.10g", value);
  return text;
}

}  // namespace

FieldReader::FieldReader(const nlohmann::json& object, std::string prefix, std::string_view object_name)
    : object_(object), prefix_(std::move(prefix)) {
  if (!object_.is_object()) {
    std::string param = prefix_;
    if (!param.empty() && param.back() == '.') param.pop_back();
    error_ = invalid_field_error(param, std::string(object_name) + " must be a JSON object, got " + json_kind(object_));
  }
}

const nlohmann::json* FieldReader::lookup(std::string_view key) {
  if (failed()) return nullptr;
  known_.emplace(key);
  auto it = object_.find(key);
  if (it == object_.end() || it->is_null()) return nullptr;
  return &*it;
}

bool FieldReader::has(std::string_view key) { return lookup(key) != nullptr; }

const nlohmann::json* FieldReader::get(std::string_view key) { return lookup(key); }

void FieldReader::ignore(std::string_view key) {
  if (!failed()) known_.emplace(key);
}

void FieldReader::string(std::string_view key, std::string* out, bool required) {
  const nlohmann::json* value = lookup(key);
  if (failed()) return;
  if (value == nullptr) {
    if (required) fail(key, quote(param(key)) + " is required");
    return;
  }
  if (!value->is_string()) {
    fail(key, quote(param(key)) + " must be a string, got " + json_kind(*value));
    return;
  }
  *out = value->get<std::string>();
}

void FieldReader::boolean(std::string_view key, bool* out) {
  const nlohmann::json* value = lookup(key);
  if (value == nullptr) return;
  if (!value->is_boolean()) {
    fail(key, quote(param(key)) + " must be a boolean, got " + json_kind(*value));
    return;
  }
  *out = value->get<bool>();
}

void FieldReader::integer(std::string_view key, std::optional<int64_t>* out, int64_t min, int64_t max) {
  const nlohmann::json* value = lookup(key);
  if (value == nullptr) return;
  const std::string range = "an integer between " + std::to_string(min) + " and " + std::to_string(max);
  if (!value->is_number_integer()) {
    fail(key, quote(param(key)) + " must be " + range + ", got " + json_kind(*value));
    return;
  }
  bool in_range = false;
  int64_t parsed = 0;
  if (value->is_number_unsigned()) {
    const uint64_t raw = value->get<uint64_t>();
    in_range = raw <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) && static_cast<int64_t>(raw) >= min &&
               static_cast<int64_t>(raw) <= max;
    parsed = in_range ? static_cast<int64_t>(raw) : 0;
  } else {
    parsed = value->get<int64_t>();
    in_range = parsed >= min && parsed <= max;
  }
  if (!in_range) {
    fail(key, quote(param(key)) + " must be " + range + ", got " + value->dump());
    return;
  }
  *out = parsed;
}

void FieldReader::integer(std::string_view key, int64_t* out, int64_t min, int64_t max) {
  std::optional<int64_t> parsed;
  integer(key, &parsed, min, max);
  if (parsed) *out = *parsed;
}

void FieldReader::integer(std::string_view key, int32_t* out, int32_t min, int32_t max) {
  std::optional<int64_t> parsed;
  integer(key, &parsed, min, max);
  if (parsed) *out = static_cast<int32_t>(*parsed);
}

void FieldReader::number(std::string_view key, float* out, double min, double max, bool min_exclusive) {
  const nlohmann::json* value = lookup(key);
  if (value == nullptr) return;
  // An infinite max means no upper bound.
  const std::string upper = std::isinf(max) ? "" : " and at most " + format_number(max);
  const std::string range = min_exclusive     ? "a number greater than " + format_number(min) + upper
                            : std::isinf(max) ? "a number of at least " + format_number(min)
                                              : "a number between " + format_number(min) + " and " + format_number(max);
  if (!value->is_number()) {
    fail(key, quote(param(key)) + " must be " + range + ", got " + json_kind(*value));
    return;
  }
  const double parsed = value->get<double>();
  const bool in_range = std::isfinite(parsed) && (min_exclusive ? parsed > min : parsed >= min) && parsed <= max &&
                        std::abs(parsed) <= std::numeric_limits<float>::max();
  if (!in_range) {
    fail(key, quote(param(key)) + " must be " + range + ", got " + value->dump());
    return;
  }
  *out = static_cast<float>(parsed);
}

void FieldReader::reject_unknown() {
  if (failed()) return;
  for (const auto& [key, value] : object_.items()) {
    if (known_.count(key) == 0) {
      fail(key, "Unrecognized request argument supplied: " + param(key));
      return;
    }
  }
}

void FieldReader::fail(ApiError error) {
  if (!error_) error_ = std::move(error);
}

void FieldReader::fail(std::string_view key, std::string message) {
  fail(invalid_field_error(param(key), std::move(message)));
}

}  // namespace hearth::api
