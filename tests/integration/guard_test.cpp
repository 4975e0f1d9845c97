// SPDX-License-Identifier: Apache-2.0
// hydrad guarding docker0, against the real kernel, in namespaces.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <fstream>

#include "guarded_fixture.hpp"

using namespace hydra::test;
using nlohmann::json;

TEST(Guard, RestoresIdentityAddressesPortsAndFlags) {
  HYDRA_REQUIRE_ROOT();
  Guarded g;
  ASSERT_TRUE(g.start());
  auto ports_before = g.world.ports_of("docker0");
  ASSERT_EQ(ports_before, (std::vector<std::string>{"vethc0", "vethc1", "vethc2"}));
  auto addrs_before = g.world.addresses("docker0");
  ASSERT_TRUE(g.delete_and_wait_restored());
  expect_same_identity(g.before_docker0, g.world.link("docker0"));
  EXPECT_EQ(g.world.ports_of("docker0"), ports_before);
  EXPECT_EQ(g.world.addresses("docker0"), addrs_before);
  auto port0 = g.world.link("vethc0")["linkinfo"]["info_slave_data"];
  EXPECT_EQ(port0["hairpin"], true);
  EXPECT_EQ(port0["learning"], false);
  auto port1 = g.world.link("vethc1")["linkinfo"]["info_slave_data"];
  EXPECT_EQ(port1["hairpin"], false);
  EXPECT_EQ(port1["learning"], true);
  json ev = g.last("bridge_restored");
  EXPECT_EQ(ev["bridge"], "docker0");
  EXPECT_EQ(ev["ports"], 3);
  EXPECT_EQ(ev["ifindex"], g.before_docker0["ifindex"]);
  EXPECT_GT(ev["detect_us"].get<int64_t>(), 0);
  EXPECT_GE(ev["restore_us"].get<int64_t>(), ev["detect_us"].get<int64_t>());
  // Its own changes do not set it off again.
  usleep(400000);
  EXPECT_EQ(g.hydrad.count("bridge_restored"), 1u);
  EXPECT_EQ(g.hydrad.count("bridge_repaired"), 0u);
  EXPECT_EQ(g.hydrad.count("port_released"), 0u);
  EXPECT_EQ(g.hydrad.count("restore_retry"), 0u);
}

TEST(Guard, NeverHarmsWhatWasNotOnTheBridge) {
  HYDRA_REQUIRE_ROOT();
  Guarded g;
  ASSERT_TRUE(g.start());
  auto eth0 = g.world.link("eth0");
  ASSERT_TRUE(g.delete_and_wait_restored());
  EXPECT_EQ(g.world.master_of("eth0"), "") << "the sandbox's eth0 is a masterless veth: never attached";
  EXPECT_EQ(g.world.addresses("eth0"), (std::vector<std::string>{"192.0.2.2/24"}));
  EXPECT_EQ(g.world.link("eth0")["ifindex"], eth0["ifindex"]);
  EXPECT_EQ(g.world.master_of("vethb-h1"), "hydra1");
  EXPECT_EQ(g.world.master_of("vethstray"), "") << "a masterless veth that was never recorded";
  EXPECT_EQ(g.world.master_of("vethb-peer"), "");
  EXPECT_EQ(g.world.master_of("lo"), "");
  EXPECT_EQ(g.world.ports_of("hydra1"), (std::vector<std::string>{"vethb-h1"}));
}

TEST(Guard, RestartFromSnapshotRefusesChangedPorts) {
  HYDRA_REQUIRE_ROOT();
  Guarded g;
  ASSERT_TRUE(g.start());
  g.hydrad.stop(SIGKILL);
  // While hydrad is dead: docker0 goes, one port joins hydra1, one gets an address.
  ASSERT_EQ(g.world.sbx.ip("link del docker0"), 0);
  ASSERT_EQ(g.world.sbx.ip("link set vethc1 master hydra1"), 0);
  ASSERT_EQ(g.world.sbx.ip("addr add 10.99.0.1/24 dev vethc2"), 0);
  ASSERT_TRUE(g.hydrad.start());
  ASSERT_TRUE(g.hydrad.wait_for([](const json& e) { return e["event"] == "bridge_restored"; }, 5000));
  expect_same_identity(g.before_docker0, g.world.link("docker0"));
  EXPECT_EQ(g.world.ports_of("docker0"), (std::vector<std::string>{"vethc0"}));
  EXPECT_EQ(g.world.master_of("vethc1"), "hydra1");
  EXPECT_EQ(g.world.master_of("vethc2"), "");
  json ev = g.last("bridge_restored");
  ASSERT_EQ(ev["ports_refused"].size(), 2u) << ev.dump();
}

TEST(Guard, ContainersReachTheGatewayWithTheSameNeighbourEntry) {
  HYDRA_REQUIRE_ROOT();
  Guarded g;
  ASSERT_TRUE(g.start());
  for (auto& c : g.world.containers) ASSERT_EQ(c->exec("ping -c1 -W1 10.213.0.1"), 0);
  std::vector<std::string> neigh_before;
  for (auto& c : g.world.containers)
    neigh_before.push_back(capture("ip -n " + c->name() + " -j neigh show 10.213.0.1"));
  ASSERT_TRUE(g.delete_and_wait_restored());
  for (size_t i = 0; i < g.world.containers.size(); ++i) {
    auto& c = g.world.containers[i];
    EXPECT_EQ(c->exec("ping -c1 -W1 10.213.0.1"), 0) << c->name();
    auto before = json::parse(neigh_before[i]);
    auto after = json::parse(capture("ip -n " + c->name() + " -j neigh show 10.213.0.1"));
    ASSERT_FALSE(before.empty());
    ASSERT_FALSE(after.empty());
    EXPECT_EQ(after[0]["lladdr"], before[0]["lladdr"]) << "gateway MAC unchanged in " << c->name();
    EXPECT_EQ(after[0]["lladdr"], "02:42:0a:d5:00:01");
  }
}

TEST(Guard, TwoHundredDeletionsBackToBack) {
  HYDRA_REQUIRE_ROOT();
  Guarded g;
  ASSERT_TRUE(g.start());
  auto ports = g.world.ports_of("docker0");
  auto addrs = g.world.addresses("docker0");
  for (int i = 0; i < 200; ++i) {
    // Delete as soon as hydrad has announced the previous restore. (Deleting
    // as soon as the name exists again cuts a restore short on a slow
    // machine; it is retried, and two deletions then make one restore.)
    ASSERT_TRUE(wait_until([&] { return g.hydrad.count("bridge_restored") >= static_cast<size_t>(i); }, 20000, 1))
        << "restore " << i;
    ASSERT_EQ(g.world.sbx.ip("link del docker0"), 0) << "deletion " << i;
  }
  ASSERT_TRUE(g.hydrad.wait_for(
      [&](const json&) { return g.hydrad.count("bridge_restored") >= 200; }, 20000));
  // A restore cut short by the next deletion is retried with backoff (up to
  // 5 s): on a loaded machine under ASan the last one can take a while.
  ASSERT_TRUE(wait_until([&] { return g.world.ports_of("docker0") == ports && g.world.addresses("docker0") == addrs; },
                         30000))
      << "ports " << json(g.world.ports_of("docker0")).dump() << " (before " << json(ports).dump() << "), addresses "
      << json(g.world.addresses("docker0")).dump() << "; the guard's last events:\n" << [&] {
           // Every event but the routine ones, then the last few.
           auto evs = g.hydrad.events();
           std::string out;
           for (const auto& e : evs)
             if (e["event"] != "bridge_state" && e["event"] != "bridge_restored") out += "  " + e.dump() + "\n";
           out += "  ...\n";
           for (size_t i = evs.size() > 12 ? evs.size() - 12 : 0; i < evs.size(); ++i) out += "  " + evs[i].dump() + "\n";
           return out;
         }();
  expect_same_identity(g.before_docker0, g.world.link("docker0"));
  EXPECT_EQ(g.world.ports_of("docker0"), ports);
  EXPECT_EQ(g.world.addresses("docker0"), addrs);
  EXPECT_EQ(g.hydrad.count("restore_failed"), 0u);
}

// A bridge's deletion detaches its ports first; on a busy machine the bridge
// itself can go well after the guard's quiet time. With no quiet time at all
// every deletion races it: the ports must still come back with the bridge.
TEST(Guard, PortsLeavingWithTheDeletedBridgeComeBackWithIt) {
  HYDRA_REQUIRE_ROOT();
  SandboxWorld world;
  ASSERT_TRUE(world.ok);
  std::string dir = temp_dir();
  HydradProcess hydrad(world.sbx.path(), dir, {"--settle-ms", "0"});
  const auto ports = world.ports_of("docker0");
  ASSERT_EQ(ports.size(), 3u);
  ASSERT_TRUE(hydrad.start());
  for (int i = 0; i < 30; ++i) {
    size_t skip = hydrad.event_count();
    ASSERT_EQ(world.sbx.ip("link del docker0"), 0);
    ASSERT_TRUE(hydrad.wait_for([](const json& e) { return e["event"] == "bridge_restored"; }, 5000, skip)) << i;
    ASSERT_EQ(world.ports_of("docker0"), ports) << "deletion " << i;
  }
  EXPECT_EQ(hydrad.count("port_released"), 0u);
  std::system(("rm -rf " + dir).c_str());
}

TEST(Guard, RepairsDownAndLostAddressesButNotReleasedPorts) {
  HYDRA_REQUIRE_ROOT();
  Guarded g;
  ASSERT_TRUE(g.start());
  ASSERT_EQ(g.world.sbx.ip("link set vethc1 nomaster"), 0);
  ASSERT_EQ(g.world.sbx.ip("link set docker0 down"), 0);
  ASSERT_EQ(g.world.sbx.ip("addr del 10.213.0.1/24 dev docker0"), 0);
  ASSERT_TRUE(g.hydrad.wait_for([](const json& e) { return e["event"] == "bridge_repaired"; }, 5000));
  // Three changes, seen in one repair or in two (the address may go after
  // the first repair): waited for until all is back.
  const std::vector<std::string> addresses{"10.213.0.1/24", "fd00:d0c::1/64"};
  EXPECT_TRUE(wait_until([&] { return g.world.addresses("docker0") == addresses; }, 5000, 10))
      << "addresses: " << ::testing::PrintToString(g.world.addresses("docker0"));
  auto l = g.world.link("docker0");
  EXPECT_NE(std::find(l["flags"].begin(), l["flags"].end(), "UP"), l["flags"].end());
  EXPECT_EQ(g.world.master_of("vethc1"), "") << "released by a daemon: not re-attached";
  EXPECT_EQ(g.hydrad.count("port_released"), 1u);
  // And a later deletion brings back only the ports still recorded.
  ASSERT_TRUE(g.delete_and_wait_restored());
  EXPECT_EQ(g.world.ports_of("docker0"), (std::vector<std::string>{"vethc0", "vethc2"}));
}

TEST(Guard, ConflictingDeviceIsReportedNeverTouched) {
  HYDRA_REQUIRE_ROOT();
  Guarded g;
  ASSERT_TRUE(g.start());
  g.hydrad.stop(SIGKILL);
  ASSERT_EQ(g.world.sbx.ip("link del docker0"), 0);
  ASSERT_EQ(g.world.sbx.ip("link add docker0 type veth peer name docker0-peer"), 0);
  ASSERT_TRUE(g.hydrad.start());
  EXPECT_TRUE(g.hydrad.wait_for([](const json& e) { return e["event"] == "bridge_conflict"; }, 2000));
  auto l = g.world.link("docker0");
  EXPECT_EQ(l["linkinfo"]["info_kind"], "veth") << "left alone";
  auto status = json::parse(capture(std::string(HYDRA_BIN_DIR) + "/hydractl --socket " + g.hydrad.socket() +
                                    " status --json"), nullptr, false);
  ASSERT_TRUE(status.is_array()) << status;
  EXPECT_EQ(status[0]["state"], "conflict");
  EXPECT_TRUE(status[0].contains("conflict"));
  // Once the impostor goes, docker0 comes back from the snapshot.
  ASSERT_EQ(g.world.sbx.ip("link del docker0"), 0);
  ASSERT_TRUE(g.hydrad.wait_for([](const json& e) { return e["event"] == "bridge_restored"; }, 5000));
  expect_same_identity(g.before_docker0, g.world.link("docker0"));
}

TEST(Guard, OverrunLeadsToResyncAndCorrectState) {
  HYDRA_REQUIRE_ROOT();
  SandboxWorld world;
  ASSERT_TRUE(world.ok);
  std::string dir = temp_dir();
  HydradProcess hydrad(world.sbx.path(), dir, {"--monitor-buffer", "4096"});
  auto before = world.link("docker0");
  ASSERT_TRUE(hydrad.start());
  // A burst of changes larger than the tiny buffer, with the deletion inside it.
  std::string batch = dir + "/burst.ip";
  {
    std::ofstream out(batch);
    for (int i = 0; i < 300; ++i) out << "link set vethstray " << (i % 2 ? "up" : "down") << "\n";
    out << "link del docker0\n";
    for (int i = 0; i < 300; ++i) out << "link set vethstray " << (i % 2 ? "up" : "down") << "\n";
  }
  kill(hydrad.pid(), SIGSTOP);  // not reading: the buffer must overrun
  ASSERT_EQ(world.sbx.ip("-batch " + batch), 0);
  kill(hydrad.pid(), SIGCONT);
  ASSERT_TRUE(hydrad.wait_for([](const json& e) { return e["event"] == "resync"; }, 5000));
  ASSERT_TRUE(hydrad.wait_for([](const json& e) { return e["event"] == "bridge_restored"; }, 5000));
  expect_same_identity(before, world.link("docker0"));
  EXPECT_EQ(world.ports_of("docker0"), (std::vector<std::string>{"vethc0", "vethc1", "vethc2"}));
  EXPECT_EQ(world.master_of("vethstray"), "");
  auto metrics = capture("curl -s --unix-socket " + hydrad.socket() + " http://localhost/metrics");
  EXPECT_EQ(metrics.find("hydra_resyncs_total 0"), std::string::npos) << "the resync is counted";
  EXPECT_NE(metrics.find("hydra_resyncs_total"), std::string::npos);
  std::system(("rm -rf " + dir).c_str());
}
