// SPDX-License-Identifier: Apache-2.0
#include "session/manager/bridge_witness.hpp"

#include "netlink/dump.hpp"
#include "netlink/rtnl_socket.hpp"

namespace hydra::session {

BridgeTouch judge_bridge_touch(const BridgeMark& mark, const std::vector<BridgeLook>& looks, uint64_t losses_now,
                               uint64_t restores_now) {
  BridgeTouch t;
  t.restores = restores_now > mark.restores ? static_cast<int>(restores_now - mark.restores) : 0;
  t.touched = t.restores > 0 || losses_now > mark.losses;
  for (const auto& l : looks) t.touched |= !l.exists;
  return t;
}

uint64_t BridgeWitness::restores() const {
  uint64_t total = 0;
  for (const auto& b : board_.bridges()) total += b.restores;
  return total;
}

BridgeMark BridgeWitness::mark() const {
  BridgeMark m;
  m.losses = board_.losses();
  for (const auto& b : board_.bridges()) {
    m.restores += b.restores;
    if (b.state == "guarded" || b.state == "degraded") m.present.push_back(b.name);
  }
  return m;
}

BridgeTouch BridgeWitness::since(const BridgeMark& mark) const {
  std::vector<BridgeLook> looks;
  if (!mark.present.empty()) {
    // A socket that cannot be had leaves the verdict to the board.
    if (auto sock = netlink::RtnlSocket::open()) {
      for (const auto& name : mark.present) {
        auto link = netlink::fetch_link(*sock, name);
        if (link) looks.push_back({name, true});
        else if (link.error().code == ENODEV) looks.push_back({name, false});
      }
    }
  }
  // Read after the looks: the order the header's argument needs.
  const uint64_t losses = board_.losses();
  return judge_bridge_touch(mark, looks, losses, restores());
}

}  // namespace hydra::session
