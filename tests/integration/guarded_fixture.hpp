// SPDX-License-Identifier: Apache-2.0
// What the guard integration tests share: a sandbox world with hydrad
// guarding its docker0, and the identity check every restore must pass.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>

#include "hydrad_process.hpp"
#include "sandbox_world.hpp"

namespace hydra::test {

using nlohmann::json;

inline std::string temp_dir() { return make_temp_dir("hydra-it"); }

struct Guarded {
  SandboxWorld world;
  std::string dir = temp_dir();
  HydradProcess hydrad{world.sbx.path(), dir};
  json before_docker0;

  explicit Guarded(int containers = 3) : world(containers) {}
  ~Guarded() { std::system(("rm -rf " + dir).c_str()); }

  bool start() {
    if (!world.ok) return false;
    before_docker0 = world.link("docker0");
    return hydrad.start();
  }
  bool delete_and_wait_restored(size_t* restored_index = nullptr) {
    size_t skip = hydrad.event_count();
    if (world.sbx.ip("link del docker0") != 0) return false;
    bool ok = hydrad.wait_for([](const json& e) { return e["event"] == "bridge_restored"; }, 5000, skip);
    if (restored_index) *restored_index = skip;
    return ok;
  }
  json last(const std::string& event) const {
    json found;
    for (const auto& e : hydrad.events())
      if (e["event"] == event) found = e;
    return found;
  }
};

// The identity of docker0 that must survive: ifindex, MAC, MTU, up, options.
inline void expect_same_identity(const json& before, const json& after) {
  ASSERT_FALSE(after.is_null()) << "docker0 is missing";
  EXPECT_EQ(after["ifindex"], before["ifindex"]);
  EXPECT_EQ(after["address"], before["address"]) << "MAC";
  EXPECT_EQ(after["mtu"], before["mtu"]);
  EXPECT_NE(std::find(after["flags"].begin(), after["flags"].end(), "UP"), after["flags"].end());
  const auto& bi = before["linkinfo"]["info_data"];
  const auto& ai = after["linkinfo"]["info_data"];
  for (const char* opt : {"ageing_time", "priority", "group_fwd_mask", "stp_state", "forward_delay", "hello_time",
                          "max_age", "mcast_snooping"})
    EXPECT_EQ(ai[opt], bi[opt]) << "option " << opt;
}

}  // namespace hydra::test
