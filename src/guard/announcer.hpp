// SPDX-License-Identifier: Apache-2.0
// Tells the neighbours a restored bridge is back: a gratuitous ARP per IPv4
// address and an unsolicited neighbour advertisement per IPv6 address, sent
// on the bridge. Its MAC is unchanged, so caches stay right; the announcement
// refreshes entries that went stale while it was gone.
#pragma once

#include <cstdint>
#include <vector>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "netlink/types.hpp"

namespace hydra::guard {

// Packet bodies (no Ethernet header), built purely for testing.
std::vector<uint8_t> gratuitous_arp(const std::vector<uint8_t>& mac, const netlink::IpAddr& ip);
std::vector<uint8_t> unsolicited_na(const std::vector<uint8_t>& mac, const netlink::IpAddr& ip);

// Owns one packet socket for the daemon's lifetime: closing a packet socket
// waits for an RCU grace period (~10 ms), far too long for the restore path.
class Announcer {
 public:
  static Result<Announcer> open();
  // Sends one announcement per address; returns how many were sent, or the
  // first error (with the interface named).
  Result<size_t> announce(int ifindex, const std::string& ifname, const std::vector<uint8_t>& mac,
                          const std::vector<netlink::AddrInfo>& addresses);

 private:
  explicit Announcer(UniqueFd fd) : fd_(std::move(fd)) {}
  UniqueFd fd_;
};

}  // namespace hydra::guard
