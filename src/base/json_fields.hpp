// SPDX-License-Identifier: Apache-2.0
// Typed reads of JSON object fields that never throw: every file hydrad
// reads and every body it decodes goes through these, so a value of the
// wrong type is an error naming the field, never an exception.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.hpp"

namespace hydra::json_fields {

using nlohmann::json;

inline Error wrong(const char* key, const char* what) {
  return make_error(std::string("field \"") + key + "\" must be " + what, EINVAL);
}

// A missing field leaves `out` as it is unless `required`.
inline Status read(const json& j, const char* key, std::string& out, bool required = false) {
  auto it = j.find(key);
  if (it == j.end()) return required ? make_error(std::string("missing field \"") + key + "\"", EINVAL) : Status{};
  if (!it->is_string()) return wrong(key, "a string");
  out = it->get_ref<const std::string&>();
  return {};
}

inline Status read(const json& j, const char* key, bool& out, bool required = false) {
  auto it = j.find(key);
  if (it == j.end()) return required ? make_error(std::string("missing field \"") + key + "\"", EINVAL) : Status{};
  if (!it->is_boolean()) return wrong(key, "a boolean");
  out = it->get_ref<const json::boolean_t&>();
  return {};
}

template <class Int, class = std::enable_if_t<std::is_integral_v<Int> && !std::is_same_v<Int, bool>>>
Status read(const json& j, const char* key, Int& out, bool required = false) {
  auto it = j.find(key);
  if (it == j.end()) return required ? make_error(std::string("missing field \"") + key + "\"", EINVAL) : Status{};
  if (!it->is_number_integer()) return wrong(key, "an integer");
  if (it->is_number_unsigned()) {
    const uint64_t v = it->get_ref<const json::number_unsigned_t&>();
    if (v > static_cast<uint64_t>(std::numeric_limits<Int>::max())) return wrong(key, "an integer in range");
    out = static_cast<Int>(v);
    return {};
  }
  const int64_t v = it->get_ref<const json::number_integer_t&>();
  if constexpr (std::is_unsigned_v<Int>) {
    if (v < 0 || static_cast<uint64_t>(v) > std::numeric_limits<Int>::max()) return wrong(key, "an integer in range");
  } else {
    if (v < std::numeric_limits<Int>::min() || v > std::numeric_limits<Int>::max())
      return wrong(key, "an integer in range");
  }
  out = static_cast<Int>(v);
  return {};
}

// null or missing → nullopt.
template <class T>
Status read(const json& j, const char* key, std::optional<T>& out) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) {
    out.reset();
    return {};
  }
  T v{};
  if (auto st = read(j, key, v); !st) return st;
  out = std::move(v);
  return {};
}

inline Status read(const json& j, const char* key, std::vector<std::string>& out) {
  auto it = j.find(key);
  if (it == j.end()) return {};
  if (!it->is_array()) return wrong(key, "an array of strings");
  out.clear();
  for (const auto& v : *it) {
    if (!v.is_string()) return wrong(key, "an array of strings");
    out.push_back(v.get_ref<const std::string&>());
  }
  return {};
}

// A value itself when it has the type (array items, object values):
// nullopt otherwise.
inline std::optional<std::string> as_string(const json& v) {
  if (!v.is_string()) return std::nullopt;
  return v.get_ref<const std::string&>();
}
inline std::optional<bool> as_bool(const json& v) {
  if (!v.is_boolean()) return std::nullopt;
  return v.get_ref<const json::boolean_t&>();
}
inline std::optional<uint64_t> as_u64(const json& v) {
  if (!v.is_number_unsigned()) return std::nullopt;
  return v.get_ref<const json::number_unsigned_t&>();
}

// For answers hydrad only looks into (a dockerd's, libnftables'): the field
// when it is there with the type, else `fallback` (a wrong type is treated
// as absent, never thrown).
inline std::string string_or(const json& j, const char* key, std::string fallback = {}) {
  std::string out = std::move(fallback);
  (void)read(j, key, out);
  return out;
}
inline bool bool_or(const json& j, const char* key, bool fallback) {
  bool out = fallback;
  if (!read(j, key, out)) return fallback;
  return out;
}
template <class Int>
Int int_or(const json& j, const char* key, Int fallback) {
  Int out = fallback;
  if (!read(j, key, out)) return fallback;
  return out;
}
// The field when it is an object / an array, else nullptr.
inline const json* object_field(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_object() ? &*it : nullptr;
}
inline const json* array_field(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_array() ? &*it : nullptr;
}

// The first error of several reads, all of which are attempted.
inline Status first_error(std::initializer_list<Status> results) {
  for (const auto& st : results)
    if (!st) return st;
  return {};
}

}  // namespace hydra::json_fields
