// OpenAI-format errors: the one table from hearth's ErrorCode to an HTTP
// status and an OpenAI error type, and the {"error": {...}} body every failed
// request gets.
// ref: openai-openapi.json components.schemas.ErrorResponse / Error
//
//   ApiError error = api_error(status, /*param=*/"temperature");
//   response.status = error.http_status;
//   response.body = render_error_body(error);
//
// Errors that are HTTP-level rather than ErrorCodes (unknown route, wrong
// method, body too large) have their own constructors here, so every status
// and type the server sends is decided in this file.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "base/status.h"

namespace hearth::api {

struct ApiError {
  int http_status = 500;
  std::string type;     // OpenAI error type, e.g. "invalid_request_error"
  std::string message;  // one sentence a person can act on
  std::string param;    // the request field at fault; "" renders null
  std::string code;     // machine-readable detail ("model_not_found"); "" renders null
};

// One row of the table.
struct ErrorMapping {
  int http_status;
  const char* type;
};

// The table: kInvalidArgument/kOutOfRange/kUnimplemented/kFailedPrecondition
// 400 invalid_request_error; kNotFound 404 invalid_request_error (OpenAI's
// type for an unknown model); kResourceExhausted 429 rate_limit_error;
// kUnavailable 503 service_unavailable_error; kDataLoss/kIo/kInternal (and
// kOk, which is a bug here) 500 server_error.
ErrorMapping error_mapping(ErrorCode code);

// `status` must not be ok (a bug otherwise: it maps to a 500).
ApiError api_error(const Status& status, std::string param = {}, std::string code = {});

ApiError route_not_found_error(std::string_view method, std::string_view path);
ApiError method_not_allowed_error(std::string_view method, std::string_view path);
ApiError body_too_large_error(int64_t max_body_bytes);
// The boundary for anything thrown inside a handler: a 500 that names the
// request id and nothing of what was thrown (that goes to the log only).
ApiError internal_exception_error(std::string_view request_id);

// {"error":{"message":...,"type":...,"param":...|null,"code":...|null}}
std::string render_error_body(const ApiError& error);

// The same error as Anthropic's Messages API renders it, for /v1/messages:
// {"type":"error","error":{"type":"invalid_request_error","message":...}}; the
// type follows the HTTP status (400 invalid_request_error, 401
// authentication_error, 404 not_found_error, 413 request_too_large, 429
// rate_limit_error, 503 overloaded_error, else api_error).
// ref: https://docs.anthropic.com/en/api/errors
std::string render_anthropic_error_body(const ApiError& error);

// A value of T or an ApiError: what request parsing and preparation return,
// so the error keeps the field it names (Status has no place for one).
template <typename T>
class [[nodiscard]] ApiResult {
 public:
  ApiResult(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  ApiResult(ApiError error) : value_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return value_.index() == 0; }
  T& value() & { return std::get<0>(value_); }
  const T& value() const& { return std::get<0>(value_); }
  T&& value() && { return std::get<0>(std::move(value_)); }
  const ApiError& error() const { return std::get<1>(value_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, ApiError> value_;
};

}  // namespace hearth::api
