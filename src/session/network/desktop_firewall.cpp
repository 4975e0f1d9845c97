// SPDX-License-Identifier: Apache-2.0
#include "session/network/desktop_firewall.hpp"

#include "session/network/nft_runner.hpp"

namespace hydra::session {

std::string desktop_rule_comment(const SessionNet& net) { return "hydra desktop " + net.bridge; }

std::vector<std::string> desktop_rules(const SessionNet& net) {
  return {"iifname \"" + net.bridge + "\" ip saddr " + net.desktop_ip + " ip daddr " + net.pools,
          "oifname \"" + net.bridge + "\" ip saddr " + net.pools + " ip daddr " + net.desktop_ip};
}

Status revoke_desktop(const SessionNet& net) { return remove_docker_user_rules(desktop_rule_comment(net)); }

Result<bool> allow_desktop(const SessionNet& net) {
  return put_docker_user_rules(desktop_rule_comment(net), desktop_rules(net));
}

}  // namespace hydra::session
