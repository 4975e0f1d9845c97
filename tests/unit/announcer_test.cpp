// SPDX-License-Identifier: Apache-2.0
#include <gtest/gtest.h>

#include "guard/announcer.hpp"

using namespace hydra;

TEST(Announcer, GratuitousArpLayout) {
  std::vector<uint8_t> mac = {0x02, 0x42, 0x0a, 0xd5, 0x00, 0x01};
  auto p = guard::gratuitous_arp(mac, *netlink::IpAddr::parse("10.213.0.1"));
  std::vector<uint8_t> expected = {0, 1, 8, 0, 6, 4, 0, 1,                 // Ethernet/IPv4, request
                                   0x02, 0x42, 0x0a, 0xd5, 0x00, 0x01,     // sender MAC
                                   10, 213, 0, 1,                          // sender IP
                                   0, 0, 0, 0, 0, 0,                       // target MAC
                                   10, 213, 0, 1};                         // target IP == sender
  EXPECT_EQ(p, expected);
}

TEST(Announcer, UnsolicitedNaHasValidChecksum) {
  std::vector<uint8_t> mac = {0x02, 0x42, 0x0a, 0xd5, 0x00, 0x01};
  auto ip = *netlink::IpAddr::parse("fd00:d0c::1");
  auto p = guard::unsolicited_na(mac, ip);
  ASSERT_EQ(p.size(), 40u + 32u);
  EXPECT_EQ(p[0] >> 4, 6);
  EXPECT_EQ(p[6], 58);    // ICMPv6
  EXPECT_EQ(p[7], 255);   // hop limit required by RFC 4861
  EXPECT_EQ(p[40], 136);  // neighbour advertisement
  EXPECT_EQ(p[44] & 0x20, 0x20) << "override flag";
  EXPECT_EQ(std::vector<uint8_t>(p.begin() + 48, p.begin() + 64), std::vector<uint8_t>(ip.bytes.begin(), ip.bytes.end()));
  // Summing the pseudo-header and the message including its checksum gives 0xffff.
  uint32_t sum = 0;
  auto add = [&](const uint8_t* b, size_t n) {
    for (size_t i = 0; i < n; i += 2) sum += static_cast<uint32_t>(b[i] << 8 | b[i + 1]);
  };
  add(&p[8], 32);  // source and destination
  sum += 32 + 58;
  add(&p[40], 32);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  EXPECT_EQ(sum, 0xffffu);
}
