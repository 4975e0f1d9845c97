// SPDX-License-Identifier: Apache-2.0
// Docker isolates its networks from each other in the FORWARD chain, so the
// desktop (on hydraN) could not reach a session's user networks. Two rules in
// DOCKER-USER — the chain Docker keeps for its users and never flushes — let
// exactly the desktop's address through, both ways. For an isolated session
// they are written in the session's namespace (the caller is in it).
#pragma once

#include "base/result.hpp"
#include "session/core/session_spec.hpp"

namespace hydra::session {

// The rules' matches (pure; unit-tested).
std::vector<std::string> desktop_rules(const SessionNet& net);
std::string desktop_rule_comment(const SessionNet& net);

// Adds the rules (after removing any old ones); false when there is no
// DOCKER-USER chain to put them in (then nothing needs them).
Result<bool> allow_desktop(const SessionNet& net);
Status revoke_desktop(const SessionNet& net);

}  // namespace hydra::session
