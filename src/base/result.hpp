// SPDX-License-Identifier: Apache-2.0
// Errors as values. Result<T> holds either a T or an Error; no exceptions cross
// the event loop. Error carries an errno (0 when none applies) and context text
// that already names what was being done ("set master of veth1a: ...").
#pragma once

#include <cerrno>
#include <cstring>
#include <string>
#include <utility>
#include <variant>

namespace hydra {

struct Error {
  int code = 0;          // errno value, 0 when the error is not a system error
  std::string message;   // what failed, with the object it concerned

  // "message: strerror(code)" — the form every log line uses.
  [[nodiscard]] std::string text() const {
    if (code == 0) return message;
    return message + ": " + errno_text(code);
  }

  // strerror(3) text without strerror's shared buffer (threads log too).
  static std::string errno_text(int code) {
    const char* d = strerrordesc_np(code);
    return d ? d : "error " + std::to_string(code);
  }
};

inline Error make_error(std::string message, int code = 0) {
  return Error{code, std::move(message)};
}
// An error from the current errno, captured immediately.
inline Error errno_error(std::string message) {
  int saved = errno;
  return Error{saved, std::move(message)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  // The value, or `fallback` for an error (which is then dropped unread).
  T value_or(T fallback) const& { return ok() ? value() : std::move(fallback); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  [[nodiscard]] const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  [[nodiscard]] bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  [[nodiscard]] const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace hydra
