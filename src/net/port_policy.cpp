// SPDX-License-Identifier: Apache-2.0
#include "net/port_policy.hpp"

#include <sys/socket.h>

namespace hydra::net {

bool is_reserved_name(const std::string& name) {
  return name == "lo" || name.rfind("eth", 0) == 0 || name.rfind("vethb-", 0) == 0;
}

bool holds_address(int ifindex, const LinkTable& table) {
  for (const auto& a : table.addresses_of(ifindex)) {
    bool v6_link_local = a.family == AF_INET6 && a.primary().bytes[0] == 0xfe && (a.primary().bytes[1] & 0xc0) == 0x80;
    if (!v6_link_local) return true;
  }
  return false;
}

std::optional<std::string> attach_refusal(const LinkInfo& dev, const PortRecord& rec, const LinkTable& table) {
  if (is_reserved_name(dev.name)) return "reserved name " + dev.name;
  if (dev.ifindex != rec.ifindex || dev.name != rec.name)
    return "not the recorded device (now " + dev.name + " #" + std::to_string(dev.ifindex) + ")";
  if (dev.kind != rec.kind) return "kind changed from " + rec.kind + " to " + dev.kind;
  if (dev.kind == "bridge") return "is a bridge";
  if (!rec.mac.empty() && dev.mac != rec.mac) return "MAC changed";
  if (dev.kind == "veth" && (dev.peer_ifindex != rec.peer_ifindex || dev.link_netnsid != rec.peer_netnsid))
    return "veth peer changed";
  if (dev.master != 0) {
    const LinkInfo* m = table.find(dev.master);
    return "already a port of " + (m ? m->name : "#" + std::to_string(dev.master));
  }
  if (holds_address(dev.ifindex, table)) return "holds an IP address";
  return std::nullopt;
}

}  // namespace hydra::net
