// SPDX-License-Identifier: Apache-2.0
// Routes and neighbour entries (IP neighbours and bridge FDB entries): the
// decoded form, strict decoders, the requests that re-add them, and dumps.
// Only what hydra records about a bridge is kept; the rest is skipped.
#pragma once

#include <linux/netlink.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "base/result.hpp"
#include "netlink/request.hpp"
#include "netlink/rtnl_socket.hpp"
#include "netlink/types.hpp"

namespace hydra::netlink {

struct RouteInfo {
  uint8_t family = 0;
  uint8_t dst_len = 0;
  uint8_t src_len = 0;
  uint8_t tos = 0;
  uint32_t table = 0;     // RTA_TABLE (rtm_table when absent)
  uint8_t protocol = 0;   // RTPROT_*
  uint8_t scope = 0;
  uint8_t type = 0;       // RTN_*
  uint32_t flags = 0;     // rtm_flags
  std::optional<IpAddr> dst, src, gateway, prefsrc;
  int oif = 0;
  std::optional<uint32_t> priority;  // metric
  std::optional<uint8_t> pref;       // RTA_PREF (IPv6 router preference)
  std::vector<uint8_t> metrics;      // RTA_METRICS nest, kept as the kernel gave it
  bool multipath = false;            // RTA_MULTIPATH present (not restored)

  // "10.50.0.0/16 via 10.213.0.7 table 100 proto static metric 0"
  [[nodiscard]] std::string describe() const;
  friend bool operator==(const RouteInfo&, const RouteInfo&) = default;
};

struct NeighInfo {
  uint8_t family = 0;  // AF_INET, AF_INET6, or AF_BRIDGE for an FDB entry
  int ifindex = 0;
  uint16_t state = 0;  // NUD_*
  uint8_t flags = 0;   // NTF_*
  std::optional<IpAddr> dst;   // NDA_DST (IP neighbours)
  std::vector<uint8_t> lladdr;  // NDA_LLADDR
  int master = 0;               // NDA_MASTER (FDB)
  std::optional<uint16_t> vlan;  // NDA_VLAN (FDB)

  [[nodiscard]] std::string describe() const;
  friend bool operator==(const NeighInfo&, const NeighInfo&) = default;
};

Result<RouteInfo> decode_route(const nlmsghdr* nlh);
Result<NeighInfo> decode_neigh(const nlmsghdr* nlh);

// RTM_NEWROUTE with NLM_F_CREATE|NLM_F_REPLACE: every recorded attribute,
// with the output device `oif`.
Request add_route(const RouteInfo& route, int oif, const std::string& ifname);
// RTM_NEWNEIGH with NLM_F_CREATE|NLM_F_REPLACE on `ifindex`. For an FDB entry
// on a port the entry goes to the bridge (NTF_MASTER); on the bridge itself, to
// its own table (NTF_SELF).
Request add_neigh(const NeighInfo& neigh, int ifindex, bool on_bridge_itself, const std::string& ifname);

// Every route of one family (AF_INET or AF_INET6), all tables.
Result<std::vector<RouteInfo>> dump_routes(RtnlSocket& sock, uint8_t family);
// Every neighbour of one family (AF_INET, AF_INET6, or AF_BRIDGE for the FDB).
Result<std::vector<NeighInfo>> dump_neighs(RtnlSocket& sock, uint8_t family);

}  // namespace hydra::netlink
