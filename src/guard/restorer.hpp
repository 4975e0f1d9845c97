// SPDX-License-Identifier: Apache-2.0
// Carries out one restore: plan, one batch, announcements, read-back.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "guard/announcer.hpp"
#include "net/bridge_snapshot.hpp"
#include "net/restore_plan.hpp"
#include "netlink/rtnl_socket.hpp"

namespace hydra::guard {

struct RestoreOutcome {
  net::RestorePlan plan;
  bool verified = false;
  std::vector<std::string> problems;     // failed requests and read-back mismatches
  std::vector<int> attached;             // ports the kernel acknowledged
  std::vector<std::string> vanished;     // ports gone between plan and batch (ENODEV)
  // Routes, neighbours, FDB entries and sysctls that did not come back: reported,
  // not retried (the kernel said no; asking again would get the same answer).
  std::vector<std::string> degraded;
  size_t announced = 0;
  int64_t sent_us = 0;                   // batch handed to the kernel
  int64_t acked_us = 0;                  // every request acknowledged
  int64_t announced_us = 0;              // announcements sent
  int64_t done_us = 0;                   // read-back finished
  bool name_taken = false;               // create answered EEXIST: someone else made it
};

// Carries out `plan` (made from `snap` and `table` by net::plan_restore).
// `table` is the current view; it is refreshed from a dump by the read-back.
RestoreOutcome run_restore(netlink::RtnlSocket& sock, Announcer& announcer, const net::BridgeSnapshot& snap,
                           net::LinkTable& table, net::RestorePlan plan);

// Called once a restore batch is acknowledged, before the announcements and
// the read-back (the daemon drops the guard thread's real-time priority there:
// the urgent part is done, and kernel work the batch queued on this CPU must
// not wait behind the rest).
void set_after_batch(std::function<void()> fn);

// Re-reads links and addresses into `table`.
Status refresh_table(netlink::RtnlSocket& sock, net::LinkTable& table);

}  // namespace hydra::guard
