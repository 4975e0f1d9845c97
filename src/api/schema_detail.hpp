// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the schema's encoders and decoders (not part of the API).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.hpp"

namespace hydra::api::detail {

using nlohmann::json;

template <class T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

inline Error bad(const std::string& what, const Error& e) { return make_error(what + ": " + e.message, EINVAL); }

template <class T>
Result<std::vector<T>> decode_array(const json& j, Result<T> (*one)(const json&), const char* what) {
  if (!j.is_array()) return make_error(std::string(what) + " must be a JSON array", EINVAL);
  std::vector<T> out;
  for (const auto& item : j) {
    auto v = one(item);
    if (!v) return v.error();
    out.push_back(std::move(*v));
  }
  return out;
}

}  // namespace hydra::api::detail
