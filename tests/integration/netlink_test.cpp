// SPDX-License-Identifier: Apache-2.0
// The netlink layer against the real kernel, in throwaway namespaces.
#include <gtest/gtest.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <limits>

#include "netlink/addr_requests.hpp"
#include "netlink/dump.hpp"
#include "netlink/link_requests.hpp"
#include "netlink/monitor.hpp"
#include "netns_fixture.hpp"

using namespace hydra;
using namespace hydra::netlink;
using hydra::test::TestNetns;

namespace {

constexpr int kBridgeIndex = 4242;

BridgeSpec test_bridge() {
  BridgeSpec s;
  s.name = "docker0";
  s.ifindex = kBridgeIndex;
  s.mac = *parse_mac("02:42:0a:d5:00:01");
  s.mtu = 1400;
  s.options = {{IFLA_BR_STP_STATE, 0},        {IFLA_BR_FORWARD_DELAY, 300}, {IFLA_BR_HELLO_TIME, 150},
               {IFLA_BR_MAX_AGE, 1500},       {IFLA_BR_AGEING_TIME, 12000}, {IFLA_BR_PRIORITY, 1234},
               {IFLA_BR_MCAST_SNOOPING, 0},  {IFLA_BR_GROUP_FWD_MASK, 0x4000}};
  return s;
}

AddrInfo make_addr(int ifindex, const std::string& ip, uint8_t prefix, const std::string& brd = "") {
  AddrInfo a;
  a.ifindex = ifindex;
  a.address = IpAddr::parse(ip);
  a.family = a.address->family;
  if (a.family == AF_INET) a.local = a.address;
  if (!brd.empty()) a.broadcast = IpAddr::parse(brd);
  a.prefixlen = prefix;
  return a;
}

const LinkInfo* find(const std::vector<LinkInfo>& links, const std::string& name) {
  auto it = std::find_if(links.begin(), links.end(), [&](const LinkInfo& l) { return l.name == name; });
  return it == links.end() ? nullptr : &*it;
}

// A sandbox with docker0 and three veth ports whose peers live in `ctr`.
struct World {
  TestNetns sbx{"sbx"};
  TestNetns ctr{"ctr"};
  std::vector<int> ports;  // ifindexes of the sandbox ends
};

void build_world(World& w, RtnlSocket& sock) {
  auto br = create_bridge(test_bridge());
  ASSERT_TRUE(br) << br.error().text();
  auto created = sock.execute_one(*br);
  ASSERT_TRUE(created) << created.error().text();
  // Before any port joins (a port's MTU would then pull the bridge's along).
  auto fresh = fetch_link(sock, kBridgeIndex);
  ASSERT_TRUE(fresh) << fresh.error().text();
  EXPECT_EQ(fresh->mtu, 1400u);
  EXPECT_EQ(format_mac(fresh->mac), "02:42:0a:d5:00:01");
  EXPECT_TRUE(fresh->admin_up());
  auto ctr_fd = open_netns(w.ctr.path());
  ASSERT_TRUE(ctr_fd);
  std::vector<Request> veths;
  for (int i = 1; i <= 3; ++i) {
    auto v = create_veth("vethc" + std::to_string(i), "eth" + std::to_string(i), ctr_fd->get());
    ASSERT_TRUE(v) << v.error().text();
    veths.push_back(std::move(*v));
  }
  auto acks = sock.execute(veths);
  ASSERT_TRUE(acks);
  for (const auto& a : *acks) ASSERT_TRUE(a.ok()) << a.error << " " << a.ext_message;
  auto links = dump_links(sock);
  ASSERT_TRUE(links);
  for (int i = 1; i <= 3; ++i) {
    const LinkInfo* l = find(*links, "vethc" + std::to_string(i));
    ASSERT_NE(l, nullptr);
    w.ports.push_back(l->ifindex);
  }
}

}  // namespace

TEST(NetlinkIntegration, BridgeCreatedAndReadBackExactly) {
  HYDRA_REQUIRE_ROOT();
  World w;
  ASSERT_TRUE(w.sbx.ok() && w.ctr.ok());
  auto in = w.sbx.enter();
  auto sock = RtnlSocket::open();
  ASSERT_TRUE(sock) << sock.error().text();
  build_world(w, *sock);

  // All ports enslaved and flagged in one batch.
  std::vector<Request> batch;
  AttrValues flags{{IFLA_BRPORT_LEARNING, 0}, {IFLA_BRPORT_MODE, 1}, {IFLA_BRPORT_COST, 7},
                   {IFLA_BRPORT_PRIORITY, 5}, {IFLA_BRPORT_ISOLATED, 1}};
  for (size_t i = 0; i < w.ports.size(); ++i) {
    std::string name = "vethc" + std::to_string(i + 1);
    batch.push_back(set_master(w.ports[i], name, kBridgeIndex, "docker0"));
    batch.push_back(set_port_flags(w.ports[i], name, flags));
    batch.push_back(set_admin_up(w.ports[i], name, true));
  }
  batch.push_back(add_address(make_addr(kBridgeIndex, "10.213.0.1", 24, "10.213.0.255"), "docker0"));
  batch.push_back(add_address(make_addr(kBridgeIndex, "fd00:213::1", 64), "docker0"));
  auto acks = sock->execute(batch);
  ASSERT_TRUE(acks) << acks.error().text();
  ASSERT_EQ(acks->size(), batch.size());
  for (size_t i = 0; i < acks->size(); ++i) EXPECT_TRUE((*acks)[i].ok()) << batch[i].what() << ": " << (*acks)[i].error;

  auto links = dump_links(*sock);
  ASSERT_TRUE(links);
  const LinkInfo* br = find(*links, "docker0");
  ASSERT_NE(br, nullptr);
  EXPECT_EQ(br->ifindex, kBridgeIndex);
  EXPECT_EQ(br->kind, "bridge");
  EXPECT_EQ(format_mac(br->mac), "02:42:0a:d5:00:01");
  EXPECT_TRUE(br->admin_up());
  ASSERT_TRUE(br->bridge);
  for (const auto& [type, value] : test_bridge().options) EXPECT_EQ(br->bridge->at(type), value) << "option " << type;
  for (size_t i = 0; i < w.ports.size(); ++i) {
    const LinkInfo* p = find(*links, "vethc" + std::to_string(i + 1));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p->master, kBridgeIndex);
    EXPECT_EQ(p->kind, "veth");
    EXPECT_EQ(p->slave_kind, "bridge");
    EXPECT_GT(p->peer_ifindex, 0);
    EXPECT_TRUE(p->link_netnsid.has_value()) << "peer lives in another namespace";
    ASSERT_TRUE(p->port);
    for (const auto& [type, value] : flags) EXPECT_EQ(p->port->at(type), value) << "port flag " << type;
  }
  auto addrs = dump_addrs(*sock);
  ASSERT_TRUE(addrs);
  std::vector<std::string> cidrs;
  for (const auto& a : *addrs)
    if (a.ifindex == kBridgeIndex) cidrs.push_back(a.cidr());
  EXPECT_NE(std::find(cidrs.begin(), cidrs.end(), "10.213.0.1/24"), cidrs.end());
  EXPECT_NE(std::find(cidrs.begin(), cidrs.end(), "fd00:213::1/64"), cidrs.end());
  for (const auto& a : *addrs) {
    if (a.ifindex == kBridgeIndex && a.cidr() == "fd00:213::1/64") {
      EXPECT_TRUE(a.flags & IFA_F_NODAD);
    }
  }
  auto one = fetch_link(*sock, kBridgeIndex);
  ASSERT_TRUE(one) << one.error().text();
  EXPECT_EQ(one->name, "docker0");
  auto none = fetch_link(*sock, 31337);
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, ENODEV);
}

TEST(NetlinkIntegration, BatchReportsEveryRequestsOwnResult) {
  HYDRA_REQUIRE_ROOT();
  World w;
  ASSERT_TRUE(w.sbx.ok() && w.ctr.ok());
  auto in = w.sbx.enter();
  auto sock = RtnlSocket::open();
  ASSERT_TRUE(sock);
  build_world(w, *sock);
  // Sequence numbers wrap inside this batch.
  sock->set_next_seq(std::numeric_limits<uint32_t>::max() - 1);
  std::vector<Request> batch;
  batch.push_back(set_master(w.ports[0], "vethc1", kBridgeIndex, "docker0"));
  batch.push_back(set_master(31337, "ghost", kBridgeIndex, "docker0"));  // no such device
  batch.push_back(set_master(w.ports[1], "vethc2", kBridgeIndex, "docker0"));
  batch.push_back(*create_bridge(test_bridge()));  // exists already
  batch.push_back(set_master(w.ports[2], "vethc3", kBridgeIndex, "docker0"));
  auto acks = sock->execute(batch);
  ASSERT_TRUE(acks) << acks.error().text();
  ASSERT_EQ(acks->size(), 5u);
  EXPECT_TRUE((*acks)[0].ok());
  EXPECT_EQ((*acks)[1].error, ENODEV);
  EXPECT_TRUE((*acks)[2].ok());
  EXPECT_EQ((*acks)[3].error, EEXIST);
  EXPECT_TRUE((*acks)[4].ok()) << "the kernel goes on after an error, and so do we";
  auto links = dump_links(*sock);
  ASSERT_TRUE(links);
  for (int idx : w.ports) {
    auto it = std::find_if(links->begin(), links->end(), [&](const LinkInfo& l) { return l.ifindex == idx; });
    ASSERT_NE(it, links->end());
    EXPECT_EQ(it->master, kBridgeIndex);
  }
  // A bridge of an existing name: EEXIST through execute_one, with context.
  auto dup = sock->execute_one(*create_bridge(test_bridge()));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, EEXIST);
  EXPECT_NE(dup.error().text().find("create bridge docker0"), std::string::npos);
}

TEST(NetlinkIntegration, MonitorSeesDeletionInOrder) {
  HYDRA_REQUIRE_ROOT();
  World w;
  ASSERT_TRUE(w.sbx.ok() && w.ctr.ok());
  auto in = w.sbx.enter();
  auto sock = RtnlSocket::open();
  ASSERT_TRUE(sock);
  build_world(w, *sock);
  std::vector<Request> batch;
  for (size_t i = 0; i < w.ports.size(); ++i)
    batch.push_back(set_master(w.ports[i], "vethc" + std::to_string(i + 1), kBridgeIndex, "docker0"));
  batch.push_back(add_address(make_addr(kBridgeIndex, "10.213.0.1", 24, "10.213.0.255"), "docker0"));
  ASSERT_TRUE(sock->execute(batch));

  auto mon = Monitor::open();
  ASSERT_TRUE(mon) << mon.error().text();
  ASSERT_TRUE(sock->execute_one(delete_link(kBridgeIndex, "docker0")));

  std::vector<std::string> seen;  // "release:<name>", "deladdr:<cidr>", "dellink:<name>"
  for (int i = 0; i < 50 && std::find(seen.begin(), seen.end(), "dellink:docker0") == seen.end(); ++i) {
    auto n = mon->wait_and_drain(100, [&](const MonitorEvent& ev, int64_t) {
      if (auto* l = std::get_if<LinkEvent>(&ev)) {
        if (l->deleted) seen.push_back("dellink:" + l->link.name);  // ports are released, never deleted
        else if (l->link.master == 0 && l->link.name.rfind("vethc", 0) == 0) seen.push_back("release:" + l->link.name);
      } else if (auto* a = std::get_if<AddrEvent>(&ev)) {
        if (a->deleted) seen.push_back("deladdr:" + a->addr.cidr());
      } else if (std::get_if<ResyncNeeded>(&ev)) {
        seen.push_back("resync");
      }
    });
    ASSERT_TRUE(n) << n.error().text();
  }
  auto pos = [&](const std::string& s) { return std::find(seen.begin(), seen.end(), s) - seen.begin(); };
  auto end = static_cast<long>(seen.size());
  ASSERT_LT(pos("dellink:docker0"), end);
  for (int i = 1; i <= 3; ++i) {
    ASSERT_LT(pos("release:vethc" + std::to_string(i)), end);
    EXPECT_LT(pos("release:vethc" + std::to_string(i)), pos("dellink:docker0")) << "ports lose their master first";
  }
  ASSERT_LT(pos("deladdr:10.213.0.1/24"), end);
  EXPECT_LT(pos("deladdr:10.213.0.1/24"), pos("dellink:docker0")) << "addresses go before the bridge";
  EXPECT_EQ(pos("resync"), end);
  for (int i = 1; i <= 3; ++i)
    EXPECT_EQ(pos("dellink:vethc" + std::to_string(i)), end) << "a released port is not a deleted device";
}

TEST(NetlinkIntegration, OverrunIsDeliveredAsResyncNeeded) {
  HYDRA_REQUIRE_ROOT();
  TestNetns sbx("ovr");
  ASSERT_TRUE(sbx.ok());
  auto in = sbx.enter();
  auto sock = RtnlSocket::open();
  ASSERT_TRUE(sock);
  auto mon = Monitor::open(4096);  // tiny: a burst must overrun it
  ASSERT_TRUE(mon);
  auto br = create_bridge(test_bridge());
  ASSERT_TRUE(sock->execute_one(*br));
  std::vector<Request> burst;
  for (int i = 0; i < 200; ++i) burst.push_back(set_admin_up(kBridgeIndex, "docker0", i % 2 == 0));
  ASSERT_TRUE(sock->execute(burst));
  bool resync = false;
  size_t links = 0;
  auto n = mon->drain([&](const MonitorEvent& ev, int64_t) {
    if (std::holds_alternative<ResyncNeeded>(ev)) resync = true;
    if (std::holds_alternative<LinkEvent>(ev)) ++links;
  });
  ASSERT_TRUE(n) << n.error().text();
  EXPECT_TRUE(resync) << "an overrun must be reported, not swallowed (" << links << " link events read)";
}

TEST(NetlinkIntegration, NetnsSwitchReturnsHome) {
  HYDRA_REQUIRE_ROOT();
  auto home = open_netns("/proc/thread-self/ns/net");
  ASSERT_TRUE(home);
  struct stat before {};
  fstat(home->get(), &before);
  TestNetns other("home");
  ASSERT_TRUE(other.ok());
  {
    auto sw = NetnsSwitch::enter(other.path());
    ASSERT_TRUE(sw);
    struct stat inside {};
    stat("/proc/thread-self/ns/net", &inside);
    EXPECT_NE(inside.st_ino, before.st_ino);
  }
  struct stat after {};
  stat("/proc/thread-self/ns/net", &after);
  EXPECT_EQ(after.st_ino, before.st_ino);
  auto missing = NetnsSwitch::enter("/var/run/netns/does-not-exist-hydra");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().text().find("does-not-exist-hydra"), std::string::npos);
}
