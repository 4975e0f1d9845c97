// SPDX-License-Identifier: Apache-2.0
// One docker0 deletion, watched by an independent listener: the time from
// the bridge's RTM_DELLINK to the notification that completes its restore
// (docker0 up, 10.213.0.1/24 back, all N "vb*" ports attached), in us; -1
// when that does not happen within 10 s.
#pragma once

#include <set>

#include "bench_world.hpp"
#include "stamped_listener.hpp"

namespace hydra::bench {

inline double restore_once(netlink::RtnlSocket& sock, StampedListener& listener, int n) {
  auto links = netlink::dump_links(sock);
  if (!links) return -1;
  int bridge = 0;
  std::set<int> ports;
  for (const auto& l : *links) {
    if (l.name == "docker0") bridge = l.ifindex;
    if (l.name.rfind("vb", 0) == 0) ports.insert(l.ifindex);
  }
  listener.take();
  (void)sock.execute_one(netlink::delete_link(bridge, "docker0"));
  int64_t dellink = 0;
  int fresh = 0;
  bool up = false, addr = false;
  std::set<int> attached;
  for (int waited = 0; waited < 10000; waited += 5) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    for (const auto& [ev, ts] : listener.take()) {
      if (const auto* l = std::get_if<netlink::LinkEvent>(&ev)) {
        if (l->link.name == "docker0" && l->deleted && !dellink) dellink = ts;
        if (l->link.name == "docker0" && !l->deleted && dellink) {
          fresh = l->link.ifindex;
          up = l->link.admin_up();
        }
        if (ports.count(l->link.ifindex) && dellink && fresh && l->link.master == fresh) attached.insert(l->link.ifindex);
      } else if (const auto* a = std::get_if<netlink::AddrEvent>(&ev)) {
        if (dellink && !a->deleted && a->addr.ifindex == fresh && a->addr.cidr() == "10.213.0.1/24") addr = true;
      }
      if (dellink && up && addr && static_cast<int>(attached.size()) == n) return (ts - dellink) / 1e3;
    }
  }
  return -1;
}

}  // namespace hydra::bench
