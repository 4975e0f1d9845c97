// SPDX-License-Identifier: Apache-2.0
// Decoding captured route, neighbour, FDB and netconf notifications (see
// tests/fixtures/README.md for how they were made), and every truncation.
#include <gtest/gtest.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "fixture_bytes.hpp"
#include "netlink/monitor.hpp"
#include "netlink/route_neigh.hpp"

using namespace hydra::netlink;
using hydra::test::load_hex;
using hydra::test::MessageBuffer;

TEST(DecodeRoute, CapturedInetInTable100WithMetrics) {
  MessageBuffer m(load_hex("route_inet_table_metrics.hex"));
  auto ev = decode_notification(m.hdr());
  ASSERT_TRUE(ev && *ev) << (ev ? "nothing" : ev.error().text());
  const auto* r = std::get_if<RouteEvent>(&**ev);
  ASSERT_NE(r, nullptr);
  EXPECT_FALSE(r->deleted);
  EXPECT_EQ(r->route.family, AF_INET);
  EXPECT_EQ(r->route.dst->to_string(), "10.60.0.0");
  EXPECT_EQ(r->route.dst_len, 16);
  EXPECT_EQ(r->route.gateway->to_string(), "10.9.0.8");
  EXPECT_EQ(r->route.table, 100u);
  EXPECT_EQ(r->route.priority, 7u);
  EXPECT_EQ(r->route.protocol, RTPROT_BOOT);
  EXPECT_GT(r->route.oif, 0);
  EXPECT_FALSE(r->route.metrics.empty()) << "mtu 1300 travels in RTA_METRICS";
  EXPECT_EQ(r->route.describe(), "10.60.0.0/16 via 10.9.0.8 table 100 proto 3 metric 7");
}

TEST(DecodeRoute, CapturedInet6) {
  MessageBuffer m(load_hex("route_inet6.hex"));
  auto r = decode_route(m.hdr());
  ASSERT_TRUE(r) << r.error().text();
  EXPECT_EQ(r->family, AF_INET6);
  EXPECT_EQ(r->dst->to_string(), "fd00:77::");
  EXPECT_EQ(r->dst_len, 48);
  EXPECT_EQ(r->gateway->to_string(), "fd00:9::7");
  EXPECT_EQ(r->table, static_cast<uint32_t>(RT_TABLE_MAIN));
  EXPECT_EQ(r->priority, 1024u);
  EXPECT_TRUE(r->pref.has_value());
}

TEST(DecodeNeigh, CapturedPermanentInetAndStaticFdb) {
  MessageBuffer m(load_hex("neigh_inet_permanent.hex"));
  auto n = decode_neigh(m.hdr());
  ASSERT_TRUE(n) << n.error().text();
  EXPECT_EQ(n->family, AF_INET);
  EXPECT_EQ(n->dst->to_string(), "10.9.0.7");
  EXPECT_EQ(format_mac(n->lladdr), "02:00:00:00:00:07");
  EXPECT_EQ(n->state, NUD_PERMANENT);

  MessageBuffer f(load_hex("neigh_fdb_static.hex"));
  auto e = decode_neigh(f.hdr());
  ASSERT_TRUE(e) << e.error().text();
  EXPECT_EQ(e->family, AF_BRIDGE);
  EXPECT_EQ(format_mac(e->lladdr), "02:00:00:00:00:99");
  EXPECT_EQ(e->state, NUD_NOARP) << "static";
  EXPECT_GT(e->master, 0) << "NDA_MASTER names the bridge (the flags do not: hydra goes by the attribute)";
  EXPECT_NE(e->master, e->ifindex);
}

TEST(DecodeNetconf, CapturedNamesTheDevice) {
  MessageBuffer m(load_hex("netconf_inet.hex"));
  auto ev = decode_notification(m.hdr());
  ASSERT_TRUE(ev && *ev);
  const auto* c = std::get_if<NetconfEvent>(&**ev);
  ASSERT_NE(c, nullptr);
  EXPECT_GT(c->ifindex, 0);
}

TEST(DecodeRouteNeigh, EveryTruncationIsSafe) {
  for (const char* name : {"route_inet_table_metrics.hex", "route_inet6.hex", "neigh_inet_permanent.hex",
                           "neigh_fdb_static.hex", "netconf_inet.hex"}) {
    auto bytes = load_hex(name);
    ASSERT_FALSE(bytes.empty()) << name;
    for (size_t len = sizeof(nlmsghdr); len < bytes.size(); ++len) {
      std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(len));
      MessageBuffer m(cut);
      m.hdr()->nlmsg_len = static_cast<uint32_t>(len);
      (void)decode_notification(m.hdr());
    }
  }
}
