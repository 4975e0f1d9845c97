// SPDX-License-Identifier: Apache-2.0
// Test worlds in network namespaces the test creates and removes. Fixtures
// may use `ip` to build the world; the code under test never does.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "netlink/netns.hpp"

namespace hydra::test {

// Root is needed to create namespaces. Under CI (CI=true) its absence fails
// the test; on a developer's machine the test skips and says why.
#define HYDRA_REQUIRE_ROOT()                                                         \
  do {                                                                               \
    if (geteuid() != 0) {                                                            \
      if (std::getenv("CI")) FAIL() << "integration tests need root, and CI runs as root"; \
      GTEST_SKIP() << "needs root (network namespaces); skipped on this non-root machine"; \
    }                                                                                \
  } while (0)

// Runs a shell command of the fixture, returning its exit status.
inline int sh(const std::string& cmd) {
  int rc = std::system((cmd + " >/dev/null 2>&1").c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

class TestNetns {
 public:
  explicit TestNetns(const std::string& role) {
    static std::atomic<int> counter{0};
    name_ = "hyt-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + "-" + role;
    if (name_.size() > 40) name_.resize(40);
    ok_ = sh("ip netns add " + name_) == 0 && sh("ip -n " + name_ + " link set lo up") == 0;
  }
  ~TestNetns() {
    if (ok_) sh("ip netns del " + name_);
  }
  TestNetns(const TestNetns&) = delete;
  TestNetns& operator=(const TestNetns&) = delete;

  [[nodiscard]] bool ok() const { return ok_; }
  [[nodiscard]] const std::string& name() const { return name_; }
  [[nodiscard]] std::string path() const { return "/var/run/netns/" + name_; }
  // `ip -n NAME <args>`
  int ip(const std::string& args) const { return sh("ip -n " + name_ + " " + args); }
  // Runs a command inside the namespace (for ping and the like).
  int exec(const std::string& cmd) const { return sh("ip netns exec " + name_ + " " + cmd); }
  // Switches the calling thread into the namespace until the result dies.
  [[nodiscard]] netlink::NetnsSwitch enter() const {
    auto sw = netlink::NetnsSwitch::enter(path());
    if (!sw) {
      ADD_FAILURE() << sw.error().text();
      std::abort();
    }
    return std::move(*sw);
  }

 private:
  std::string name_;
  bool ok_ = false;
};

}  // namespace hydra::test
