// SPDX-License-Identifier: Apache-2.0
#include "session/network/network_part.hpp"

#include <filesystem>

#include "netlink/netns.hpp"
#include "session/core/run_files.hpp"
#include "session/network/session_network.hpp"
#include "session/network/uplink_firewall.hpp"

namespace hydra::session {

Result<NetworkPart::FirewallChange> KernelNetwork::ensure_firewall(bool verify) {
  // Looked at without the lock: the probes of every session may ask at once.
  const bool lost = verify && !hydra_table_present();
  std::lock_guard lock(firewall_mu_);
  if (installed_ && !lost) return FirewallChange::kNone;
  if (lost && hydra_table_present()) return FirewallChange::kNone;  // another probe put it back meanwhile
  if (auto st = install_hydra_table(script_); !st)
    return make_error("install the sandbox's inet hydra table: " + st.error().text(), st.error().code);
  const bool again = lost && installed_;
  installed_ = true;
  return again ? FirewallChange::kInstalledAgain : FirewallChange::kInstalled;
}

Result<UniqueFd> KernelNetwork::acquire(const SessionNet& net) {
  if (net.isolated)
    if (auto st = make_dirs(std::filesystem::path(net.netns).parent_path().string(), 0755); !st) return st.error();
  if (auto st = create_session_network(net); !st) return st.error();
  if (!net.isolated) return UniqueFd();
  return netlink::open_netns(net.netns);
}

Status KernelNetwork::release(const SessionNet& net) { return delete_session_network(net); }

Status KernelNetwork::adopt(const SessionNet& net, pid_t pid) {
  if (!net.isolated) return {};
  // The dockerd's namespace is the session's, whatever is pinned: a lost pin
  // (hydrad's mounts gone with its mount namespace) is put back.
  const std::string own = "/proc/" + std::to_string(pid) + "/ns/net";
  Status pinned;
  if (!netlink::same_netns(own, net.netns)) pinned = netlink::pin_netns(own, net.netns);
  if (auto st = open_uplink(net); !st) return st;
  if (!pinned) return pinned;
  if (!session_network_present(net)) return make_error(net.uplink + " is missing: the session has no way out", ENODEV);
  return {};
}

Result<std::string> KernelNetwork::repair(const SessionNet& net) { return repair_uplink(net); }

Status KernelNetwork::bridge_desktop(const SessionNet& net, pid_t desktop_pid) {
  return session::bridge_desktop(net, desktop_pid);
}

bool KernelNetwork::desktop_bridged(const SessionNet& net) { return session::desktop_bridged(net); }

Status KernelNetwork::unbridge_desktop(const SessionNet& net) { return session::unbridge_desktop(net); }

}  // namespace hydra::session
