// SPDX-License-Identifier: Apache-2.0
// Talks to hydrad over its unix control socket.
#pragma once

#include <string>

#include "docker/unix_http.hpp"

namespace hydra::cli {

using ApiReply = docker::HttpReply;

// A reply of any status; an error (naming the socket) when hydrad did not answer.
Result<ApiReply> api_request(const std::string& socket, const std::string& method, const std::string& path,
                             const std::string& body = "");

}  // namespace hydra::cli
