// SPDX-License-Identifier: Apache-2.0
// Encoders: golden bytes, and a round trip through the decoder.
#include <gtest/gtest.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sys/socket.h>

#include <fstream>

#include "fixture_bytes.hpp"
#include "netlink/addr_requests.hpp"
#include "netlink/attr_walk.hpp"
#include "netlink/decode.hpp"
#include "netlink/link_requests.hpp"

using namespace hydra;
using namespace hydra::netlink;
using hydra::test::load_hex;
using hydra::test::MessageBuffer;

namespace {

BridgeSpec docker0_spec() {
  BridgeSpec s;
  s.name = "docker0";
  s.ifindex = 77;
  s.mac = *parse_mac("02:42:0a:d5:00:01");
  s.mtu = 1450;
  s.options = {{IFLA_BR_STP_STATE, 0}, {IFLA_BR_FORWARD_DELAY, 400}, {IFLA_BR_PRIORITY, 4096},
               {IFLA_BR_VLAN_PROTOCOL, 0x88a8}, {IFLA_BR_GROUP_FWD_MASK, 0x4000}};
  return s;
}

// Compares with tests/fixtures/NAME; HYDRA_UPDATE_GOLDEN=1 rewrites it.
void expect_golden(const Request& r, const std::string& name) {
  auto bytes = r.bytes();
  std::string hex = hydra::test::to_hex(bytes.data(), bytes.size());
  if (std::getenv("HYDRA_UPDATE_GOLDEN")) {
    std::ofstream(std::string(HYDRA_FIXTURE_DIR) + "/" + name) << hex << "\n";
    return;
  }
  auto golden = load_hex(name);
  ASSERT_FALSE(golden.empty()) << "missing fixture " << name;
  EXPECT_EQ(std::vector<uint8_t>(bytes.begin(), bytes.end()), golden) << "got:\n" << hex;
}

}  // namespace

TEST(EncodeBridge, GoldenBytes) {
  auto r = create_bridge(docker0_spec());
  ASSERT_TRUE(r) << r.error().text();
  expect_golden(*r, "encode_create_bridge.hex");
}

TEST(EncodeBridge, RoundTripsThroughDecoder) {
  auto r = create_bridge(docker0_spec());
  ASSERT_TRUE(r);
  const nlmsghdr* nlh = r->header();
  EXPECT_EQ(nlh->nlmsg_type, RTM_NEWLINK);
  EXPECT_EQ(nlh->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
  auto link = decode_link(nlh);
  ASSERT_TRUE(link) << link.error().text();
  EXPECT_EQ(link->name, "docker0");
  EXPECT_EQ(link->ifindex, 77);
  EXPECT_EQ(link->kind, "bridge");
  EXPECT_EQ(format_mac(link->mac), "02:42:0a:d5:00:01");
  EXPECT_EQ(link->mtu, 1450u);
  EXPECT_TRUE(link->flags & IFF_UP);
  EXPECT_EQ(*link->bridge, docker0_spec().options);  // vlan_protocol survives byte order
}

TEST(EncodeBridge, RejectsBadNameAndMac) {
  auto spec = docker0_spec();
  spec.name = "a-name-longer-than-15";
  EXPECT_FALSE(create_bridge(spec));
  spec = docker0_spec();
  spec.mac = {1, 2, 3};
  EXPECT_FALSE(create_bridge(spec));
}

TEST(EncodeBridge, OwnMacIsUnicastAndLocallyAdministered) {
  EXPECT_EQ(local_unicast_mac({0xff, 1, 2, 3, 4, 5}), (std::vector<uint8_t>{0xfe, 1, 2, 3, 4, 5}));
  EXPECT_EQ(local_unicast_mac({0x00, 1, 2, 3, 4, 5}), (std::vector<uint8_t>{0x02, 1, 2, 3, 4, 5}));
  auto a = random_local_mac(), b = random_local_mac();
  ASSERT_EQ(a.size(), 6u);
  EXPECT_EQ(a[0] & 0x03, 0x02);
  EXPECT_NE(a, b);  // 2^-46 to fail by chance
}

TEST(EncodeLink, SetMasterAndClear) {
  auto r = set_master(12, "vethc1", 77, "docker0");
  EXPECT_EQ(r.what(), "set master of vethc1 to docker0");
  expect_golden(r, "encode_set_master.hex");
  auto link = decode_link(r.header());
  // A set-link request carries no name; decoding it as a notification fails,
  // so read the attribute directly.
  uint32_t master = 0;
  auto region = attr_region(r.header(), sizeof(ifinfomsg));
  ASSERT_TRUE(region);
  ASSERT_TRUE(walk_attrs(*region, [&](const AttrView& a) -> Status {
    if (a.type == IFLA_MASTER) master = a.as<uint32_t>();
    return {};
  }));
  EXPECT_EQ(master, 77u);
  EXPECT_EQ(set_master(12, "vethc1", 0, "").what(), "clear master of vethc1");
}

TEST(EncodeLink, PortFlagsNestedAsSlaveData) {
  AttrValues flags{{IFLA_BRPORT_LEARNING, 0}, {IFLA_BRPORT_COST, 7}, {IFLA_BRPORT_PRIORITY, 5}};
  auto r = set_port_flags(12, "vethc1", flags);
  expect_golden(r, "encode_port_flags.hex");
}

TEST(EncodeLink, SetUpDown) {
  auto up = set_admin_up(5, "docker0", true);
  const auto* ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(up.header()));
  EXPECT_EQ(ifi->ifi_flags & IFF_UP, static_cast<unsigned>(IFF_UP));
  EXPECT_EQ(ifi->ifi_change, static_cast<unsigned>(IFF_UP));
  auto down = set_admin_up(5, "docker0", false);
  ifi = static_cast<const ifinfomsg*>(NLMSG_DATA(down.header()));
  EXPECT_EQ(ifi->ifi_flags & IFF_UP, 0u);
  EXPECT_EQ(ifi->ifi_index, 5);
}

TEST(EncodeLink, VethWithPeerInNamespace) {
  auto r = create_veth("vethb-h1", "eth1", 9);
  ASSERT_TRUE(r);
  expect_golden(*r, "encode_create_veth.hex");
  EXPECT_FALSE(create_veth("vethb-h1", "bad/name", 9));
  EXPECT_FALSE(create_veth("", "eth1", 9));
}

TEST(EncodeAddr, Inet6GetsNodad) {
  AddrInfo a;
  a.family = AF_INET6;
  a.prefixlen = 64;
  a.ifindex = 77;
  a.address = IpAddr::parse("fd00:213::1");
  a.flags = IFA_F_PERMANENT | IFA_F_TENTATIVE | IFA_F_NOPREFIXROUTE;  // kernel state + one settable
  auto r = add_address(a, "docker0");
  expect_golden(r, "encode_add_inet6.hex");
  auto back = decode_addr(r.header());
  ASSERT_TRUE(back) << back.error().text();
  EXPECT_EQ(back->cidr(), "fd00:213::1/64");
  EXPECT_EQ(back->flags, static_cast<uint32_t>(IFA_F_NODAD | IFA_F_NOPREFIXROUTE));
}

TEST(EncodeAddr, Inet4CarriesBroadcast) {
  MessageBuffer m(load_hex("addr_inet.hex"));
  auto captured = decode_addr(m.hdr());
  ASSERT_TRUE(captured);
  auto r = add_address(*captured, "docker0");
  auto back = decode_addr(r.header());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->cidr(), "10.213.0.1/24");
  ASSERT_TRUE(back->broadcast);
  EXPECT_EQ(back->broadcast->to_string(), "10.213.0.255");
  EXPECT_EQ(back->flags & IFA_F_NODAD, 0u);
  EXPECT_EQ(r.header()->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL);
}
