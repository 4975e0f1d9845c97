// SPDX-License-Identifier: Apache-2.0
#include "netlink/netns.hpp"

#include <fcntl.h>
#include <sched.h>

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

NetnsSwitch::~NetnsSwitch() {
  if (!origin_.valid()) return;  // moved from
  if (setns(origin_.get(), CLONE_NEWNET) != 0) {
    std::perror("hydra: cannot return to the original network namespace");
    std::abort();
  }
}

}  // namespace hydra::netlink
