// SPDX-License-Identifier: Apache-2.0
// Talks to hydrad over its unix control socket.
#pragma once

#include <sys/types.h>

#include <string>

#include "docker/unix_http.hpp"

namespace hydra::cli {

using ApiReply = docker::HttpReply;

// A reply of any status; an error (naming the socket) when hydrad did not answer.
Result<ApiReply> api_request(const std::string& socket, const std::string& method, const std::string& path,
                             const std::string& body = "");

// The pid of the process serving `socket` (SO_PEERCRED), as this process's
// pid namespace sees it: 0 when it cannot see it.
Result<pid_t> api_server_pid(const std::string& socket);

}  // namespace hydra::cli
