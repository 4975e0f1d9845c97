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

class NetnsSwitch {
 public:
  static Result<NetnsSwitch> enter(int target_fd);
  static Result<NetnsSwitch> enter(const std::string& path);
  static Result<NetnsSwitch> enter_pid(pid_t pid);
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
