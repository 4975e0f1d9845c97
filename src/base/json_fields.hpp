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
  out = it->get<bool>();
  return {};
}

template <class Int, class = std::enable_if_t<std::is_integral_v<Int> && !std::is_same_v<Int, bool>>>
Status read(const json& j, const char* key, Int& out, bool required = false) {
  auto it = j.find(key);
  if (it == j.end()) return required ? make_error(std::string("missing field \"") + key + "\"", EINVAL) : Status{};
  if (!it->is_number_integer()) return wrong(key, "an integer");
  if (it->is_number_unsigned()) {
    const uint64_t v = it->get<uint64_t>();
    if (v > static_cast<uint64_t>(std::numeric_limits<Int>::max())) return wrong(key, "an integer in range");
    out = static_cast<Int>(v);
    return {};
  }
  const int64_t v = it->get<int64_t>();
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
    out.push_back(v.get<std::string>());
  }
  return {};
}

// The first error of several reads, all of which are attempted.
inline Status first_error(std::initializer_list<Status> results) {
  for (const auto& st : results)
    if (!st) return st;
  return {};
}

}  // namespace hydra::json_fields
