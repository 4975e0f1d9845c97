// SPDX-License-Identifier: Apache-2.0
// Decoding captured kernel messages, and failing cleanly on mangled ones.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "fixture_bytes.hpp"
#include "netlink/decode.hpp"
#include "netlink/monitor.hpp"

using namespace hydra;
using namespace hydra::netlink;
using hydra::test::load_hex;
using hydra::test::MessageBuffer;

TEST(DecodeLink, CapturedBridge) {
  MessageBuffer m(load_hex("link_bridge.hex"));
  auto link = decode_link(m.hdr());
  ASSERT_TRUE(link) << link.error().text();
  EXPECT_EQ(link->name, "docker0");
  EXPECT_EQ(link->ifindex, 77);
  EXPECT_EQ(link->kind, "bridge");
  EXPECT_EQ(format_mac(link->mac), "02:42:0a:d5:00:01");
  // Created with mtu 1450, but a bridge follows its ports' MTU unless the MTU
  // was changed after creation: the 1500-byte port brought it back to 1500.
  EXPECT_EQ(link->mtu, 1500u);
  EXPECT_TRUE(link->admin_up());
  EXPECT_EQ(link->master, 0);
  ASSERT_TRUE(link->bridge.has_value());
  const auto& o = *link->bridge;
  EXPECT_EQ(o.at(IFLA_BR_STP_STATE), 0u);
  EXPECT_EQ(o.at(IFLA_BR_FORWARD_DELAY), 400u);
  EXPECT_EQ(o.at(IFLA_BR_AGEING_TIME), 30000u);
  EXPECT_EQ(o.at(IFLA_BR_PRIORITY), 4096u);
  EXPECT_EQ(o.at(IFLA_BR_GROUP_FWD_MASK), 0x4000u);
  // vlan_protocol is only reported by kernels built with VLAN filtering;
  // network byte order is covered by the encode round trip.
  EXPECT_EQ(o.at(IFLA_BR_VLAN_FILTERING), 0u);
  EXPECT_TRUE(o.count(IFLA_BR_HELLO_TIME));
  EXPECT_TRUE(o.count(IFLA_BR_MAX_AGE));
  EXPECT_TRUE(o.count(IFLA_BR_MCAST_SNOOPING));
  EXPECT_FALSE(link->port.has_value());
}

TEST(DecodeLink, CapturedVethPort) {
  MessageBuffer m(load_hex("link_veth_port.hex"));
  auto link = decode_link(m.hdr());
  ASSERT_TRUE(link) << link.error().text();
  EXPECT_EQ(link->name, "vethc1");
  EXPECT_EQ(link->kind, "veth");
  EXPECT_EQ(link->slave_kind, "bridge");
  EXPECT_EQ(link->master, 77);
  EXPECT_GT(link->peer_ifindex, 0);
  ASSERT_TRUE(link->link_netnsid.has_value());
  EXPECT_GE(*link->link_netnsid, 0);
  ASSERT_TRUE(link->port.has_value());
  const auto& p = *link->port;
  EXPECT_EQ(p.at(IFLA_BRPORT_LEARNING), 0u);
  EXPECT_EQ(p.at(IFLA_BRPORT_MODE), 1u);
  EXPECT_EQ(p.at(IFLA_BRPORT_COST), 7u);
  EXPECT_EQ(p.at(IFLA_BRPORT_PRIORITY), 5u);
  EXPECT_EQ(p.at(IFLA_BRPORT_UNICAST_FLOOD), 1u);
  EXPECT_EQ(p.at(IFLA_BRPORT_ISOLATED), 0u);
  EXPECT_EQ(p.at(IFLA_BRPORT_PROXYARP), 0u);
  EXPECT_EQ(p.at(IFLA_BRPORT_GUARD), 0u);
}

TEST(DecodeAddr, CapturedInet) {
  MessageBuffer m(load_hex("addr_inet.hex"));
  auto a = decode_addr(m.hdr());
  ASSERT_TRUE(a) << a.error().text();
  EXPECT_EQ(a->family, AF_INET);
  EXPECT_EQ(a->ifindex, 77);
  EXPECT_EQ(a->cidr(), "10.213.0.1/24");
  ASSERT_TRUE(a->broadcast);
  EXPECT_EQ(a->broadcast->to_string(), "10.213.0.255");
  EXPECT_EQ(a->label, "docker0");
  EXPECT_EQ(a->scope, RT_SCOPE_UNIVERSE);
  EXPECT_TRUE(a->flags & IFA_F_PERMANENT);
}

TEST(DecodeAddr, CapturedInet6) {
  MessageBuffer m(load_hex("addr_inet6.hex"));
  auto a = decode_addr(m.hdr());
  ASSERT_TRUE(a) << a.error().text();
  EXPECT_EQ(a->family, AF_INET6);
  EXPECT_EQ(a->cidr(), "fd00:213::1/64");
  EXPECT_TRUE(a->flags & IFA_F_NODAD);
  EXPECT_FALSE(a->broadcast);
}

// Every truncation of every fixture is either decoded or refused; never a
// crash and never a read past the end (the sanitizer build checks that).
TEST(DecodeMalformed, EveryTruncationIsSafe) {
  for (const char* name : {"link_bridge.hex", "link_veth_port.hex", "addr_inet.hex", "addr_inet6.hex"}) {
    auto bytes = load_hex(name);
    for (size_t len = sizeof(nlmsghdr); len < bytes.size(); ++len) {
      std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(len));
      MessageBuffer m(cut);
      m.hdr()->nlmsg_len = static_cast<uint32_t>(len);
      auto ev = decode_notification(m.hdr());
      (void)ev;
    }
  }
}

TEST(DecodeMalformed, TruncatedAttributeIsAnError) {
  auto bytes = load_hex("link_bridge.hex");
  // Cut in the middle of the last attribute: the header says more than is there.
  MessageBuffer m(bytes);
  m.hdr()->nlmsg_len = static_cast<uint32_t>(bytes.size() - 3);
  auto link = decode_link(m.hdr());
  ASSERT_FALSE(link);
  EXPECT_EQ(link.error().code, EBADMSG);
}

TEST(DecodeMalformed, BadAttributeLengthIsAnError) {
  auto bytes = load_hex("link_veth_port.hex");
  MessageBuffer m(bytes);
  // First attribute follows the 16-byte header and the 16-byte ifinfomsg.
  auto* attr = reinterpret_cast<nlattr*>(m.bytes() + 32);
  attr->nla_len = 2;  // shorter than an attribute header
  EXPECT_FALSE(decode_link(m.hdr()));
  attr->nla_len = 0xfff0;  // longer than the message
  EXPECT_FALSE(decode_link(m.hdr()));
}

TEST(DecodeMalformed, ShortFixedWidthAttributeIsAnError) {
  auto bytes = load_hex("link_veth_port.hex");
  // Append IFLA_MTU with a 1-byte payload.
  std::vector<uint8_t> extra = {5, 0, IFLA_MTU, 0, 0x40, 0, 0, 0};
  bytes.insert(bytes.end(), extra.begin(), extra.end());
  MessageBuffer m(bytes);
  m.hdr()->nlmsg_len = static_cast<uint32_t>(bytes.size());
  auto link = decode_link(m.hdr());
  ASSERT_FALSE(link);
  EXPECT_NE(link.error().message.find("IFLA_MTU"), std::string::npos);
}

TEST(DecodeMalformed, UnknownAttributesAreSkipped) {
  // The kernel adds attributes in every release; they must not break decoding.
  auto bytes = load_hex("addr_inet.hex");
  std::vector<uint8_t> extra = {8, 0, 0x7e, 0x00, 1, 2, 3, 4};
  bytes.insert(bytes.end(), extra.begin(), extra.end());
  MessageBuffer m(bytes);
  m.hdr()->nlmsg_len = static_cast<uint32_t>(bytes.size());
  auto a = decode_addr(m.hdr());
  ASSERT_TRUE(a) << a.error().text();
  EXPECT_EQ(a->cidr(), "10.213.0.1/24");
}

TEST(DecodeMalformed, ShortFixedHeaderIsAnError) {
  auto bytes = load_hex("addr_inet.hex");
  MessageBuffer m(bytes);
  m.hdr()->nlmsg_len = sizeof(nlmsghdr) + 4;  // less than an ifaddrmsg
  EXPECT_FALSE(decode_addr(m.hdr()));
}

TEST(DecodeMalformed, UnterminatedNameIsAnError) {
  auto bytes = load_hex("link_bridge.hex");
  MessageBuffer m(bytes);
  // IFLA_IFNAME is the first attribute: "docker0\0" at offset 36.
  ASSERT_EQ(std::string(reinterpret_cast<char*>(m.bytes() + 36)), "docker0");
  m.bytes()[36 + 7] = 'X';
  EXPECT_FALSE(decode_link(m.hdr()));
}
