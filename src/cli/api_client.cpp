// SPDX-License-Identifier: Apache-2.0
#include "cli/api_client.hpp"

#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include "base/unique_fd.hpp"

namespace hydra::cli {

Result<ApiReply> api_request(const std::string& socket, const std::string& method, const std::string& path,
                             const std::string& body) {
  // A session start can take a minute; so may a stop (30 s per container).
  auto r = docker::unix_http(socket, method, path, body, 180);
  if (!r) return make_error("cannot reach hydrad at " + socket + ": " + r.error().message + " (is hydrad running?)",
                            r.error().code);
  return r;
}

Result<pid_t> api_server_pid(const std::string& socket_path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof addr.sun_path) return make_error("socket path too long: " + socket_path, ENAMETOOLONG);
  std::memcpy(addr.sun_path, socket_path.c_str(), socket_path.size() + 1);
  UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return errno_error("unix socket");
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0)
    return errno_error("connect to " + socket_path);
  ucred cred{};
  socklen_t len = sizeof cred;
  if (getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return errno_error("SO_PEERCRED of " + socket_path);
  return cred.pid;
}

}  // namespace hydra::cli
