// SPDX-License-Identifier: Apache-2.0
// The control socket: a unix stream socket, listening, with the mode asked
// for. A stale socket file (nobody answers) is replaced; a live one (another
// hydrad) is an error, never stolen.
#pragma once

#include <sys/types.h>

#include <string>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace hydra::api {

// `group` (a name; "" keeps root's) owns the socket, so its members may use it.
Result<UniqueFd> listen_unix(const std::string& path, mode_t mode, const std::string& group = "");
// A TCP listener on "HOST:PORT" (IPv4 or [IPv6]); for the metrics endpoint.
Result<UniqueFd> listen_tcp(const std::string& address);

}  // namespace hydra::api
