// SPDX-License-Identifier: Apache-2.0
#include "netlink/attr_tables.hpp"

#include <linux/if_link.h>

namespace hydra::netlink {
namespace {

constexpr AttrSpec kBridgeOptions[] = {
    {IFLA_BR_STP_STATE, 4, false, "stp_state", 0},
    {IFLA_BR_FORWARD_DELAY, 4, false, "forward_delay", 1500},
    {IFLA_BR_HELLO_TIME, 4, false, "hello_time", 200},
    {IFLA_BR_MAX_AGE, 4, false, "max_age", 2000},
    {IFLA_BR_AGEING_TIME, 4, false, "ageing_time", 30000},
    {IFLA_BR_PRIORITY, 2, false, "priority", 32768},
    {IFLA_BR_VLAN_FILTERING, 1, false, "vlan_filtering", 0},
    {IFLA_BR_VLAN_PROTOCOL, 2, true, "vlan_protocol", 0x8100},
    {IFLA_BR_VLAN_DEFAULT_PVID, 2, false, "vlan_default_pvid", 1},
    {IFLA_BR_GROUP_FWD_MASK, 2, false, "group_fwd_mask", 0},
    {IFLA_BR_MCAST_SNOOPING, 1, false, "mcast_snooping", 1},
    {IFLA_BR_MCAST_QUERIER, 1, false, "mcast_querier", 0},
    {IFLA_BR_NF_CALL_IPTABLES, 1, false, "nf_call_iptables", 0},
    {IFLA_BR_NF_CALL_IP6TABLES, 1, false, "nf_call_ip6tables", 0},
    {IFLA_BR_NF_CALL_ARPTABLES, 1, false, "nf_call_arptables", 0},
};

constexpr AttrSpec kPortFlags[] = {
    {IFLA_BRPORT_LEARNING, 1, false, "learning", 1},
    {IFLA_BRPORT_UNICAST_FLOOD, 1, false, "unicast_flood", 1},
    {IFLA_BRPORT_MCAST_FLOOD, 1, false, "mcast_flood", 1},
    {IFLA_BRPORT_BCAST_FLOOD, 1, false, "bcast_flood", 1},
    {IFLA_BRPORT_MODE, 1, false, "hairpin", 0},
    {IFLA_BRPORT_ISOLATED, 1, false, "isolated", 0},
    {IFLA_BRPORT_COST, 4, false, "cost", 2},  // what a veth (10 Gb/s) gets
    {IFLA_BRPORT_PRIORITY, 2, false, "priority", 32},
    {IFLA_BRPORT_GUARD, 1, false, "guard", 0},
    {IFLA_BRPORT_PROTECT, 1, false, "root_block", 0},
    {IFLA_BRPORT_FAST_LEAVE, 1, false, "fastleave", 0},
    {IFLA_BRPORT_PROXYARP, 1, false, "proxyarp", 0},
    {IFLA_BRPORT_NEIGH_SUPPRESS, 1, false, "neigh_suppress", 0},
};

}  // namespace

std::span<const AttrSpec> bridge_option_specs() { return kBridgeOptions; }
std::span<const AttrSpec> port_flag_specs() { return kPortFlags; }

AttrValues non_default(const AttrValues& values, std::span<const AttrSpec> specs) {
  AttrValues out;
  for (const auto& [type, v] : values) {
    const AttrSpec* spec = find_spec(specs, type);
    if (spec && v != spec->kernel_default) out[type] = v;
  }
  return out;
}

const AttrSpec* find_spec(std::span<const AttrSpec> specs, uint16_t type) {
  for (const auto& s : specs)
    if (s.type == type) return &s;
  return nullptr;
}

const AttrSpec* find_spec(std::span<const AttrSpec> specs, std::string_view name) {
  for (const auto& s : specs)
    if (s.name == name) return &s;
  return nullptr;
}

}  // namespace hydra::netlink
