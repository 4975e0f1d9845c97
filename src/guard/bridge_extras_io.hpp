// SPDX-License-Identifier: Apache-2.0
// Reads a bridge's extras (routes, static neighbours and FDB entries,
// sysctls) from the kernel: full dumps, then net::select_extras.
#pragma once

#include "base/result.hpp"
#include "net/bridge_snapshot.hpp"
#include "netlink/rtnl_socket.hpp"

namespace hydra::guard {

// Routes, neighbours and FDB entries of `snap`'s bridge as they are now
// (sysctls are not touched: see read_bridge_sysctls).
Status load_extras(netlink::RtnlSocket& sock, net::BridgeSnapshot& snap);

}  // namespace hydra::guard
