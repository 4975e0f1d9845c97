// SPDX-License-Identifier: Apache-2.0
#include "guard/announcer.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <sys/socket.h>

#include <cstring>

#include "base/unique_fd.hpp"
#include "net/restore_plan.hpp"

namespace hydra::guard {

std::vector<uint8_t> gratuitous_arp(const std::vector<uint8_t>& mac, const netlink::IpAddr& ip) {
  // ARP request with sender == target address: the form every stack accepts.
  std::vector<uint8_t> p = {0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01};
  p.insert(p.end(), mac.begin(), mac.end());
  p.insert(p.end(), ip.bytes.begin(), ip.bytes.begin() + 4);
  p.insert(p.end(), 6, 0x00);
  p.insert(p.end(), ip.bytes.begin(), ip.bytes.begin() + 4);
  return p;
}

namespace {

uint16_t icmp6_checksum(const uint8_t* src, const uint8_t* dst, const std::vector<uint8_t>& icmp) {
  uint32_t sum = 0;
  auto add16 = [&](const uint8_t* b, size_t n) {
    for (size_t i = 0; i + 1 < n; i += 2) sum += static_cast<uint32_t>(b[i] << 8 | b[i + 1]);
    if (n % 2) sum += static_cast<uint32_t>(b[n - 1] << 8);
  };
  add16(src, 16);
  add16(dst, 16);
  sum += static_cast<uint32_t>(icmp.size());
  sum += 58;  // next header: ICMPv6
  add16(icmp.data(), icmp.size());
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

const uint8_t kAllNodes[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};

}  // namespace

std::vector<uint8_t> unsolicited_na(const std::vector<uint8_t>& mac, const netlink::IpAddr& ip) {
  // ICMPv6 type 136, Override flag, target = ip, option 2 (target link-layer address).
  std::vector<uint8_t> icmp = {136, 0, 0, 0, 0x20, 0, 0, 0};
  icmp.insert(icmp.end(), ip.bytes.begin(), ip.bytes.end());
  icmp.push_back(2);
  icmp.push_back(1);
  icmp.insert(icmp.end(), mac.begin(), mac.end());
  uint16_t csum = icmp6_checksum(ip.bytes.data(), kAllNodes, icmp);
  icmp[2] = static_cast<uint8_t>(csum >> 8);
  icmp[3] = static_cast<uint8_t>(csum & 0xff);
  // IPv6 header: version 6, payload length, next header 58, hop limit 255.
  std::vector<uint8_t> p = {0x60, 0, 0, 0, static_cast<uint8_t>(icmp.size() >> 8),
                            static_cast<uint8_t>(icmp.size() & 0xff), 58, 255};
  p.insert(p.end(), ip.bytes.begin(), ip.bytes.end());
  p.insert(p.end(), kAllNodes, kAllNodes + 16);
  p.insert(p.end(), icmp.begin(), icmp.end());
  return p;
}

Result<Announcer> Announcer::open() {
  // Protocol 0: the socket only sends, it never receives a frame.
  UniqueFd fd(socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return errno_error("open packet socket for announcements");
  return Announcer(std::move(fd));
}

Result<size_t> Announcer::announce(int ifindex, const std::string& ifname, const std::vector<uint8_t>& mac,
                                   const std::vector<netlink::AddrInfo>& addresses) {
  if (mac.size() != 6) return make_error("announce on " + ifname + ": no Ethernet MAC", EINVAL);
  size_t sent = 0;
  for (const auto& a : addresses) {
    if (!net::restorable_address(a)) continue;
    sockaddr_ll to{};
    to.sll_family = AF_PACKET;
    to.sll_ifindex = ifindex;
    to.sll_halen = 6;
    std::vector<uint8_t> pkt;
    if (a.family == AF_INET) {
      to.sll_protocol = htons(ETH_P_ARP);
      std::memset(to.sll_addr, 0xff, 6);
      pkt = gratuitous_arp(mac, a.primary());
    } else {
      to.sll_protocol = htons(ETH_P_IPV6);
      const uint8_t all_nodes_mac[6] = {0x33, 0x33, 0, 0, 0, 1};
      std::memcpy(to.sll_addr, all_nodes_mac, 6);
      pkt = unsolicited_na(mac, a.primary());
    }
    if (sendto(fd_.get(), pkt.data(), pkt.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0)
      return errno_error("announce " + a.cidr() + " on " + ifname);
    ++sent;
  }
  return sent;
}

}  // namespace hydra::guard
