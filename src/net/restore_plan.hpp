// SPDX-License-Identifier: Apache-2.0
// The restore planner: snapshot + current link table → what must be done.
// Pure: no I/O, so every decision is unit-tested without root.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "net/bridge_snapshot.hpp"
#include "net/link_table.hpp"
#include "netlink/link_requests.hpp"

namespace hydra::net {

// The device group a bridge is created in and keeps until the rest of its
// restore is acknowledged (the create is sent alone, see restorer.cpp): a
// hydrad killed in between finds it at its next start and finishes the
// restore, instead of taking the bare bridge as the record. ('HYDR')
inline constexpr uint32_t kRestoringGroup = 0x48594452;

enum class PlanMode {
  kRecover,  // the bridge was deleted: bring it and its released ports back
  kRepair,   // the bridge lives: only bring it up and re-add lost addresses
};

struct RefusedPort {
  PortRecord port;
  std::string reason;
};

struct RestorePlan {
  PlanMode mode = PlanMode::kRecover;
  // Set when a device of the protected name exists but is not a bridge:
  // nothing is done, the conflict is reported.
  std::optional<std::string> conflict;
  std::optional<netlink::BridgeSpec> create;  // when the bridge must be created
  int bridge_ifindex = 0;                      // the bridge's ifindex once the plan ran
  bool set_up = false;                         // an existing bridge is down
  std::vector<AddrInfo> addresses;             // to add
  std::vector<PortRecord> attach;              // recorded ports to re-attach
  std::vector<RefusedPort> refused;            // recorded, present, but not to be touched
  std::vector<PortRecord> gone;                // recorded, no longer present
  // The MTU is set in a request of its own so that the kernel marks it as
  // chosen (and keeps it when ports come and go): right after creation when
  // it is not 1500, after the ports when they would pull 1500 elsewhere.
  std::optional<uint32_t> mtu_after_create;
  std::optional<uint32_t> mtu_after_ports;
  // What died with the bridge, re-added after the addresses and ports (routes
  // need their addresses; FDB entries their ports). A repair that brings the
  // bridge up or re-adds addresses also re-adds routes and neighbours.
  std::vector<netlink::RouteInfo> routes;
  std::vector<netlink::NeighInfo> neighbours;
  std::vector<netlink::NeighInfo> fdb;
  std::map<std::string, std::string> sysctls;  // written once the bridge exists
  // The recorded group, set last: it clears the restore marker.
  std::optional<uint32_t> restore_group;

  [[nodiscard]] bool empty() const {
    return !create && !set_up && addresses.empty() && attach.empty() && !mtu_after_create && !mtu_after_ports &&
           !restore_group;
  }
};

RestorePlan plan_restore(const BridgeSnapshot& snap, const LinkTable& table, PlanMode mode);

// Addresses the planner restores: all but IPv6 link-local, which the kernel
// derives from the (unchanged) MAC by itself.
bool restorable_address(const AddrInfo& a);

}  // namespace hydra::net

namespace hydra::net {

// Reads a restored bridge back: every mismatch between what the plan promised
// and what `table` (freshly dumped) shows, as text. Empty means verified.
// `attached` are the ports whose attach request the kernel acknowledged.
std::vector<std::string> verify_restore(const RestorePlan& plan, const BridgeSnapshot& snap, const LinkTable& table,
                                        const std::vector<int>& attached);

}  // namespace hydra::net
