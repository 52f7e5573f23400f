// Status and Result<T>: expected failures as values (see STYLE.md, "Errors").
//
// A function that can fail because of its input or the environment returns
// Status or Result<T>; bugs are asserts. Propagate with HEARTH_RETURN_IF_ERROR
// and HEARTH_ASSIGN_OR_RETURN:
//
//   Result<GgufFile> open_model(const std::string& path) {
//     HEARTH_ASSIGN_OR_RETURN(auto file, GgufFile::open(path));
//     HEARTH_RETURN_IF_ERROR(check_architecture(file));
//     return file;
//   }
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace hearth {

// Error kinds. The API layer maps each to one HTTP status and OpenAI error type.
enum class ErrorCode {
  kOk = 0,
  kInvalidArgument,     // the caller's input is wrong (bad flag, bad request field)
  kNotFound,            // a named thing does not exist (file, model, key)
  kOutOfRange,          // a value is beyond a limit (context length, body size)
  kDataLoss,            // a file or stream is corrupt or truncated
  kUnimplemented,       // valid but not supported (an unknown architecture or type)
  kResourceExhausted,   // memory, queue or rate limits
  kFailedPrecondition,  // the system is not in a state to do this
  kIo,                  // the operating system refused (open, read, mmap)
  kUnavailable,         // temporarily unable to serve (shutting down, no capacity); retry later
  kInternal,            // a bug surfaced as a value
};

const char* error_code_name(ErrorCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "invalid_argument: <message>", for logs and the CLI.
  std::string to_string() const;

 private:
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

inline Status ok_status() { return Status(); }
inline Status invalid_argument_error(std::string m) { return {ErrorCode::kInvalidArgument, std::move(m)}; }
inline Status not_found_error(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
inline Status out_of_range_error(std::string m) { return {ErrorCode::kOutOfRange, std::move(m)}; }
inline Status data_loss_error(std::string m) { return {ErrorCode::kDataLoss, std::move(m)}; }
inline Status unimplemented_error(std::string m) { return {ErrorCode::kUnimplemented, std::move(m)}; }
inline Status resource_exhausted_error(std::string m) { return {ErrorCode::kResourceExhausted, std::move(m)}; }
inline Status failed_precondition_error(std::string m) { return {ErrorCode::kFailedPrecondition, std::move(m)}; }
inline Status io_error(std::string m) { return {ErrorCode::kIo, std::move(m)}; }
inline Status unavailable_error(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
inline Status internal_error(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }

// Result<T> holds a T or a non-ok Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "Result built from an ok Status has no value");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace hearth

#define HEARTH_CONCAT_INNER(a, b) a##b
#define HEARTH_CONCAT(a, b) HEARTH_CONCAT_INNER(a, b)

#define HEARTH_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::hearth::Status hearth_status_ = (expr);        \
    if (!hearth_status_.ok()) return hearth_status_; \
  } while (0)

#define HEARTH_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.ok()) return tmp.status();                \
  lhs = std::move(tmp).value()

#define HEARTH_ASSIGN_OR_RETURN(lhs, expr) \
  HEARTH_ASSIGN_OR_RETURN_IMPL(HEARTH_CONCAT(hearth_result_, __LINE__), lhs, expr)
