// SPDX-License-Identifier: Apache-2.0
// The address plan against the sandbox as it is: no range may overlap a
// route the sandbox already has (docker0's subnet, the uplink, a VPN...).
#pragma once

#include "base/result.hpp"
#include "session/core/address_plan.hpp"

namespace hydra::session {

// The sandbox's IPv4 routes of the main table, with their links' names.
Result<std::vector<SandboxRoute>> sandbox_routes();
// EINVAL naming the overlap; a routing table that cannot be read is an error too.
Status check_plan_against_sandbox(const AddressPlan& plan);

}  // namespace hydra::session
