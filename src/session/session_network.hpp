// SPDX-License-Identifier: Apache-2.0
// The network pieces of a session, made through netlink: its hydraN bridge,
// and the desktop's second leg (vethb-hN in the sandbox, eth1 in the desktop).
#pragma once

#include <sys/types.h>

#include "base/result.hpp"
#include "session/session_spec.hpp"

namespace hydra::session {

// Creates hydraN with 10.200.N.1/24, up. A leftover hydraN (from a crash) is
// replaced. Enables IPv4 forwarding for the namespace.
Status create_session_bridge(const SessionNet& net);
// Deletes hydraN and vethb-hN when present; absent is fine.
Status delete_session_network(const SessionNet& net);

// Creates vethb-hN on hydraN with its peer eth1 directly in the namespace of
// `desktop_pid`: 10.200.N.254/24, up, route 10.112.0.0/12 via 10.200.N.1
// (10.200.N.0/24 dev eth1 comes with the address). Replaces an old vethb-hN.
Status bridge_desktop(const SessionNet& net, pid_t desktop_pid);
// True when vethb-hN exists.
bool desktop_bridged(const SessionNet& net);
Status unbridge_desktop(const SessionNet& net);

}  // namespace hydra::session
