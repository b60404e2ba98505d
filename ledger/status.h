// Status and Result: expected failures (bad input, missing key, corrupt record) are values.
//
// A message says what, where and how to fix, for example
//   line 3 (expenditure_recorded): field "amount": "12.345" has 3 decimals, CNY allows 2
// Assertions (FT_ASSERT) are for bugs in this code; they stay on in release builds.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>

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

namespace fundtrail {

// Result<T>: a T, or the Status that says why there is none. A small in-house stand-in for
// std::expected<T, Status> (the subset this code uses), so that compilers without <expected>
// (clang 14, which builds the libFuzzer targets) compile the code too.
//
// A function returning Result<T> returns a T (or anything a T is made from), `Error(status)` or a
// failed Status (as FT_RETURN_IF_ERROR does). Reading the value of an error, or the error of a
// value, is a bug: it asserts (where std::expected would throw or be undefined).
template <typename T>
class [[nodiscard]] Result {
  static_assert(!std::is_reference_v<T> && !std::is_same_v<std::remove_cv_t<T>, Status>,
                "Result<T> holds a value, never a reference or a Status");

 public:
  using value_type = T;

  // A default-constructed T, as std::expected does.
  Result() requires std::is_default_constructible_v<T> : storage_(std::in_place_index<0>) {}

  // A value: anything a T is made from (std::nullopt, a string literal, a derived pointer).
  template <typename U = T>
    requires(std::is_constructible_v<T, U &&> &&
             !std::is_same_v<std::remove_cvref_t<U>, Result> &&
             !std::is_same_v<std::remove_cvref_t<U>, Status> &&
             !std::is_same_v<std::remove_cvref_t<U>, std::in_place_t>)
  Result(U&& value) : storage_(std::in_place_index<0>, std::forward<U>(value)) {}

  // An error. REQUIRES: !status.ok() (an ok Status carries no value to return).
  Result(Status status) : storage_(std::in_place_index<1>, std::move(status)) {
    FT_ASSERT(!std::get<1>(storage_).ok(), "a Result made from an ok Status has no value");
  }

  // The value or the error of a Result of another type whose value converts to a T.
  template <typename U>
    requires(!std::is_same_v<U, T> && std::is_constructible_v<T, U &&>)
  Result(Result<U>&& other)
      : storage_(other.has_value() ? Storage(std::in_place_index<0>, std::move(*other))
                                   : Storage(std::in_place_index<1>, std::move(other).error())) {}

  bool has_value() const { return storage_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  // REQUIRES: has_value().
  T& value() & { return CheckedValue(); }
  const T& value() const& { return CheckedValue(); }
  T&& value() && { return std::move(CheckedValue()); }
  T& operator*() & { return CheckedValue(); }
  const T& operator*() const& { return CheckedValue(); }
  T&& operator*() && { return std::move(CheckedValue()); }
  T* operator->() { return &CheckedValue(); }
  const T* operator->() const { return &CheckedValue(); }

  template <typename U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(storage_) : static_cast<T>(std::forward<U>(fallback));
  }
  template <typename U>
  T value_or(U&& fallback) && {
    return has_value() ? std::move(std::get<0>(storage_)) : static_cast<T>(std::forward<U>(fallback));
  }

  // REQUIRES: !has_value().
  Status& error() & { return CheckedError(); }
  const Status& error() const& { return CheckedError(); }
  Status&& error() && { return std::move(CheckedError()); }

 private:
  using Storage = std::variant<T, Status>;

  T& CheckedValue() {
    FT_ASSERT(has_value(), "the value of a Result that holds an error");
    return *std::get_if<0>(&storage_);
  }
  const T& CheckedValue() const {
    FT_ASSERT(has_value(), "the value of a Result that holds an error");
    return *std::get_if<0>(&storage_);
  }
  Status& CheckedError() {
    FT_ASSERT(!has_value(), "the error of a Result that holds a value");
    return *std::get_if<1>(&storage_);
  }
  const Status& CheckedError() const {
    FT_ASSERT(!has_value(), "the error of a Result that holds a value");
    return *std::get_if<1>(&storage_);
  }

  Storage storage_;
};

// Makes the error of a Result: `return Error(Status::NotFound("..."));`. REQUIRES: !status.ok().
inline Status Error(Status status) { return status; }

}  // namespace fundtrail
