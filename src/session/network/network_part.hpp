// SPDX-License-Identifier: Apache-2.0
// The network part of a session as the manager uses it: acquire / release /
// adopt, plus the desktop's leg and the repair the probe asks for. The
// manager is given one (KernelNetwork in hydrad; a fake in the manager's
// unit tests, which run without root).
//
// THREADS: called from the thread that holds the session's op (a request,
// the exit hook settling it, an adoption, the probe's repair); several
// sessions' calls run at once. LOCKS: KernelNetwork::firewall_mu_ serialises
// installs of `inet hydra`; the manager never calls in with its table's lock
// held.
#pragma once

#include <sys/types.h>

#include <mutex>
#include <string>

#include "base/result.hpp"
#include "base/unique_fd.hpp"
#include "session/core/session_spec.hpp"

namespace hydra::session {

class NetworkPart {
 public:
  virtual ~NetworkPart() = default;

  enum class FirewallChange { kNone, kInstalled, kInstalledAgain };
  // The sandbox's `inet hydra` table (isolated sessions), installed once, or
  // again after a failure; with `verify`, again when something removed it.
  virtual Result<FirewallChange> ensure_firewall(bool verify) = 0;
  // Makes the session's network (leftovers of a crashed run replaced); the
  // namespace its dockerd is to join (invalid: the sandbox's own). An
  // isolated session's needs the firewall ensured first.
  virtual Result<UniqueFd> acquire(const SessionNet& net) = 0;
  // Deletes whatever of it exists; absent is fine.
  virtual Status release(const SessionNet& net) = 0;
  // The network of a live dockerd `pid` found after a restart: a lost pin put
  // back, its uplink rules opened (the firewall ensured first); an error
  // says what is missing.
  virtual Status adopt(const SessionNet& net, pid_t pid) = 0;
  // The uplink's rules, put back if something outside hydra removed them:
  // what was restored ("" nothing).
  virtual Result<std::string> repair(const SessionNet& net) = 0;
  virtual Status bridge_desktop(const SessionNet& net, pid_t desktop_pid) = 0;
  virtual bool desktop_bridged(const SessionNet& net) = 0;
  virtual Status unbridge_desktop(const SessionNet& net) = 0;
};

// Through netlink, setns and libnftables (session_network.hpp,
// uplink_firewall.hpp).
class KernelNetwork final : public NetworkPart {
 public:
  // `firewall_script`: the `inet hydra` table to install (hydra_table_script).
  explicit KernelNetwork(std::string firewall_script) : script_(std::move(firewall_script)) {}
  Result<FirewallChange> ensure_firewall(bool verify) override;
  Result<UniqueFd> acquire(const SessionNet& net) override;
  Status release(const SessionNet& net) override;
  Status adopt(const SessionNet& net, pid_t pid) override;
  Result<std::string> repair(const SessionNet& net) override;
  Status bridge_desktop(const SessionNet& net, pid_t desktop_pid) override;
  bool desktop_bridged(const SessionNet& net) override;
  Status unbridge_desktop(const SessionNet& net) override;

 private:
  const std::string script_;
  std::mutex firewall_mu_;  // held across the table's install
  bool installed_ = false;  // guarded by firewall_mu_
};

}  // namespace hydra::session
