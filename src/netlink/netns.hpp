// SPDX-License-Identifier: Apache-2.0
// Running code in another network namespace on the calling thread. The switch
// is RAII: the destructor always returns the thread to the namespace it came
// from (and aborts if it cannot, since a thread stranded in the wrong
// namespace would act on the wrong interfaces).
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>

#include "base/result.hpp"
#include "base/unique_fd.hpp"

namespace hydra::netlink {

Result<UniqueFd> open_netns(const std::string& path);
Result<UniqueFd> open_netns_of_pid(pid_t pid);

// Network namespaces of hydra's own, pinned by a bind mount at a path (the
// way ip-netns pins them): a namespace outlives hydrad and the next one finds
// it there. Creating one replaces whatever was left at the path.
Status create_pinned_netns(const std::string& path);
// Pins an existing namespace (e.g. /proc/PID/ns/net) at `path`.
Status pin_netns(const std::string& source, const std::string& path);
// Unmounts (lazily: a process may still hold the namespace) and unlinks;
// nothing at the path is fine.
Status unpin_netns(const std::string& path);
// True when `path` is a pinned namespace (an nsfs mount, not a plain file).
bool netns_pinned(const std::string& path);
// True when both name the same namespace.
bool same_netns(const std::string& a, const std::string& b);

class NetnsSwitch {
 public:
  static Result<NetnsSwitch> enter(int target_fd);
  static Result<NetnsSwitch> enter(const std::string& path);
  static Result<NetnsSwitch> enter_pid(pid_t pid);
  // Moves this thread (only: unshare(CLONE_NEWNET) is per thread) into a
  // new, empty namespace.
  static Result<NetnsSwitch> enter_new();
  NetnsSwitch(NetnsSwitch&&) noexcept = default;
  NetnsSwitch& operator=(NetnsSwitch&&) = delete;
  NetnsSwitch(const NetnsSwitch&) = delete;
  ~NetnsSwitch();

 private:
  explicit NetnsSwitch(UniqueFd origin) : origin_(std::move(origin)) {}
  UniqueFd origin_;
};

// Runs f() inside the namespace at `path` and returns its result.
template <class F>
auto in_netns(const std::string& path, F&& f) -> decltype(f()) {
  auto sw = NetnsSwitch::enter(path);
  if (!sw) return sw.error();
  return f();
}

}  // namespace hydra::netlink
