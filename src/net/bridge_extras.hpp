// SPDX-License-Identifier: Apache-2.0
// What dies with a bridge besides its addresses and ports: routes through it,
// its per-interface sysctls, static neighbour entries and static FDB entries.
// Which of them belong to a bridge's record is decided here, without I/O.
#pragma once

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.hpp"
#include "netlink/route_neigh.hpp"

namespace hydra::net {

struct BridgeExtras {
  std::vector<netlink::RouteInfo> routes;      // oif = the bridge, not made by the kernel
  std::map<std::string, std::string> sysctls;  // "ipv4.rp_filter" → "1"
  std::vector<netlink::NeighInfo> neighbours;  // permanent IPv4/IPv6 neighbours on the bridge
  std::vector<netlink::NeighInfo> fdb;         // static FDB entries on the bridge and its ports
  friend bool operator==(const BridgeExtras&, const BridgeExtras&) = default;
};

// The per-interface sysctls recorded and written back, as "ipv4.NAME" /
// "ipv6.NAME" (net.ipv4.conf.<bridge>.NAME, net.ipv6.conf.<bridge>.NAME).
const std::vector<std::string>& recorded_sysctls();

// A route through `bridge_ifindex` that someone other than the kernel made
// (any protocol but kernel, redirect and router advertisement; no cached
// clone, no multipath route).
bool keep_route(const netlink::RouteInfo& r, int bridge_ifindex);
// A permanent IPv4/IPv6 neighbour entry on the bridge.
bool keep_neighbour(const netlink::NeighInfo& n, int bridge_ifindex);
// A static or permanent unicast FDB entry in the bridge's table, on the
// bridge or one of `port_macs` (ifindex → MAC), that the kernel did not add
// for a device's own address.
bool keep_fdb(const netlink::NeighInfo& n, int bridge_ifindex, const std::vector<uint8_t>& bridge_mac,
              const std::map<int, std::vector<uint8_t>>& port_macs);

// Same destination, table and kind of entry: the identity that an update replaces.
bool same_route(const netlink::RouteInfo& a, const netlink::RouteInfo& b);
bool same_neighbour(const netlink::NeighInfo& a, const netlink::NeighInfo& b);

// Inserts or replaces `item` by identity; true when the list changed.
bool upsert_route(std::vector<netlink::RouteInfo>& list, const netlink::RouteInfo& item);
bool upsert_neighbour(std::vector<netlink::NeighInfo>& list, const netlink::NeighInfo& item);

// The extras of a bridge from full dumps.
BridgeExtras select_extras(int bridge_ifindex, const std::vector<uint8_t>& bridge_mac,
                           const std::map<int, std::vector<uint8_t>>& port_macs,
                           const std::vector<netlink::RouteInfo>& routes,
                           const std::vector<netlink::NeighInfo>& neighbours, const std::vector<netlink::NeighInfo>& fdb);

// The recorded extras for a bridge that now has `new_ifindex` (routes' oif,
// neighbours' and bridge-FDB entries' ifindex follow it).
void move_extras(BridgeExtras& extras, int old_ifindex, int new_ifindex);

nlohmann::json extras_to_json(const BridgeExtras& e);
// Strict; a missing key is an empty list (snapshots written before these existed).
Result<BridgeExtras> extras_from_json(const nlohmann::json& j);

}  // namespace hydra::net
