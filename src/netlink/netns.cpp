// SPDX-License-Identifier: Apache-2.0
#include "netlink/netns.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

namespace hydra::netlink {

Result<UniqueFd> open_netns(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno_error("open network namespace " + path);
  return UniqueFd(fd);
}

Result<UniqueFd> open_netns_of_pid(pid_t pid) {
  return open_netns("/proc/" + std::to_string(pid) + "/ns/net");
}

Result<NetnsSwitch> NetnsSwitch::enter(int target_fd) {
  auto origin = open_netns("/proc/thread-self/ns/net");
  if (!origin) return origin.error();
  if (setns(target_fd, CLONE_NEWNET) != 0) return errno_error("enter network namespace");
  return NetnsSwitch(std::move(*origin));
}

Result<NetnsSwitch> NetnsSwitch::enter(const std::string& path) {
  auto target = open_netns(path);
  if (!target) return target.error();
  auto sw = enter(target->get());
  if (!sw) return make_error("enter network namespace " + path, sw.error().code);
  return sw;
}

Result<NetnsSwitch> NetnsSwitch::enter_pid(pid_t pid) {
  return enter("/proc/" + std::to_string(pid) + "/ns/net");
}

bool netns_pinned(const std::string& path) {
  struct statfs fs {};
  return statfs(path.c_str(), &fs) == 0 && fs.f_type == static_cast<decltype(fs.f_type)>(NSFS_MAGIC);
}

bool same_netns(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  return stat(a.c_str(), &sa) == 0 && stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

Status unpin_netns(const std::string& path) {
  // A path may carry stacked mounts (a crash between two pins): all of them.
  while (netns_pinned(path))
    if (umount2(path.c_str(), MNT_DETACH) != 0) return errno_error("unmount network namespace " + path);
  if (unlink(path.c_str()) != 0 && errno != ENOENT) return errno_error("remove " + path);
  return {};
}

Status pin_netns(const std::string& source, const std::string& path) {
  if (auto st = unpin_netns(path); !st) return st;
  int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444);
  if (fd < 0) return errno_error("create " + path);
  ::close(fd);
  if (mount(source.c_str(), path.c_str(), nullptr, MS_BIND, nullptr) != 0) {
    Error e = errno_error("pin network namespace " + source + " at " + path);
    unlink(path.c_str());
    return e;
  }
  return {};
}

Status create_pinned_netns(const std::string& path) {
  auto inside = NetnsSwitch::enter_new();
  if (!inside) return make_error("create network namespace for " + path, inside.error().code);
  return pin_netns("/proc/thread-self/ns/net", path);
}

Result<NetnsSwitch> NetnsSwitch::enter_new() {
  auto origin = open_netns("/proc/thread-self/ns/net");
  if (!origin) return origin.error();
  if (unshare(CLONE_NEWNET) != 0) return errno_error("create network namespace");
  return NetnsSwitch(std::move(*origin));
}

NetnsSwitch::~NetnsSwitch() {
  if (!origin_.valid()) return;  // moved from
  if (setns(origin_.get(), CLONE_NEWNET) != 0) {
    std::perror("hydra: cannot return to the original network namespace");
    std::abort();
  }
}

}  // namespace hydra::netlink
