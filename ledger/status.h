// Status and Result: expected failures (bad input, missing key, corrupt record) are values.
//
// A message says what, where and how to fix, for example
//   line 3 (expenditure_recorded): field "amount": "12.345" has 3 decimals, CNY allows 2
// Assertions (FT_ASSERT) are for bugs in this code; they stay on in release builds.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <expected>
#include <string>
#include <utility>

namespace fundtrail {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // bad input: nothing was appended
  kNotFound,
  kAlreadyExists,
  kPermissionDenied,
  kCorruption,  // the store or a bundle does not verify
  kBusy,        // the ledger is in use by another writer
  kIoError,
  kNotAnchored,  // valid data, but not tied to the trust anchor given (ledger/anchors.h)
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status PermissionDenied(std::string m) { return {StatusCode::kPermissionDenied, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status Busy(std::string m) { return {StatusCode::kBusy, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status NotAnchored(std::string m) { return {StatusCode::kNotAnchored, std::move(m)}; }

  // Lets FT_RETURN_IF_ERROR return a failed Status from a function returning Result<T>.
  // REQUIRES: !ok().
  template <typename T>
  operator std::expected<T, Status>() const {
    return std::unexpected(*this);
  }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "prefix: message".
  Status WithPrefix(const std::string& prefix) const {
    return Status(code_, prefix + ": " + message_);
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename T>
using Result = std::expected<T, Status>;

inline std::unexpected<Status> Error(Status status) { return std::unexpected(std::move(status)); }

[[noreturn]] inline void AssertFail(const char* condition, const char* file, int line,
                                    const char* message) {
  std::fprintf(stderr, "fundtrail: internal error (a bug): %s:%d: assertion %s failed%s%s\n", file,
               line, condition, message[0] ? ": " : "", message);
  std::abort();
}

}  // namespace fundtrail

#define FT_ASSERT(condition, ...)                                                           \
  do {                                                                                      \
    if (!(condition)) ::fundtrail::AssertFail(#condition, __FILE__, __LINE__, "" __VA_ARGS__); \
  } while (false)

#define FT_RETURN_IF_ERROR(expression)         \
  do {                                         \
    ::fundtrail::Status status_ = (expression); \
    if (!status_.ok()) return status_;         \
  } while (false)
