// SPDX-License-Identifier: Apache-2.0
#include "net/restore_plan.hpp"

#include <sys/socket.h>

#include <algorithm>

#include "net/port_policy.hpp"
#include "netlink/attr_tables.hpp"

namespace hydra::net {

bool restorable_address(const AddrInfo& a) {
  if (a.family != AF_INET6) return true;
  const auto& b = a.primary().bytes;
  return !(b[0] == 0xfe && (b[1] & 0xc0) == 0x80);
}

namespace {

constexpr uint32_t kDefaultMtu = 1500;

// The recorded ifindex when free, else one above every index in use.
int choose_ifindex(const BridgeSnapshot& snap, const LinkTable& table) {
  if (snap.ifindex > 0 && !table.find(snap.ifindex)) return snap.ifindex;
  int highest = snap.ifindex;
  for (const auto& [idx, _] : table.links()) highest = std::max(highest, idx);
  return highest + 1;
}

void plan_ports(const BridgeSnapshot& snap, const LinkTable& table, RestorePlan& plan) {
  uint32_t min_mtu = 0;
  for (const PortRecord& rec : snap.ports) {
    const LinkInfo* dev = table.find(rec.ifindex);
    if (!dev) {
      plan.gone.push_back(rec);
      continue;
    }
    if (dev->master != 0 && dev->master == plan.bridge_ifindex) continue;  // still attached
    if (auto why = attach_refusal(*dev, rec, table)) {
      plan.refused.push_back({rec, *why});
      continue;
    }
    plan.attach.push_back(rec);
    min_mtu = min_mtu ? std::min(min_mtu, dev->mtu) : dev->mtu;
  }
  // A bridge takes its ports' MTU as they join, and falls back to 1500 when
  // the last one leaves — unless its MTU was changed after creation (an MTU
  // given at creation, or "changed" to the value it has, does not count). So
  // a non-default MTU is set right after creation (see plan_restore), and the
  // default one after the ports only if they would pull it elsewhere.
  if (plan.create && snap.mtu == kDefaultMtu && !plan.attach.empty() && min_mtu != snap.mtu)
    plan.mtu_after_ports = snap.mtu;
}

// What died with the bridge, moved to the bridge's (possibly new) ifindex.
// FDB entries go back only on the bridge and on ports that are (re)attached.
void plan_extras(const BridgeSnapshot& snap, const LinkTable& table, RestorePlan& plan) {
  BridgeExtras extras = snap.extras;
  move_extras(extras, snap.ifindex, plan.bridge_ifindex);
  plan.routes = std::move(extras.routes);
  plan.neighbours = std::move(extras.neighbours);
  plan.sysctls = std::move(extras.sysctls);
  for (auto& entry : extras.fdb) {
    bool on_bridge = entry.ifindex == plan.bridge_ifindex;
    bool attaching = std::any_of(plan.attach.begin(), plan.attach.end(),
                                 [&](const PortRecord& p) { return p.ifindex == entry.ifindex; });
    const LinkInfo* dev = table.find(entry.ifindex);
    bool attached = dev && dev->master == plan.bridge_ifindex && snap.port(entry.ifindex);
    if (on_bridge || attaching || attached) plan.fdb.push_back(std::move(entry));
  }
}

}  // namespace

RestorePlan plan_restore(const BridgeSnapshot& snap, const LinkTable& table, PlanMode mode) {
  RestorePlan plan;
  plan.mode = mode;
  const LinkInfo* current = table.find(snap.name);
  if (current && current->kind != "bridge") {
    plan.conflict = snap.name + " exists as a " + (current->kind.empty() ? "device" : current->kind) +
                    ", not a bridge (#" + std::to_string(current->ifindex) + ")";
    return plan;
  }
  std::vector<AddrInfo> present;
  if (!current) {
    netlink::BridgeSpec spec;
    spec.name = snap.name;
    spec.ifindex = choose_ifindex(snap, table);
    spec.mac = snap.mac;
    spec.mtu = 0;  // created at 1500; a different MTU is set next, so that it sticks
    if (snap.mtu && snap.mtu != kDefaultMtu) plan.mtu_after_create = snap.mtu;
    spec.options = netlink::non_default(snap.options, netlink::bridge_option_specs());
    spec.up = true;
    spec.group = kRestoringGroup;
    plan.restore_group = snap.group;
    plan.bridge_ifindex = spec.ifindex;
    plan.create = std::move(spec);
  } else {
    plan.bridge_ifindex = current->ifindex;
    plan.set_up = !current->admin_up();
    present = table.addresses_of(current->ifindex);
    // A restore of ours that was interrupted: finish it, MTU included.
    if (current->group == kRestoringGroup) {
      plan.restore_group = snap.group;
      if (mode == PlanMode::kRecover && snap.mtu && current->mtu != snap.mtu) plan.mtu_after_ports = snap.mtu;
    }
  }
  for (AddrInfo a : snap.addresses) {
    if (!restorable_address(a)) continue;
    bool there = std::any_of(present.begin(), present.end(), [&](const AddrInfo& p) { return same_address(p, a); });
    if (there) continue;
    a.ifindex = plan.bridge_ifindex;
    plan.addresses.push_back(std::move(a));
  }
  if (mode == PlanMode::kRecover) {
    plan_ports(snap, table, plan);
    plan_extras(snap, table, plan);
  } else if (plan.set_up || !plan.addresses.empty()) {
    // A bridge set down loses its IPv4 routes and its neighbour entries, and
    // losing its addresses does the same: they go back with the repair.
    BridgeExtras extras = snap.extras;
    move_extras(extras, snap.ifindex, plan.bridge_ifindex);
    plan.routes = std::move(extras.routes);
    plan.neighbours = std::move(extras.neighbours);
  }
  return plan;
}

}  // namespace hydra::net

namespace hydra::net {

std::vector<std::string> verify_restore(const RestorePlan& plan, const BridgeSnapshot& snap, const LinkTable& table,
                                        const std::vector<int>& attached) {
  std::vector<std::string> bad;
  const LinkInfo* br = table.find(snap.name);
  if (!br) return {snap.name + " is missing"};
  if (br->kind != "bridge") return {snap.name + " is not a bridge"};
  if (br->ifindex != plan.bridge_ifindex)
    bad.push_back("ifindex " + std::to_string(br->ifindex) + ", expected " + std::to_string(plan.bridge_ifindex));
  if (plan.create && br->mac != snap.mac)
    bad.push_back("MAC " + netlink::format_mac(br->mac) + ", expected " + netlink::format_mac(snap.mac));
  if (!br->admin_up()) bad.emplace_back("down");
  if (plan.restore_group && br->group != *plan.restore_group)
    bad.push_back("group " + std::to_string(br->group) + ", expected " + std::to_string(*plan.restore_group));
  if (plan.create && snap.mtu && br->mtu != snap.mtu)
    bad.push_back("MTU " + std::to_string(br->mtu) + ", expected " + std::to_string(snap.mtu));
  if (plan.create && br->bridge) {
    for (const auto& [type, value] : netlink::non_default(snap.options, netlink::bridge_option_specs())) {
      auto it = br->bridge->find(type);
      if (it != br->bridge->end() && it->second != value)
        bad.push_back("option " + std::string(netlink::find_spec(netlink::bridge_option_specs(), type)->name) +
                      " is " + std::to_string(it->second) + ", expected " + std::to_string(value));
    }
  }
  const auto& present = table.addresses_of(br->ifindex);
  for (const auto& a : snap.addresses) {
    if (!restorable_address(a)) continue;
    if (std::none_of(present.begin(), present.end(), [&](const AddrInfo& p) { return same_address(p, a); }))
      bad.push_back("address " + a.cidr() + " missing");
  }
  for (int idx : attached) {
    const LinkInfo* p = table.find(idx);
    if (p && p->master != br->ifindex) bad.push_back("port " + p->name + " not attached");
  }
  return bad;
}

}  // namespace hydra::net
