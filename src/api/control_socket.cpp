#include "api/control_socket.hpp"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

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

Result<UniqueFd> listen_unix(const std::string& path, mode_t mode) {
  auto addr = unix_address(path);
  if (!addr) return addr.error();
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
  if (listen(fd.get(), 128) != 0) return errno_error("listen on control socket " + path);
  return fd;
}

}  // namespace hydra::api
