// SPDX-License-Identifier: Apache-2.0
// session/network: the network pieces of a session, made through netlink
// and libnftables (network/uplink_firewall.hpp: the sandbox's `inet hydra`).
//  shared:   hydraN (10.200.N.1/24) in the sandbox's namespace.
//  isolated: a namespace of its own pinned at net.netns, joined to the
//            sandbox by the uplink hup-hN <-> "uplink" (a /31, default route
//            via the sandbox end), hydraN inside it, and the sandbox's
//            `inet hydra` rules opened for the uplink.
// The desktop's leg (vethb-hN on hydraN, eth1 in the desktop) is made where
// hydraN is.
//
// THREADS: called from the thread that holds the session's op (a request,
// the exit hook settling it, an adoption); a namespace switch (setns) is
// per thread, undone before return. LOCKS: none here; the manager's
// `table_mu_` serialises installs of `inet hydra`.
#pragma once

#include <sys/types.h>

#include "base/result.hpp"
#include "session/core/session_spec.hpp"

namespace hydra::session {

// Leftovers of a crashed run (same names) are replaced. Enables IPv4
// forwarding where the session's traffic is routed.
Status create_session_network(const SessionNet& net);
// Deletes whatever of the session's network exists; absent is fine. Every
// piece is tried; the first error is returned.
Status delete_session_network(const SessionNet& net);
// isolated: the namespace is pinned and the uplink is there (for adoption).
bool session_network_present(const SessionNet& net);

// Creates vethb-hN on hydraN with its peer eth1 directly in the namespace of
// `desktop_pid`: 10.200.N.254/24, up, a route to the plan's pools via
// 10.200.N.1 (10.200.N.0/24 dev eth1 comes with the address). Replaces an
// old vethb-hN.
Status bridge_desktop(const SessionNet& net, pid_t desktop_pid);
// True when vethb-hN exists.
bool desktop_bridged(const SessionNet& net);
Status unbridge_desktop(const SessionNet& net);

}  // namespace hydra::session
