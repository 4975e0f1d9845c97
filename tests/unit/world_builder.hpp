// SPDX-License-Identifier: Apache-2.0
// Builds LinkTables for the planner's unit tests: a docker0 with veth ports,
// the sandbox's eth0, a session bridge with its vethb- port.
#pragma once

#include <linux/if.h>
#include <linux/if_link.h>
#include <sys/socket.h>

#include "net/bridge_snapshot.hpp"
#include "net/link_table.hpp"

namespace hydra::test {

inline netlink::LinkInfo make_link(int idx, const std::string& name, const std::string& kind, int master = 0) {
  netlink::LinkInfo l;
  l.ifindex = idx;
  l.name = name;
  l.kind = kind;
  l.master = master;
  l.mtu = 1500;
  l.flags = IFF_UP;
  l.mac = {0x02, 0, 0, 0, static_cast<uint8_t>(idx >> 8), static_cast<uint8_t>(idx)};
  if (kind == "veth") {
    l.peer_ifindex = 2;
    l.link_netnsid = idx;
  }
  if (kind == "bridge") l.bridge = netlink::AttrValues{{IFLA_BR_STP_STATE, 0}, {IFLA_BR_FORWARD_DELAY, 1500}};
  if (master) {
    l.slave_kind = "bridge";
    l.port = netlink::AttrValues{{IFLA_BRPORT_LEARNING, 1}, {IFLA_BRPORT_COST, 2}};
  }
  return l;
}

inline netlink::AddrInfo make_addr(int idx, const std::string& ip, uint8_t prefix) {
  netlink::AddrInfo a;
  a.ifindex = idx;
  a.address = netlink::IpAddr::parse(ip);
  a.family = a.address->family;
  if (a.family == AF_INET) a.local = a.address;
  a.prefixlen = prefix;
  return a;
}

// docker0 (#5) with ports #10..#12, eth0 (#2, a masterless veth with an
// address), hydra1 (#20) with vethb-h1 (#21).
struct SandboxWorld {
  net::LinkTable table;
  net::BridgeSnapshot snap;

  SandboxWorld() {
    std::vector<netlink::LinkInfo> links = {
        make_link(1, "lo", ""),           make_link(2, "eth0", "veth"),       make_link(5, "docker0", "bridge"),
        make_link(10, "veth0a", "veth", 5), make_link(11, "veth0b", "veth", 5), make_link(12, "veth0c", "veth", 5),
        make_link(20, "hydra1", "bridge"), make_link(21, "vethb-h1", "veth", 20)};
    std::vector<netlink::AddrInfo> addrs = {make_addr(1, "127.0.0.1", 8), make_addr(2, "192.0.2.2", 24),
                                            make_addr(5, "10.213.0.1", 24), make_addr(5, "fd00:d0c::1", 64),
                                            make_addr(5, "fe80::42:aff:fed5:1", 64),
                                            make_addr(10, "fe80::1", 64)};
    table.reset(links, addrs);
    snap = net::snapshot_bridge(*table.find("docker0"), table);
  }

  // What the kernel leaves after deleting docker0: ports masterless, bridge
  // and its addresses gone.
  void delete_docker0() {
    for (int idx : {10, 11, 12}) {
      auto l = *table.find(idx);
      l.master = 0;
      l.slave_kind.clear();
      l.port.reset();
      table.apply(netlink::LinkEvent{false, l});
    }
    table.apply(netlink::LinkEvent{true, *table.find(5)});
  }
};

}  // namespace hydra::test
