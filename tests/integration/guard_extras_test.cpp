// SPDX-License-Identifier: Apache-2.0
// What dies with a bridge besides its addresses and ports — routes through
// it, per-interface sysctls, static neighbours, static FDB entries — comes
// back with it. The real hydrad, the real kernel, in namespaces.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "guarded_fixture.hpp"

using namespace hydra::test;
using nlohmann::json;

namespace {

// docker0's record as GET /api/v1/bridges shows it.
json bridge_status(const Guarded& g) {
  auto all = json::parse(capture(std::string(HYDRA_BIN_DIR) + "/hydractl --socket " + g.hydrad.socket() +
                                 " status --json"),
                         nullptr, false);
  if (!all.is_array() || all.empty()) return nullptr;
  return all[0];
}

// Waits until hydrad's record satisfies `pred` (events are asynchronous).
bool wait_for_record(const Guarded& g, const std::function<bool(const json&)>& pred) {
  return wait_until(
      [&] {
        json b = bridge_status(g);
        return !b.is_null() && b.contains("extras") && pred(b["extras"]);
      },
      10000, 20);
}

std::string in_sbx(const Guarded& g, const std::string& cmd) {
  return capture("ip netns exec " + g.world.sbx.name() + " " + cmd + " 2>&1");
}

// Ignores iproute2's "linkdown" flag: the bridge's carrier comes up a little
// after its restore (the kernel's link watch), and a route shows the flag
// until then.
bool has(std::string text, const std::string& needle) {
  for (size_t at; (at = text.find(" linkdown")) != std::string::npos;) text.erase(at, 9);
  return text.find(needle) != std::string::npos;
}

}  // namespace

TEST(GuardExtras, RoutesComeBackInEveryTableAndFamily) {
  HYDRA_REQUIRE_ROOT();
  Guarded g(2);
  ASSERT_TRUE(g.start());
  auto& sbx = g.world.sbx;
  ASSERT_EQ(sbx.ip("route add 10.50.0.0/16 via 10.213.0.10 dev docker0"), 0);
  ASSERT_EQ(sbx.ip("route add 10.60.0.0/16 via 10.213.0.11 dev docker0 table 100 metric 7"), 0);
  ASSERT_EQ(sbx.ip("route add 10.61.0.0/16 dev docker0 proto static scope link mtu 1300"), 0);
  ASSERT_EQ(sbx.ip("-6 route add fd00:77::/48 via fd00:d0c::10 dev docker0"), 0);
  ASSERT_TRUE(wait_for_record(g, [](const json& e) { return e["routes"].size() == 4; }))
      << bridge_status(g).dump();
  auto before = in_sbx(g, "ip route show table all dev docker0");
  ASSERT_TRUE(g.delete_and_wait_restored());
  auto after = in_sbx(g, "ip route show table all dev docker0");
  for (const char* r : {"10.50.0.0/16 via 10.213.0.10", "10.60.0.0/16 via 10.213.0.11 table 100 metric 7",
                        "10.61.0.0/16 proto static scope link mtu 1300", "fd00:77::/48 via fd00:d0c::10"})
    EXPECT_TRUE(has(after, r)) << r << " missing after the restore:\n" << after << "\nbefore:\n" << before;
  json ev = g.last("bridge_restored");
  EXPECT_EQ(ev["routes"], 4);
  EXPECT_EQ(ev["degraded"], json::array());
  // A route deleted while the bridge lives leaves the record; it is not brought back.
  ASSERT_EQ(sbx.ip("route del 10.50.0.0/16"), 0);
  ASSERT_TRUE(wait_for_record(g, [](const json& e) { return e["routes"].size() == 3; }));
  ASSERT_TRUE(g.delete_and_wait_restored());
  after = in_sbx(g, "ip route show table all dev docker0");
  EXPECT_FALSE(has(after, "10.50.0.0/16")) << after;
  EXPECT_TRUE(has(after, "10.60.0.0/16")) << after;
}

TEST(GuardExtras, SysctlsComeBack) {
  HYDRA_REQUIRE_ROOT();
  Guarded g(1);
  ASSERT_TRUE(g.start());
  const std::vector<std::pair<std::string, std::string>> wanted{
      {"ipv4/conf/docker0/rp_filter", "2"},   {"ipv4/conf/docker0/route_localnet", "1"},
      {"ipv4/conf/docker0/arp_notify", "1"},  {"ipv4/conf/docker0/proxy_arp", "1"},
      {"ipv4/conf/docker0/forwarding", "1"},  {"ipv6/conf/docker0/accept_ra", "0"},
      {"ipv6/conf/docker0/forwarding", "1"}};
  for (const auto& [key, value] : wanted)
    ASSERT_EQ(in_sbx(g, "sh -c 'echo " + value + " > /proc/sys/net/" + key + "'"), "") << key;
  // route_localnet, arp_notify and accept_ra are not announced by the kernel:
  // they are read again on the next event about the bridge, here an address.
  ASSERT_EQ(g.world.sbx.ip("addr add 10.213.5.1/24 dev docker0"), 0);
  ASSERT_TRUE(wait_for_record(g, [](const json& e) {
    return e["sysctls"].value("ipv4.route_localnet", "") == "1" && e["sysctls"].value("ipv6.accept_ra", "") == "0" &&
           e["sysctls"].value("ipv4.rp_filter", "") == "2";
  })) << bridge_status(g).dump();
  ASSERT_TRUE(g.delete_and_wait_restored());
  for (const auto& [key, value] : wanted)
    EXPECT_EQ(in_sbx(g, "cat /proc/sys/net/" + key), value + "\n") << key;
  json ev = g.last("bridge_restored");
  EXPECT_EQ(ev["degraded"], json::array());
  EXPECT_GE(ev["sysctls"].get<int>(), 7);
}

TEST(GuardExtras, StaticNeighboursAndFdbEntriesComeBack) {
  HYDRA_REQUIRE_ROOT();
  Guarded g(2);
  ASSERT_TRUE(g.start());
  auto& sbx = g.world.sbx;
  ASSERT_EQ(sbx.ip("neigh add 10.213.0.77 lladdr 02:00:00:00:00:77 dev docker0 nud permanent"), 0);
  ASSERT_EQ(sbx.ip("-6 neigh add fd00:d0c::77 lladdr 02:00:00:00:06:77 dev docker0 nud permanent"), 0);
  ASSERT_EQ(in_sbx(g, "bridge fdb add 02:00:00:00:00:99 dev vethc1 master static"), "");
  ASSERT_EQ(in_sbx(g, "bridge fdb add 02:00:00:00:00:98 dev docker0 self local"), "");
  ASSERT_TRUE(wait_for_record(g, [](const json& e) { return e["neighbours"].size() == 2 && e["fdb"].size() == 2; }))
      << bridge_status(g).dump();
  ASSERT_TRUE(g.delete_and_wait_restored());
  auto neigh = in_sbx(g, "ip neigh show dev docker0");
  EXPECT_TRUE(has(neigh, "10.213.0.77 lladdr 02:00:00:00:00:77 PERMANENT")) << neigh;
  EXPECT_TRUE(has(neigh, "fd00:d0c::77 lladdr 02:00:00:00:06:77 PERMANENT")) << neigh;
  auto fdb = in_sbx(g, "bridge fdb show br docker0");
  EXPECT_TRUE(has(fdb, "02:00:00:00:00:99 dev vethc1 master docker0 static")) << fdb;
  EXPECT_TRUE(has(fdb, "02:00:00:00:00:98 dev docker0 master docker0 permanent")) << fdb;
  json ev = g.last("bridge_restored");
  EXPECT_EQ(ev["neighbours"], 2);
  EXPECT_EQ(ev["fdb"], 2);
  EXPECT_EQ(ev["degraded"], json::array());
  // Dynamic entries (learned, or ARP's own) are never recorded.
  auto b = bridge_status(g);
  for (const auto& n : b["extras"]["fdb"]) EXPECT_NE(n["state"], 2) << "a reachable (learned) entry";
}

TEST(GuardExtras, BridgeSetDownGetsItsRoutesAndNeighboursBack) {
  HYDRA_REQUIRE_ROOT();
  Guarded g(1);
  ASSERT_TRUE(g.start());
  auto& sbx = g.world.sbx;
  ASSERT_EQ(sbx.ip("route add 10.50.0.0/16 via 10.213.0.10 dev docker0"), 0);
  ASSERT_EQ(sbx.ip("neigh add 10.213.0.77 lladdr 02:00:00:00:00:77 dev docker0 nud permanent"), 0);
  ASSERT_TRUE(wait_for_record(g, [](const json& e) { return e["routes"].size() == 1 && e["neighbours"].size() == 1; }));
  for (const char* how : {"link set docker0 down", "addr flush dev docker0"}) {
    size_t skip = g.hydrad.event_count();
    ASSERT_EQ(sbx.ip(how), 0);
    ASSERT_TRUE(g.hydrad.wait_for([](const json& e) { return e["event"] == "bridge_repaired"; }, 5000, skip)) << how;
    json ev = g.last("bridge_repaired");
    EXPECT_EQ(ev["routes"], 1) << how;
    EXPECT_EQ(ev["degraded"], json::array()) << how;
    EXPECT_TRUE(has(in_sbx(g, "ip route show dev docker0"), "10.50.0.0/16 via 10.213.0.10")) << how;
    EXPECT_TRUE(has(in_sbx(g, "ip neigh show dev docker0"), "10.213.0.77 lladdr 02:00:00:00:00:77 PERMANENT")) << how;
    EXPECT_EQ(bridge_status(g)["extras"]["routes"].size(), 1u) << how << ": the record keeps them";
  }
}

TEST(GuardExtras, WhatCannotComeBackIsReportedDegraded) {
  HYDRA_REQUIRE_ROOT();
  Guarded g(1);
  ASSERT_TRUE(g.start());
  auto& sbx = g.world.sbx;
  // A route whose preferred source lives on another device...
  ASSERT_EQ(sbx.ip("addr add 10.99.0.1/24 dev vethstray"), 0);
  ASSERT_EQ(sbx.ip("route add 10.70.0.0/16 dev docker0 src 10.99.0.1"), 0);
  ASSERT_TRUE(wait_for_record(g, [](const json& e) { return e["routes"].size() == 1; })) << bridge_status(g).dump();
  // ...which loses that address while hydrad is stopped, then docker0 goes.
  g.hydrad.stop(SIGTERM);
  ASSERT_EQ(sbx.ip("addr del 10.99.0.1/24 dev vethstray"), 0);
  ASSERT_EQ(sbx.ip("link del docker0"), 0);
  size_t skip = g.hydrad.event_count();
  ASSERT_TRUE(g.hydrad.start());
  ASSERT_TRUE(g.hydrad.wait_for([](const json& e) { return e["event"] == "bridge_restored"; }, 5000, skip));
  json ev = g.last("bridge_restored");
  ASSERT_EQ(ev["degraded"].size(), 1u) << ev.dump();
  EXPECT_TRUE(has(ev["degraded"][0].get<std::string>(), "10.70.0.0/16")) << ev.dump();
  EXPECT_EQ(bridge_status(g)["degraded"], ev["degraded"]);
  EXPECT_EQ(bridge_status(g)["state"], "guarded") << "the bridge itself is back";
}
