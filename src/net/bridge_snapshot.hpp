// SPDX-License-Identifier: Apache-2.0
// What hydra remembers of a protected bridge: enough to put it back exactly.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "net/bridge_extras.hpp"
#include "net/link_table.hpp"

namespace hydra::net {

struct PortRecord {
  int ifindex = 0;
  std::string name;
  std::vector<uint8_t> mac;
  std::string kind;                     // "veth", ...
  int peer_ifindex = 0;                 // veth peer (IFLA_LINK)
  std::optional<int32_t> peer_netnsid;  // namespace of the peer
  netlink::AttrValues flags;            // IFLA_BRPORT_*
  friend bool operator==(const PortRecord&, const PortRecord&) = default;
};

struct BridgeSnapshot {
  std::string name;
  int ifindex = 0;
  std::vector<uint8_t> mac;
  uint32_t mtu = 0;
  uint32_t group = 0;  // IFLA_GROUP
  bool admin_up = true;
  std::vector<AddrInfo> addresses;
  netlink::AttrValues options;   // IFLA_BR_*
  std::vector<PortRecord> ports;  // sorted by ifindex
  BridgeExtras extras;            // routes, sysctls, static neighbours and FDB entries

  [[nodiscard]] const PortRecord* port(int ifindex) const;
  // ifindex → MAC of every recorded port (what keep_fdb needs).
  [[nodiscard]] std::map<int, std::vector<uint8_t>> port_macs() const;
  friend bool operator==(const BridgeSnapshot&, const BridgeSnapshot&) = default;
};

PortRecord record_port(const LinkInfo& port);
// The bridge as it is in `table`, with its current ports and addresses.
BridgeSnapshot snapshot_bridge(const LinkInfo& bridge, const LinkTable& table);

nlohmann::json snapshot_to_json(const BridgeSnapshot& snap);
// Strict: a missing or mistyped field is an error naming it.
Result<BridgeSnapshot> snapshot_from_json(const nlohmann::json& j);

}  // namespace hydra::net
