// SPDX-License-Identifier: Apache-2.0
// Declarative tables of the bridge option (IFLA_BR_*) and bridge port
// (IFLA_BRPORT_*) attributes hydra reads, records and writes back. Decoding,
// encoding, JSON and comparison all walk these tables, so adding an attribute
// is one line here.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "netlink/types.hpp"

namespace hydra::netlink {

struct AttrSpec {
  uint16_t type;
  uint8_t width;        // bytes: 1, 2 or 4
  bool network_order;   // stored big-endian on the wire (e.g. vlan_protocol)
  std::string_view name;
  // The value a freshly created bridge (or freshly attached port) has. Only
  // values that differ are written back: fewer requests, and options a
  // kernel cannot set (vlan_filtering without CONFIG_BRIDGE_VLAN_FILTERING
  // answers EOPNOTSUPP even for 0) are never sent when they are the default.
  uint64_t kernel_default;
};

// The entries of `values` that differ from their kernel default.
AttrValues non_default(const AttrValues& values, std::span<const AttrSpec> specs);

// Writable bridge options restored on a recreated bridge.
std::span<const AttrSpec> bridge_option_specs();
// Writable per-port flags restored on a re-attached port.
std::span<const AttrSpec> port_flag_specs();

const AttrSpec* find_spec(std::span<const AttrSpec> specs, uint16_t type);
const AttrSpec* find_spec(std::span<const AttrSpec> specs, std::string_view name);

}  // namespace hydra::netlink
