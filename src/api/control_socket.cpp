// SPDX-License-Identifier: Apache-2.0
#include "api/control_socket.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <vector>

namespace hydra::api {

namespace {

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr.sun_path)
    return make_error("control socket path \"" + path + "\" is empty or too long", ENAMETOOLONG);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

Status make_parent(const std::string& path) {
  auto slash = path.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return {};
  std::string dir = path.substr(0, slash);
  std::string partial;
  size_t pos = 0;
  while (pos != std::string::npos) {
    pos = dir.find('/', pos + 1);
    partial = dir.substr(0, pos);
    if (!partial.empty() && mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST)
      return errno_error("create directory " + partial);
  }
  return {};
}

}  // namespace

Result<UniqueFd> listen_unix(const std::string& path, mode_t mode, const std::string& group) {
  auto addr = unix_address(path);
  if (!addr) return addr.error();
  gid_t gid = static_cast<gid_t>(-1);
  if (!group.empty()) {
    std::vector<char> buf(16384);
    struct group grp {};
    struct group* found = nullptr;
    if (getgrnam_r(group.c_str(), &grp, buf.data(), buf.size(), &found) != 0 || !found)
      return make_error("control socket group \"" + group + "\" does not exist", EINVAL);
    gid = found->gr_gid;
  }
  if (auto st = make_parent(path); !st) return st.error();
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return make_error("control socket path " + path + " exists and is not a socket", EEXIST);
    UniqueFd probe(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (probe.valid() && connect(probe.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) == 0)
      return make_error("control socket " + path + " is in use by another process", EADDRINUSE);
    if (unlink(path.c_str()) != 0) return errno_error("remove stale control socket " + path);
  }
  UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return errno_error("control socket");
  if (bind(fd.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0)
    return errno_error("bind control socket " + path);
  if (chmod(path.c_str(), mode) != 0) return errno_error("chmod control socket " + path);
  if (gid != static_cast<gid_t>(-1) && chown(path.c_str(), static_cast<uid_t>(-1), gid) != 0)
    return errno_error("give control socket " + path + " to group " + group);
  if (listen(fd.get(), 128) != 0) return errno_error("listen on control socket " + path);
  return fd;
}

Result<UniqueFd> listen_tcp(const std::string& address) {
  auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size())
    return make_error("metrics address \"" + address + "\" is not HOST:PORT", EINVAL);
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  int port = 0;
  try {
    port = std::stoi(address.substr(colon + 1));
  } catch (...) {
    port = 0;
  }
  if (port <= 0 || port > 65535) return make_error("metrics address \"" + address + "\": bad port", EINVAL);
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v4;
  } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    len = sizeof *v6;
  } else {
    return make_error("metrics address \"" + address + "\": host must be an IP address", EINVAL);
  }
  UniqueFd fd(socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd.valid()) return errno_error("metrics socket");
  int one = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) != 0) return errno_error("bind metrics address " + address);
  if (listen(fd.get(), 64) != 0) return errno_error("listen on metrics address " + address);
  return fd;
}

}  // namespace hydra::api
