// SPDX-License-Identifier: Apache-2.0
// The NAT and forwarding policy inside an isolated session's namespace when
// hydra writes them ([sessions] nat = "nftables") instead of the session's
// dockerd: one table, `inet hydra_session`, made with the namespace, so a
// dockerd starting in it runs no iptables at all (with iptables, some 60
// runs of xtables are half of a cold start).
//
// What the session's containers see is what Docker's own rules give them:
// out through the uplink, masqueraded; nothing routed in from the uplink but
// replies (published ports are docker-proxy's, a local socket); no routing
// between two of the session's bridges (Docker isolates its networks) but
// for the desktop's address on hydraN, both ways, as desktop_firewall.hpp
// lets it through Docker's rules (here it is part of the table). The
// same bridge is L2 and never forwarded here: bridge-nf-call-iptables is set
// off in the namespace so br_netfilter cannot send it through this table.
//
// THREADS: called by whoever makes the namespace, inside a NetnsSwitch.
#pragma once

#include <string>

#include "base/result.hpp"
#include "session/core/session_spec.hpp"

namespace hydra::session {

inline constexpr const char* kSessionNatTable = "inet hydra_session";

// The whole table as one script that replaces any old one (pure).
std::string session_nat_script(const SessionNet& net);
// In the calling thread's namespace: the table, and bridged traffic kept out
// of it.
Status install_session_nat(const SessionNet& net);

}  // namespace hydra::session
