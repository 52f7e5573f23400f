// FieldReader: reads the typed fields of one JSON object of a request and
// keeps the first error, which names the field (message and param). A wrong
// type or a value out of range is an error, never a default. Fields that are
// absent or null keep the caller's value. Keys nobody asked for are an error
// too (reject_unknown), as OpenAI answers "Unrecognized request argument".
//
//   FieldReader fields(body, "");
//   fields.number("temperature", &sampling.temperature, 0.0, 2.0);
//   fields.integer("top_k", &sampling.top_k, 0, 1 << 20);
//   fields.reject_unknown();
//   if (fields.failed()) return fields.error();
//
// Once an error is kept, later calls do nothing.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "api/openai_errors.h"

namespace hearth::api {

// "a string", "an integer", "null", ...: what a value is, for error messages.
std::string json_kind(const nlohmann::json& value);

// 'text', in quotes, as error messages name fields and values.
std::string quote(std::string_view text);

// A 400 invalid_request_error naming `param`.
ApiError invalid_field_error(std::string param, std::string message);

class FieldReader {
 public:
  // `object` must outlive the reader. `prefix` is prepended to field names in
  // errors ("stream_options." or "messages[2]."). A value that is not an
  // object is an error naming `object_name` (e.g. "the request body").
  FieldReader(const nlohmann::json& object, std::string prefix, std::string_view object_name);

  // True when the field is present and not null (and marks it known).
  bool has(std::string_view key);
  // The value when present and not null (marks it known); nullptr otherwise.
  const nlohmann::json* get(std::string_view key);
  // Marks a key as known and accepted without reading it (e.g. "user").
  void ignore(std::string_view key);

  void string(std::string_view key, std::string* out, bool required = false);
  void boolean(std::string_view key, bool* out);
  // Integers only (16.0 is not one), within [min, max].
  void integer(std::string_view key, int64_t* out, int64_t min, int64_t max);
  void integer(std::string_view key, int32_t* out, int32_t min, int32_t max);
  void integer(std::string_view key, std::optional<int64_t>* out, int64_t min, int64_t max);
  // Any JSON number within [min, max] (min excluded when min_exclusive; an
  // infinite max means no upper bound) that fits a float.
  void number(std::string_view key, float* out, double min, double max, bool min_exclusive = false);

  // Fails naming the first key of the object no call asked for.
  void reject_unknown();

  // Keeps `error` unless one is kept already.
  void fail(ApiError error);
  // A 400 naming prefix + key.
  void fail(std::string_view key, std::string message);

  bool failed() const { return error_.has_value(); }
  const ApiError& error() const { return *error_; }
  // prefix + key: the param an error about `key` names.
  std::string param(std::string_view key) const { return prefix_ + std::string(key); }

 private:
  const nlohmann::json* lookup(std::string_view key);

  const nlohmann::json& object_;
  std::string prefix_;
  std::set<std::string, std::less<>> known_;
  std::optional<ApiError> error_;
};

}  // namespace hearth::api
