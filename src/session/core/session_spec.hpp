// SPDX-License-Identifier: Apache-2.0
// session/core: what every part of the session layer shares — a session's
// key, its states (core/session_state.hpp), the settings, the address plan,
// and everything about session N that follows from N alone (its network,
// its paths; the data root from its key alone). Pure, so unit-tested.
// core/run_files.hpp: the files and mounts a session's processes leave.
//
// THREADS: any; nothing here keeps state. LOCKS: none.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/result.hpp"
#include "session/core/address_plan.hpp"
#include "session/core/resource_limits.hpp"

namespace hydra::session {

inline constexpr int kMinIndex = 1;
// The most any plan allows (names stay short); the plan's own limit is
// AddressPlan::max_index().
inline constexpr int kMaxIndex = 4094;

struct SessionKey {
  std::string scope_type;  // session | spectask | exploratory
  std::string scope_id;    // [A-Za-z0-9_.-]{1,64}
  [[nodiscard]] std::string text() const { return scope_type + "/" + scope_id; }
  // NOLINTNEXTLINE(modernize-use-nullptr): clang-tidy 14 misreads a defaulted <=>
  friend auto operator<=>(const SessionKey&, const SessionKey&) = default;
};

// Checks a key as it comes from a request; the error says what is wrong.
Status validate_key(const SessionKey& key);
// "type/id" as requests name sessions (e.g. session/s1), validated.
Result<SessionKey> parse_session_ref(const std::string& ref);
Status validate_scope_id(const std::string& scope_id);

struct SessionNet {
  int index = 0;
  std::string bridge;        // hydraN
  std::string subnet;        // 10.200.N.0/24
  std::string gateway;       // 10.200.N.1
  std::string desktop_ip;    // 10.200.N.254
  std::string address_pool;  // 10.112.0.0/20 + (N-1) * /20
  std::string desktop_veth;  // vethb-hN
  std::string pools;         // the plan's whole address_pools range (the desktop's route)
  // An isolated session lives in a network namespace of its own, joined to
  // the sandbox by a veth pair (never on a bridge):
  bool isolated = false;
  std::string netns;           // its pinned namespace: run_dir/netns/hN
  std::string uplink;          // hup-hN, the sandbox's end
  std::string uplink_gateway;  // the sandbox end's address (the session's default gateway)
  std::string uplink_address;  // the session end's address, on kUplinkInterface
  bool hydra_nat = false;      // [sessions] nat = "nftables": hydra's table, not dockerd's iptables
};
// The session's end of its uplink, as its own namespace names it.
inline constexpr const char* kUplinkInterface = "uplink";
// The desktop's leg into the session, as its own namespace names it.
inline constexpr const char* kDesktopInterface = "eth1";
SessionNet session_net(const AddressPlan& plan, int n);
inline SessionNet session_net(int n) { return session_net(AddressPlan{}, n); }

// Which containerd a session dockerd uses: one hydrad runs for all of them
// (each dockerd in a containerd namespace of its own), or each its own.
enum class ContainerdMode { kShared, kPerSession };
const char* containerd_mode_name(ContainerdMode mode);
std::optional<ContainerdMode> containerd_mode_from(const std::string& name);

// Who writes a session's NAT and forwarding policy inside its namespace:
// its dockerd (iptables, some 60 runs of xtables at every start, half of a
// cold start), or hydra (one nftables table at the namespace's making;
// dockerd runs with iptables off, published ports through docker-proxy).
enum class SessionNat { kIptables, kNftables };
const char* session_nat_name(SessionNat nat);
std::optional<SessionNat> session_nat_from(const std::string& name);

struct SessionSettings {
  std::string dockerd = "/usr/sbin/dockerd";
  SessionNat nat = SessionNat::kIptables;
  ContainerdMode containerd_mode = ContainerdMode::kShared;
  // Session dockerds kept started and answering for the next creates (0: none).
  unsigned warm_pool = 0;
  std::string containerd = "/usr/bin/containerd";  // the shared one's program
  std::string data_dir = "/var/lib/hydra/sessions";  // data roots, kept across restarts
  std::string run_dir = "/run/hydra/sessions";       // sockets, exec roots, pidfiles
  std::string storage_driver;                         // "" lets dockerd choose
  bool live_restore = true;  // prevention: a restarted dockerd then never deletes docker0
  int start_timeout_ms = 60000;
  int stop_timeout_ms = 30000;
  // Engine API calls that must answer quickly (ping, container list, inspect):
  // a session whose dockerd does not answer in time is reported unresponsive.
  int api_timeout_ms = 3000;
  // How often a running session's dockerd is pinged, so the list shows an
  // unresponsive one without anyone asking it.
  int probe_interval_ms = 5000;
  // After hydrad restarts, how long a request for a session that is still
  // being adopted waits for it before it is answered 503 (Retry-After).
  int recovery_wait_ms = 10000;
  // How often the data roots are sized (in the background; the API serves
  // the last figure).
  int size_interval_ms = 60000;
  // On SIGTERM: false leaves session dockerds running, to be adopted by the
  // next hydrad; true stops them (and their containers) first.
  bool stop_on_exit = false;
  // use_host_docker: a session that is the main dockerd itself (no dockerd
  // of its own, no isolation). Refused unless enabled.
  bool privileged_mode = false;
  // The Docker authorization plugin hydrad serves for sessions with a
  // max_containers limit: /run/docker/plugins/NAME/NAME.sock.
  std::string authz_plugin = "hydra";
  // isolated: each session dockerd in a network namespace of its own.
  NetworkMode network = NetworkMode::kIsolated;
  AddressPlan plan;
  // Addresses sessions may not reach ("sandbox": the sandbox's own, but for
  // the session's uplink gateway), and exceptions to that.
  std::vector<std::string> egress_deny{"169.254.0.0/16", "sandbox"};
  std::vector<std::string> egress_allow;
  // A bridged desktop's resolver: one dnsmasq per session on its gateway,
  // forwarding to the nameservers of this resolv.conf.
  std::string dnsmasq = "/usr/sbin/dnsmasq";
  std::string resolv_conf = "/etc/resolv.conf";
  // [storage]: below min_free on data_dir's or run_dir's filesystem a create
  // is refused (507); below critical_free the containers of running
  // sessions are stopped, largest data root first. Unset: off.
  std::string min_free;
  std::string critical_free;
  int storage_check_interval_ms = 5000;
  // [gc] stale_after: sessions stopped longer than this are purged (0: off).
  int64_t stale_after_s = 0;
  // [gc] golden_unused_days: reconcile removes goldens nothing was cloned
  // from for this long (0: never).
  int64_t golden_unused_s = 0;
  // [sessions] default_golden: a new session's data root starts as a clone
  // of this golden unless the create names another ("": start empty).
  std::string default_golden;
  // [sessions] golden_spare: each golden cloned by reflink keeps a clone of
  // itself made ahead, which the next create from it takes.
  bool golden_spare = true;
  // The copier of goldens and clones (GNU cp).
  std::string cp = "/bin/cp";
  // The sandbox's bridges no session may send to (the guard's: docker0...).
  std::vector<std::string> sandbox_bridges{"docker0"};
  // [sessions.limits]: every session's limits unless its create sets its
  // own, and where the sessions' cgroups live ("": /hydra on cgroup v1;
  // beside hydrad in its own cgroup on v2).
  ResourceLimits limits;
  std::string cgroup_parent;
};

// Session N's network in the given mode (the namespace under run_dir).
SessionNet session_net(const SessionSettings& s, int n, NetworkMode mode);

// Seconds for the Engine API calls that must answer quickly.
inline long api_timeout_s(const SessionSettings& s) { return std::max(1, s.api_timeout_ms / 1000); }

struct SessionPaths {
  std::string dir;          // run dir of this session (short: sockets live here)
  std::string socket;
  std::string exec_root;
  std::string pidfile;
  std::string config_file;
  std::string log;
  std::string data_root;    // by key, so a session keeps its data between starts
};
SessionPaths session_paths(const SessionSettings& s, const SessionKey& key, int index);
// A session's data root: by its key alone, so it is the same whatever index
// the session holds now or held before.
std::string data_root_of(const SessionSettings& s, const SessionKey& key);

}  // namespace hydra::session
