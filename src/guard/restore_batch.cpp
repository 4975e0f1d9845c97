// SPDX-License-Identifier: Apache-2.0
#include "guard/restore_batch.hpp"

#include "netlink/addr_requests.hpp"
#include "netlink/attr_tables.hpp"
#include "netlink/link_requests.hpp"
#include "netlink/route_neigh.hpp"

#include <algorithm>

namespace hydra::guard {

using Kind = BatchItem::Kind;

Result<RestoreBatch> build_restore_batch(const net::RestorePlan& plan, const std::string& bridge_name) {
  RestoreBatch b;
  auto add = [&](netlink::Request r, Kind kind, size_t index = 0) {
    b.requests.push_back(std::move(r));
    b.items.push_back({kind, index});
  };
  if (plan.create) {
    auto r = netlink::create_bridge(*plan.create);
    if (!r) return r.error();
    add(std::move(*r), Kind::kCreate);
    if (plan.mtu_after_create) add(netlink::set_mtu(plan.bridge_ifindex, bridge_name, *plan.mtu_after_create), Kind::kMtu);
  } else if (plan.set_up) {
    add(netlink::set_admin_up(plan.bridge_ifindex, bridge_name, true), Kind::kSetUp);
  }
  for (size_t i = 0; i < plan.addresses.size(); ++i)
    add(netlink::add_address(plan.addresses[i], bridge_name), Kind::kAddress, i);
  for (size_t i = 0; i < plan.attach.size(); ++i) {
    const auto& p = plan.attach[i];
    add(netlink::set_master(p.ifindex, p.name, plan.bridge_ifindex, bridge_name), Kind::kAttach, i);
    auto flags = netlink::non_default(p.flags, netlink::port_flag_specs());
    if (!flags.empty()) add(netlink::set_port_flags(p.ifindex, p.name, flags), Kind::kPortFlags, i);
  }
  if (plan.mtu_after_ports) add(netlink::set_mtu(plan.bridge_ifindex, bridge_name, *plan.mtu_after_ports), Kind::kMtu);
  for (size_t i = 0; i < plan.routes.size(); ++i)
    add(netlink::add_route(plan.routes[i], plan.bridge_ifindex, bridge_name), Kind::kRoute, i);
  for (size_t i = 0; i < plan.neighbours.size(); ++i)
    add(netlink::add_neigh(plan.neighbours[i], plan.bridge_ifindex, false, bridge_name), Kind::kNeighbour, i);
  for (size_t i = 0; i < plan.fdb.size(); ++i) {
    const auto& entry = plan.fdb[i];
    bool on_bridge = entry.ifindex == plan.bridge_ifindex;
    std::string dev = bridge_name;
    if (!on_bridge) {
      auto port = std::find_if(plan.attach.begin(), plan.attach.end(),
                               [&](const net::PortRecord& p) { return p.ifindex == entry.ifindex; });
      dev = port != plan.attach.end() ? port->name : "port #" + std::to_string(entry.ifindex);
    }
    add(netlink::add_neigh(entry, entry.ifindex, on_bridge, dev), Kind::kFdb, i);
  }
  if (plan.restore_group) add(netlink::set_group(plan.bridge_ifindex, bridge_name, *plan.restore_group), Kind::kGroup);
  return b;
}

}  // namespace hydra::guard
