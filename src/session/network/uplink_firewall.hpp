// SPDX-License-Identifier: Apache-2.0
// The sandbox's side of isolated sessions, in a table of hydra's own
// (`inet hydra`, through libnftables): masquerade for the uplinks, the
// egress policy, and no connection into a session from outside it. Docker's
// own tables are left alone but for one pair of accept rules per uplink in
// DOCKER-USER: a drop in any base chain is final, so Docker's FORWARD policy
// (DROP) would otherwise stop the sessions' traffic whatever hydra's table says.
#pragma once

#include <string>
#include <vector>

#include "base/result.hpp"
#include "session/core/address_plan.hpp"
#include "session/core/session_spec.hpp"

namespace hydra::session {

// What sessions may not reach: CIDRs, and "sandbox" for the sandbox's own
// addresses (but each session's uplink gateway); `allow` punches holes.
struct EgressPolicy {
  std::vector<Ipv4Net> deny;
  bool deny_sandbox = false;
  std::vector<Ipv4Net> allow;
};
// The error names the entry ("egress_deny: \"10.0.0.0/33\": prefix length over 32").
Result<EgressPolicy> parse_egress(const std::vector<std::string>& deny, const std::vector<std::string>& allow);

inline constexpr const char* kHydraTable = "inet hydra";

// The whole table as one nft script that replaces any old one atomically
// (pure; unit-tested). `sandbox_bridges`: bridges of the sandbox no session
// may send to (docker0 and the guard's others).
std::string hydra_table_script(const AddressPlan& plan, const EgressPolicy& egress,
                               const std::vector<std::string>& sandbox_bridges);
// The per-uplink pieces (pure): the set element, the DOCKER-USER matches.
std::string uplink_element(const SessionNet& net);
std::vector<std::string> uplink_docker_user_rules(const SessionNet& net);
std::string uplink_rule_comment(const SessionNet& net);

Status install_hydra_table(const std::string& script);
// Lets one session's uplink through (idempotent) / takes it away again.
Status open_uplink(const SessionNet& net);
Status close_uplink(const SessionNet& net);
// True when the uplink's element is in the table (for adoption checks).
bool uplink_open(const SessionNet& net);
bool hydra_table_present();
// Puts back what someone outside hydra removed of an open uplink (its set
// element, its DOCKER-USER rules); what it put back, "" when nothing was
// missing. The table itself is the caller's (ensure it first).
Result<std::string> repair_uplink(const SessionNet& net);

}  // namespace hydra::session
