#include "api/openai_errors.h"

#include <nlohmann/json.hpp>

#include "api/json_output.h"

namespace hearth::api {

ErrorMapping error_mapping(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kOutOfRange:
    case ErrorCode::kUnimplemented:
    case ErrorCode::kFailedPrecondition:
      return {400, "invalid_request_error"};
    case ErrorCode::kNotFound:
      return {404, "invalid_request_error"};
    case ErrorCode::kResourceExhausted:
      return {429, "rate_limit_error"};
    case ErrorCode::kUnavailable:
      return {503, "service_unavailable_error"};
    case ErrorCode::kOk:
    case ErrorCode::kDataLoss:
    case ErrorCode::kIo:
    case ErrorCode::kInternal:
      return {500, "server_error"};
  }
  return {500, "server_error"};
}

ApiError api_error(const Status& status, std::string param, std::string code) {
  const ErrorMapping mapping = error_mapping(status.code());
  std::string message = status.ok() ? "internal error: an ok status reported as an error" : status.message();
  return ApiError{mapping.http_status, mapping.type, std::move(message), std::move(param), std::move(code)};
}

ApiError route_not_found_error(std::string_view method, std::string_view path) {
  return ApiError{404, "invalid_request_error", "Unknown request URL: " + std::string(method) + " " + std::string(path),
                  "", "unknown_url"};
}

ApiError method_not_allowed_error(std::string_view method, std::string_view path) {
  return ApiError{405, "invalid_request_error",
                  "Method " + std::string(method) + " is not allowed on " + std::string(path), "",
                  "method_not_allowed"};
}

ApiError body_too_large_error(int64_t max_body_bytes) {
  return ApiError{413, "invalid_request_error",
                  "The request body is larger than the server's limit of " + std::to_string(max_body_bytes) +
                      " bytes (hearth serve --max-body-bytes)",
                  "", "request_too_large"};
}

ApiError internal_exception_error(std::string_view request_id) {
  return ApiError{500, "server_error",
                  "The server failed while handling this request; its log has the details under the request id " +
                      std::string(request_id),
                  "", ""};
}

std::string render_error_body(const ApiError& error) {
  nlohmann::json body = {{"error",
                          {{"message", error.message},
                           {"type", error.type},
                           {"param", error.param.empty() ? nlohmann::json(nullptr) : nlohmann::json(error.param)},
                           {"code", error.code.empty() ? nlohmann::json(nullptr) : nlohmann::json(error.code)}}}};
  return dump_json(body);
}

}  // namespace hearth::api

namespace hearth::api {

std::string render_anthropic_error_body(const ApiError& error) {
  const char* type = "api_error";
  switch (error.http_status) {
    case 400:
    case 405:
    case 431:
      type = "invalid_request_error";
      break;
    case 401:
      type = "authentication_error";
      break;
    case 403:
      type = "permission_error";
      break;
    case 404:
      type = "not_found_error";
      break;
    case 413:
      type = "request_too_large";
      break;
    case 429:
      type = "rate_limit_error";
      break;
    case 503:
      type = "overloaded_error";
      break;
    default:
      break;
  }
  return dump_json({{"type", "error"}, {"error", {{"type", type}, {"message", error.message}}}});
}

}  // namespace hearth::api
