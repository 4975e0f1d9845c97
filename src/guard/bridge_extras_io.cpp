// SPDX-License-Identifier: Apache-2.0
#include "guard/bridge_extras_io.hpp"

#include <sys/socket.h>

#include "netlink/route_neigh.hpp"

namespace hydra::guard {

Status load_extras(netlink::RtnlSocket& sock, net::BridgeSnapshot& snap) {
  std::vector<netlink::RouteInfo> routes;
  std::vector<netlink::NeighInfo> neighbours;
  for (uint8_t family : {uint8_t{AF_INET}, uint8_t{AF_INET6}}) {
    auto r = netlink::dump_routes(sock, family);
    if (!r) return r.error();
    routes.insert(routes.end(), r->begin(), r->end());
    auto n = netlink::dump_neighs(sock, family);
    if (!n) return n.error();
    neighbours.insert(neighbours.end(), n->begin(), n->end());
  }
  auto fdb = netlink::dump_neighs(sock, AF_BRIDGE);
  if (!fdb) return fdb.error();
  auto sysctls = std::move(snap.extras.sysctls);
  snap.extras = net::select_extras(snap.ifindex, snap.mac, snap.port_macs(), routes, neighbours, *fdb);
  snap.extras.sysctls = std::move(sysctls);
  return {};
}

}  // namespace hydra::guard
