// SPDX-License-Identifier: Apache-2.0
// max_containers as Docker's authorization plugin sees it: which requests
// create a container, and the verdict for one. Pure, unit-tested.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace hydra::session {

// POST /containers/create, with or without an API version prefix
// (/v1.41/containers/create?name=x).
bool creates_container(std::string_view method, std::string_view uri);

struct LimitVerdict {
  bool allow = true;
  std::string message;  // why not, for the user of `docker run`
};
// `existing`: containers in every state (a stopped one keeps its slot until
// removed). `limit` 0 means no limit.
LimitVerdict limit_verdict(const std::string& session, size_t existing, int limit);

}  // namespace hydra::session
