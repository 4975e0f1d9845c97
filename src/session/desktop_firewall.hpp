// SPDX-License-Identifier: Apache-2.0
// Docker isolates its networks from each other in the FORWARD chain, so the
// desktop (on hydraN) could not reach a session's user networks (10.112/12).
// Two rules in DOCKER-USER — the chain Docker keeps for its users and never
// flushes — let exactly the desktop's address through, both ways. They are
// written through libnftables (netlink, no iptables process) in the form
// iptables-nft writes, so `iptables -S` and dockerd read them as their own.
#pragma once

#include "base/result.hpp"
#include "session/session_spec.hpp"

namespace hydra::session {

// The rules as nft commands (pure; unit-tested).
std::vector<std::string> desktop_rules(const SessionNet& net);
std::string desktop_rule_comment(const SessionNet& net);

// Adds the rules (after removing any old ones). When there is no nft
// DOCKER-USER chain (Docker's iptables off, or iptables-legacy) nothing is
// needed or possible: returns false.
Result<bool> allow_desktop(const SessionNet& net);
Status revoke_desktop(const SessionNet& net);

}  // namespace hydra::session
