// SPDX-License-Identifier: Apache-2.0
// How the guard keeps a bridge's extras current: additions are recorded as
// their notifications arrive; a removal only marks the record stale, and the
// extras are re-read once things settle — a bridge being deleted flushes its
// IPv6 routes, neighbours and FDB entries (with notifications) before it is
// gone, and those must not be mistaken for decisions.
#include <linux/neighbour.h>
#include <sys/socket.h>

#include <algorithm>

#include "guard/bridge_extras_io.hpp"
#include "guard/bridge_guard.hpp"
#include "guard/bridge_sysctls.hpp"

namespace hydra::guard {

void BridgeGuard::on_route(const netlink::RouteEvent& ev, int64_t read_us) {
  for (auto& [name, b] : bridges_) {
    if (!alive(b) || b.recovery || ev.route.oif != b.snap->ifindex) continue;
    b.sysctls_stale = true;
    auto& routes = b.snap->extras.routes;
    if (!ev.deleted) {
      if (net::keep_route(ev.route, b.snap->ifindex) && net::upsert_route(routes, ev.route)) b.dirty = true;
    } else if (std::any_of(routes.begin(), routes.end(), [&](const auto& r) { return net::same_route(r, ev.route); })) {
      b.extras_stale = true;
      b.settle_us = read_us + config_.settle_us;
    }
  }
}

void BridgeGuard::on_neigh(const netlink::NeighEvent& ev, int64_t read_us) {
  const auto& n = ev.neigh;
  for (auto& [name, b] : bridges_) {
    if (!alive(b) || b.recovery) continue;
    const int br = b.snap->ifindex;
    const bool fdb = n.family == AF_BRIDGE;
    if (fdb ? n.master != br && n.ifindex != br : n.ifindex != br) continue;
    auto& list = fdb ? b.snap->extras.fdb : b.snap->extras.neighbours;
    if (!ev.deleted) {
      bool keep = fdb ? net::keep_fdb(n, br, b.snap->mac, b.snap->port_macs()) : net::keep_neighbour(n, br);
      if (keep && net::upsert_neighbour(list, n)) b.dirty = true;
      // A static entry turned dynamic (or replaced by a learned one) leaves the record.
      if (!keep) {
        auto it = std::find_if(list.begin(), list.end(), [&](const auto& x) { return net::same_neighbour(x, n); });
        if (it != list.end()) {
          list.erase(it);
          b.dirty = true;
        }
      }
    } else if (std::any_of(list.begin(), list.end(), [&](const auto& x) { return net::same_neighbour(x, n); })) {
      b.extras_stale = true;
      b.settle_us = read_us + config_.settle_us;
    }
  }
}

void BridgeGuard::on_netconf(const netlink::NetconfEvent& ev) {
  for (auto& [name, b] : bridges_)
    if (alive(b) && !b.recovery && ev.ifindex == b.snap->ifindex) b.sysctls_stale = true;
}

void BridgeGuard::refresh_extras(Bridge& b, bool dumps) {
  if (!alive(b) || b.recovery) return;
  auto before = b.snap->extras;
  if (dumps) {
    if (auto st = load_extras(sock_, *b.snap); !st) {
      log_.emit("extras_unreadable", {{"bridge", b.name}, {"error", st.error().text()}});
      return;
    }
    b.extras_stale = false;
  }
  // Merge: a value that cannot be read now (device going away) keeps its record.
  for (auto& [key, value] : read_bridge_sysctls(b.name)) b.snap->extras.sysctls[key] = value;
  b.sysctls_stale = false;
  if (!(before == b.snap->extras)) b.dirty = true;
}

void BridgeGuard::carry_extras(const net::BridgeSnapshot& before, net::BridgeSnapshot& after) {
  after.extras = before.extras;
  net::move_extras(after.extras, before.ifindex, after.ifindex);
}

}  // namespace hydra::guard
