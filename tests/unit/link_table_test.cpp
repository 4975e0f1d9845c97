// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>
#include <linux/if_link.h>
#include <sys/socket.h>

#include "net/link_table.hpp"
#include "net/link_view.hpp"

using namespace hydra;
using namespace hydra::net;
using namespace hydra::netlink;

namespace {
LinkInfo link(int idx, const std::string& name, int master = 0) {
  LinkInfo l;
  l.ifindex = idx;
  l.name = name;
  l.master = master;
  return l;
}
AddrInfo addr(int idx, const std::string& ip, uint8_t prefix) {
  AddrInfo a;
  a.ifindex = idx;
  a.address = IpAddr::parse(ip);
  a.family = a.address->family;
  if (a.family == AF_INET) a.local = a.address;
  a.prefixlen = prefix;
  return a;
}
}  // namespace

TEST(LinkTable, AppliesEvents) {
  LinkTable t;
  t.reset({link(1, "lo"), link(5, "docker0"), link(7, "veth1", 5)}, {addr(5, "10.213.0.1", 24)});
  EXPECT_EQ(t.ports_of(5).size(), 1u);
  t.apply(LinkEvent{false, link(8, "veth2", 5)});
  EXPECT_EQ(t.ports_of(5).size(), 2u);
  t.apply(LinkEvent{false, link(7, "veth1", 0)});  // released
  EXPECT_EQ(t.ports_of(5).size(), 1u);
  t.apply(AddrEvent{false, addr(5, "fd00::1", 64)});
  t.apply(AddrEvent{false, addr(5, "fd00::1", 64)});  // replace, not duplicate
  EXPECT_EQ(t.addresses_of(5).size(), 2u);
  t.apply(AddrEvent{true, addr(5, "10.213.0.1", 24)});
  ASSERT_EQ(t.addresses_of(5).size(), 1u);
  EXPECT_EQ(t.addresses_of(5)[0].cidr(), "fd00::1/64");
  t.apply(LinkEvent{true, link(5, "docker0")});
  EXPECT_EQ(t.find("docker0"), nullptr);
  EXPECT_TRUE(t.addresses_of(5).empty());
  EXPECT_NE(t.find(8), nullptr);
}

TEST(LinkView, AttrsJsonRoundTripAndUnknownNames) {
  AttrValues v{{IFLA_BRPORT_COST, 7}, {IFLA_BRPORT_LEARNING, 0}};
  auto j = attrs_to_json(v, port_flag_specs());
  EXPECT_EQ(j["cost"], 7);
  auto back = attrs_from_json(j, port_flag_specs());
  ASSERT_TRUE(back);
  EXPECT_EQ(*back, v);
  j["frobnicate"] = 1;
  auto bad = attrs_from_json(j, port_flag_specs());
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("frobnicate"), std::string::npos);
}

TEST(LinkView, AddrJsonRoundTrip) {
  auto a = addr(5, "10.213.0.1", 24);
  a.broadcast = IpAddr::parse("10.213.0.255");
  auto back = addr_from_json(addr_to_json(a));
  ASSERT_TRUE(back) << back.error().text();
  EXPECT_TRUE(same_address(*back, a));
  EXPECT_EQ(back->broadcast, a.broadcast);
  EXPECT_FALSE(addr_from_json(nlohmann::json{{"family", "ipx"}, {"prefixlen", 1}}));
}

TEST(Mac, ParseAndFormat) {
  auto m = parse_mac("02:42:0A:d5:00:01");
  ASSERT_TRUE(m);
  EXPECT_EQ(format_mac(*m), "02:42:0a:d5:00:01");
  EXPECT_FALSE(parse_mac("02:42"));
  EXPECT_FALSE(parse_mac("zz:42:0a:d5:00:01"));
  EXPECT_FALSE(parse_mac("02:42:0a:d5:00:"));
}
