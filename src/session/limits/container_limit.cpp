// SPDX-License-Identifier: Apache-2.0
#include "session/limits/container_limit.hpp"

namespace hydra::session {

bool creates_container(std::string_view method, std::string_view uri) {
  if (method != "POST") return false;
  uri = uri.substr(0, uri.find('?'));
  // An optional "/v1.41" in front.
  if (uri.size() > 2 && uri.substr(0, 2) == "/v") {
    size_t i = 2;
    while (i < uri.size() && ((uri[i] >= '0' && uri[i] <= '9') || uri[i] == '.')) ++i;
    if (i > 2 && i < uri.size() && uri[i] == '/') uri = uri.substr(i);
  }
  while (uri.size() > 1 && uri.back() == '/') uri.remove_suffix(1);
  return uri == "/containers/create";
}

LimitVerdict limit_verdict(const std::string& session, size_t existing, int limit) {
  if (limit <= 0 || existing < static_cast<size_t>(limit)) return {};
  return {false, "session " + session + " may have at most " + std::to_string(limit) +
                     " containers (max_containers = " + std::to_string(limit) + ") and has " +
                     std::to_string(existing) + "; remove one (docker rm) to make room"};
}

}  // namespace hydra::session
