// SPDX-License-Identifier: Apache-2.0
// A restore plan as one batch of netlink requests, with a note per request of
// which part of the plan it carries, so each ack can be attributed.
#pragma once

#include <vector>

#include "net/restore_plan.hpp"
#include "netlink/request.hpp"

namespace hydra::guard {

struct BatchItem {
  enum class Kind { kCreate, kSetUp, kAddress, kAttach, kPortFlags, kMtu, kRoute, kNeighbour, kFdb, kGroup } kind;
  size_t index = 0;  // into plan.addresses, plan.attach, plan.routes, plan.neighbours or plan.fdb
};

struct RestoreBatch {
  std::vector<netlink::Request> requests;
  std::vector<BatchItem> items;  // parallel to requests
};

// Order matters: the bridge first, then its addresses, then each port and its
// flags, then the MTU (a bridge takes its ports' MTU as they join), then what
// died with the bridge: routes (after the addresses they go through),
// neighbours, FDB entries (after their ports).
Result<RestoreBatch> build_restore_batch(const net::RestorePlan& plan, const std::string& bridge_name);

}  // namespace hydra::guard
