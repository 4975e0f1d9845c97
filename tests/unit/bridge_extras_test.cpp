// SPDX-License-Identifier: Apache-2.0
// Which routes, neighbours and FDB entries belong to a bridge's record, how
// they are planned, encoded, decoded and stored — pure, no root needed.
#include <gtest/gtest.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "guard/restore_batch.hpp"
#include "net/bridge_extras.hpp"
#include "net/restore_plan.hpp"
#include "netlink/route_neigh.hpp"
#include "world_builder.hpp"

using namespace hydra;
using namespace hydra::net;
using netlink::IpAddr;
using netlink::NeighInfo;
using netlink::RouteInfo;

namespace {

RouteInfo route(const char* dst, uint8_t len, const char* via, int oif, uint8_t proto = RTPROT_BOOT) {
  RouteInfo r;
  r.dst = IpAddr::parse(dst);
  r.family = r.dst->family;
  r.dst_len = len;
  if (via) r.gateway = IpAddr::parse(via);
  r.oif = oif;
  r.table = RT_TABLE_MAIN;
  r.protocol = proto;
  r.type = RTN_UNICAST;
  return r;
}

NeighInfo fdb(int ifindex, std::vector<uint8_t> mac, uint16_t state, int master = 5) {
  NeighInfo n;
  n.family = AF_BRIDGE;
  n.ifindex = ifindex;
  n.lladdr = std::move(mac);
  n.state = state;
  n.flags = NTF_MASTER;
  n.master = master;
  return n;
}

NeighInfo neigh(const char* ip, uint16_t state, int ifindex = 5) {
  NeighInfo n;
  n.dst = IpAddr::parse(ip);
  n.family = n.dst->family;
  n.ifindex = ifindex;
  n.state = state;
  n.lladdr = {2, 0, 0, 0, 0, 0x77};
  return n;
}

const std::vector<uint8_t> kBridgeMac{2, 0x42, 10, 0xd5, 0, 1};
const std::map<int, std::vector<uint8_t>> kPorts{{10, {0x9e, 1, 2, 3, 4, 10}}, {11, {0x9e, 1, 2, 3, 4, 11}}};

}  // namespace

TEST(BridgeExtras, KeepsRoutesSomeoneMadeNotTheKernels) {
  EXPECT_TRUE(keep_route(route("10.50.0.0", 16, "10.213.0.10", 5), 5));
  EXPECT_TRUE(keep_route(route("10.50.0.0", 16, "10.213.0.10", 5, RTPROT_STATIC), 5));
  EXPECT_FALSE(keep_route(route("10.213.0.0", 24, nullptr, 5, RTPROT_KERNEL), 5)) << "the prefix route";
  EXPECT_FALSE(keep_route(route("fd00::", 64, nullptr, 5, RTPROT_RA), 5)) << "learned from an advertisement";
  EXPECT_FALSE(keep_route(route("10.50.0.0", 16, "10.213.0.10", 6), 5)) << "another device";
  auto mp = route("10.50.0.0", 16, nullptr, 5);
  mp.multipath = true;
  EXPECT_FALSE(keep_route(mp, 5));
}

TEST(BridgeExtras, KeepsOnlyPermanentNeighboursOnTheBridge) {
  EXPECT_TRUE(keep_neighbour(neigh("10.213.0.77", NUD_PERMANENT), 5));
  EXPECT_TRUE(keep_neighbour(neigh("fd00:d0c::77", NUD_PERMANENT), 5));
  EXPECT_FALSE(keep_neighbour(neigh("10.213.0.77", NUD_REACHABLE), 5));
  EXPECT_FALSE(keep_neighbour(neigh("10.213.0.77", NUD_NOARP), 5)) << "the kernel's own (broadcast, multicast)";
  EXPECT_FALSE(keep_neighbour(neigh("10.213.0.77", NUD_PERMANENT, 6), 5));
}

TEST(BridgeExtras, KeepsStaticUnicastFdbEntriesButNotTheKernelsOwn) {
  EXPECT_TRUE(keep_fdb(fdb(10, {2, 0, 0, 0, 0, 0x99}, NUD_NOARP), 5, kBridgeMac, kPorts)) << "static on a port";
  EXPECT_TRUE(keep_fdb(fdb(5, {2, 0, 0, 0, 0, 0x98}, NUD_PERMANENT), 5, kBridgeMac, kPorts)) << "local on the bridge";
  EXPECT_FALSE(keep_fdb(fdb(10, kPorts.at(10), NUD_PERMANENT), 5, kBridgeMac, kPorts)) << "a port's own MAC";
  EXPECT_FALSE(keep_fdb(fdb(5, kBridgeMac, NUD_PERMANENT), 5, kBridgeMac, kPorts)) << "the bridge's own MAC";
  EXPECT_FALSE(keep_fdb(fdb(10, {2, 0, 0, 0, 0, 0x99}, NUD_REACHABLE), 5, kBridgeMac, kPorts)) << "learned";
  EXPECT_FALSE(keep_fdb(fdb(10, {0x33, 0x33, 0, 0, 0, 1}, NUD_PERMANENT), 5, kBridgeMac, kPorts)) << "multicast";
  EXPECT_FALSE(keep_fdb(fdb(12, {2, 0, 0, 0, 0, 0x99}, NUD_NOARP), 5, kBridgeMac, kPorts)) << "not a recorded port";
  EXPECT_FALSE(keep_fdb(fdb(10, {2, 0, 0, 0, 0, 0x99}, NUD_NOARP, 7), 5, kBridgeMac, kPorts)) << "another bridge";
  auto ext = fdb(10, {2, 0, 0, 0, 0, 0x99}, NUD_NOARP);
  ext.flags |= NTF_EXT_LEARNED;
  EXPECT_FALSE(keep_fdb(ext, 5, kBridgeMac, kPorts));
}

TEST(BridgeExtras, UpsertReplacesByIdentity) {
  std::vector<RouteInfo> routes;
  EXPECT_TRUE(upsert_route(routes, route("10.50.0.0", 16, "10.213.0.10", 5)));
  EXPECT_FALSE(upsert_route(routes, route("10.50.0.0", 16, "10.213.0.10", 5))) << "unchanged";
  EXPECT_TRUE(upsert_route(routes, route("10.50.0.0", 16, "10.213.0.11", 5))) << "new gateway, same route";
  ASSERT_EQ(routes.size(), 1u);
  EXPECT_EQ(routes[0].gateway->to_string(), "10.213.0.11");
  auto other_table = route("10.50.0.0", 16, "10.213.0.10", 5);
  other_table.table = 100;
  EXPECT_TRUE(upsert_route(routes, other_table));
  EXPECT_EQ(routes.size(), 2u);
}

TEST(BridgeExtras, PlannedOnRecoverOnlyAndMovedToTheNewIfindex) {
  test::SandboxWorld w;
  w.snap.extras.routes = {route("10.50.0.0", 16, "10.213.0.10", 5)};
  w.snap.extras.neighbours = {neigh("10.213.0.77", NUD_PERMANENT)};
  w.snap.extras.fdb = {fdb(10, {2, 0, 0, 0, 0, 0x99}, NUD_NOARP), fdb(5, {2, 0, 0, 0, 0, 0x98}, NUD_PERMANENT),
                       fdb(11, {2, 0, 0, 0, 0, 0x97}, NUD_NOARP)};
  w.snap.extras.sysctls = {{"ipv4.rp_filter", "2"}};
  auto repair = plan_restore(w.snap, w.table, PlanMode::kRepair);
  EXPECT_TRUE(repair.routes.empty() && repair.neighbours.empty() && repair.fdb.empty() && repair.sysctls.empty())
      << "a living bridge keeps what it has";
  {
    auto down = w;  // set down: the kernel flushed routes and neighbours with it
    auto l = *down.table.find(5);
    l.flags &= ~1u;  // IFF_UP
    down.table.apply(netlink::LinkEvent{false, l});
    auto up = plan_restore(down.snap, down.table, PlanMode::kRepair);
    EXPECT_TRUE(up.set_up);
    EXPECT_EQ(up.routes.size(), 1u);
    EXPECT_EQ(up.neighbours.size(), 1u);
    EXPECT_TRUE(up.fdb.empty() && up.sysctls.empty()) << "those survive a down bridge";
  }
  w.delete_docker0();
  // Someone took ifindex 5; and port 11 went away.
  w.table.apply(netlink::LinkEvent{false, test::make_link(5, "other", "veth")});
  w.table.apply(netlink::LinkEvent{true, *w.table.find(11)});
  auto plan = plan_restore(w.snap, w.table, PlanMode::kRecover);
  ASSERT_TRUE(plan.create);
  EXPECT_NE(plan.bridge_ifindex, 5);
  ASSERT_EQ(plan.routes.size(), 1u);
  EXPECT_EQ(plan.routes[0].oif, plan.bridge_ifindex);
  ASSERT_EQ(plan.neighbours.size(), 1u);
  EXPECT_EQ(plan.neighbours[0].ifindex, plan.bridge_ifindex);
  ASSERT_EQ(plan.fdb.size(), 2u) << "the entry on the vanished port is left out";
  EXPECT_EQ(plan.fdb[0].ifindex, 10);
  EXPECT_EQ(plan.fdb[1].ifindex, plan.bridge_ifindex);
  EXPECT_EQ(plan.sysctls.at("ipv4.rp_filter"), "2");
  // In the batch: after the addresses and ports, routes, neighbours, FDB.
  auto batch = guard::build_restore_batch(plan, "docker0");
  ASSERT_TRUE(batch);
  using Kind = guard::BatchItem::Kind;
  const auto& items = batch->items;
  auto first = [&](Kind k) {
    return std::find_if(items.begin(), items.end(), [&](const auto& i) { return i.kind == k; }) - items.begin();
  };
  auto last = [&](Kind k) {
    size_t at = 0;
    for (size_t i = 0; i < items.size(); ++i)
      if (items[i].kind == k) at = i;
    return static_cast<long>(at);
  };
  EXPECT_GT(first(Kind::kRoute), last(Kind::kAddress));
  EXPECT_GT(first(Kind::kFdb), last(Kind::kAttach));
  EXPECT_EQ(items[items.size() - 2].kind, Kind::kFdb);
  EXPECT_EQ(items.back().kind, Kind::kGroup);
}

TEST(BridgeExtras, RequestsRoundTripThroughTheDecoders) {
  auto r = route("10.60.0.0", 16, "10.213.0.11", 5, RTPROT_STATIC);
  r.table = 1000;  // above 255: only RTA_TABLE can carry it
  r.priority = 7;
  r.prefsrc = IpAddr::parse("10.213.0.1");
  r.metrics = {8, 0, 2, 0, 0x14, 5, 0, 0};  // RTAX_MTU = 1300
  auto req = netlink::add_route(r, 9, "docker0");
  EXPECT_EQ(req.header()->nlmsg_flags & (NLM_F_CREATE | NLM_F_REPLACE), NLM_F_CREATE | NLM_F_REPLACE);
  auto back = netlink::decode_route(req.header());
  ASSERT_TRUE(back) << back.error().text();
  r.oif = 9;
  EXPECT_EQ(*back, r);
  EXPECT_EQ(r.describe(), "10.60.0.0/16 via 10.213.0.11 table 1000 proto 4 metric 7");

  auto n = fdb(10, {2, 0, 0, 0, 0, 0x99}, NUD_NOARP);
  n.vlan = 1;
  auto nreq = netlink::add_neigh(n, 10, false, "veth0a");
  auto nback = netlink::decode_neigh(nreq.header());
  ASSERT_TRUE(nback) << nback.error().text();
  EXPECT_EQ(nback->flags, NTF_MASTER);
  EXPECT_EQ(nback->lladdr, n.lladdr);
  EXPECT_EQ(nback->vlan, n.vlan);
  EXPECT_EQ(nback->state, NUD_NOARP);
  auto self = netlink::add_neigh(fdb(5, {2, 0, 0, 0, 0, 0x98}, NUD_PERMANENT), 5, true, "docker0");
  EXPECT_EQ(netlink::decode_neigh(self.header())->flags, NTF_SELF);

  // Truncated: every shorter length is an error or a shorter valid message, never a crash.
  for (uint32_t len = 0; len < req.header()->nlmsg_len; ++len) {
    std::vector<uint8_t> bytes(req.bytes().begin(), req.bytes().end());
    reinterpret_cast<nlmsghdr*>(bytes.data())->nlmsg_len = len;
    (void)netlink::decode_route(reinterpret_cast<const nlmsghdr*>(bytes.data()));
  }
}

TEST(BridgeExtras, JsonRoundTripAndStrictErrors) {
  BridgeExtras e;
  auto r = route("fd00:77::", 48, "fd00:d0c::10", 5);
  r.pref = 0;
  r.priority = 1024;
  e.routes = {route("10.50.0.0", 16, "10.213.0.10", 5), r};
  e.neighbours = {neigh("fd00:d0c::77", NUD_PERMANENT)};
  auto f = fdb(10, {2, 0, 0, 0, 0, 0x99}, NUD_NOARP);
  f.vlan = 3;
  e.fdb = {f};
  e.sysctls = {{"ipv4.rp_filter", "2"}, {"ipv6.accept_ra", "0"}};
  auto back = extras_from_json(extras_to_json(e));
  ASSERT_TRUE(back) << back.error().text();
  EXPECT_EQ(*back, e);
  EXPECT_EQ(*extras_from_json(nlohmann::json::object()), BridgeExtras{}) << "older snapshots have none";
  auto bad = extras_to_json(e);
  bad["sysctls"]["ipv4.../../../etc"] = "1";
  EXPECT_FALSE(extras_from_json(bad)) << "only the recorded sysctls, never a path";
  bad = extras_to_json(e);
  bad["routes"][0]["gateway"] = "fd00::1";
  EXPECT_FALSE(extras_from_json(bad)) << "an IPv6 gateway on an IPv4 route";
  bad = extras_to_json(e);
  bad["fdb"][0]["lladdr"] = "nope";
  EXPECT_FALSE(extras_from_json(bad));
  bad = extras_to_json(e);
  bad["routes"][0]["metrics"] = "0g";
  EXPECT_FALSE(extras_from_json(bad));
}
