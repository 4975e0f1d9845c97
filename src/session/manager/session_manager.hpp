// SPDX-License-Identifier: Apache-2.0
// session/manager: the sessions — one dockerd per session on its own hydraN
// bridge — and the only place that combines the session layer's parts
// (network, dockerd, storage, desktop, limits) or holds a Session.
//
// THREADS
//  - API connection threads: create, inspect, remove, purge, bridge/unbridge,
//    goldens, reconcile, list, counts.
//  - main thread, at start: load() before the control socket serves, then
//    adopt_all(), whose workers adopt sessions several at once.
//  - the supervision loop's hook threads (docker/supervision_loop.hpp: one
//    watcher for every session's pidfd and probe timer, a few hook threads):
//    on_exit() and on_probe(), one at a time for a session.
//  - the storage watcher's thread: brake() and periodic reconcile().
//  - the golden spares' thread (storage/golden_spares.hpp, started by
//    adopt_all()): makes spare clones; woken by create_golden() and by a
//    clone that took a spare.
//  - the warm pool's thread (session_pool.cpp, started by adopt_all()):
//    pool_loop() makes and discards members; a supervision hook thread
//    marks one dead; a create binds one (bind_pooled(), op held).
// LOCKS (taken in this order, never the other way):
//  1. Session::op — one per session: serialises everything that changes that
//     session (create, delete, purge, bridge, golden copy, adoption, the
//     brake, the probe's uplink repair); held across that session's I/O, so a
//     hung dockerd holds up only its own session. Released through SessionOp,
//     which settles the session first (an exit seen meanwhile releases its
//     network). The exit hook and the probe only try it.
//  2. the table's mu_ (session_table.hpp, "mu_" below; table_.lock()) — the
//     map, each Session's fields but `op` and `supervisor`; held only to read
//     or change them, never across I/O to a dockerd, the kernel or the disk.
//     Functions that expect it held end in `_locked`; every state change goes
//     through table_.set_state_locked().
//  3. locks of the parts, taken inside mu_ for a copy only: a DesktopLink's
//     mu_ (view_locked), the ContainerLimiter's mu_ (track/untrack), the
//     WarmPool's mu_ (its reserved indexes; a take hands a member's index to
//     a session under mu_). Leaf locks of the manager's own: hook_mu_,
//     pool_file_mu_.
//  The network part's firewall lock is never taken with mu_ held: no part is
//  called with mu_ held.
//  4. shared_start_mu_ — held across one dockerd's start (launch to /_ping)
//     where dockerd writes iptables in the sandbox's own namespace (network
//     = "shared", dockerd's NAT): its start-up flushes and re-links the
//     DOCKER chains, and two starting at once fail each other ("unable to
//     remove jump to DOCKER-ISOLATION-STAGE-1"). Taken with the session's op
//     held (or by the pool's thread), never with mu_; only other such starts
//     wait on it, for at most start_timeout each.
// PARTS: the network and the dockerd are interfaces the manager is given
// (network_part.hpp, dockerd_part.hpp; fakes in its unit tests); every
// resource of a session is released in one place, release().
// Session::supervisor is set and reset only with op held, outside mu_ (its
// destructor joins the watcher, whose hooks take mu_).
// A session being recovered (`recovering`) is acted on by its adoption only:
// every request waits for it in find_adopted().
#pragma once

#include <cerrno>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

#include "base/file_writer.hpp"
#include "session/limits/cgroup_part.hpp"
#include "session/limits/container_limiter.hpp"
#include "session/storage/golden_spares.hpp"
#include "session/storage/golden_store.hpp"
#include "session/dockerd/dockerd_part.hpp"
#include "session/manager/bridge_witness.hpp"
#include "session/manager/session_table.hpp"
#include "session/manager/warm_pool.hpp"
#include "session/network/network_part.hpp"
#include "telemetry/event_log.hpp"
#include "telemetry/metrics.hpp"
#include "telemetry/status_board.hpp"

namespace hydra::session {

// What a create asks for (Hydra's CreateDockerInstanceRequest).
struct CreateOptions {
  std::string user_id;
  int max_containers = 0;  // 0: no limit
  bool use_host_docker = false;
  // Start a new data root from this golden (a hydra extension); unset: the
  // configured default_golden.
  std::optional<std::string> golden;
  // The session's limits (hydra's extension fields); unset fields take
  // [sessions.limits]'s.
  ResourceLimits limits;
};

// errno of a create that asks for a limit this sandbox cannot enforce (no
// usable cgroup controller): the API's 422.
inline constexpr int kLimitUnavailable = ENOMEDIUM;

// A session as the API shows it.
struct SessionView {
  SessionKey key;
  std::string user_id;
  int index = 0;  // 0 for a host-docker session
  SessionState state = SessionState::kExited;
  bool failed = false;  // exited without being asked to
  std::string reason;   // why it is unresponsive or exited ("" otherwise)
  SessionNet net;       // empty for a host-docker session
  SessionPaths paths;   // socket: the main dockerd's for a host-docker session
  std::string desktop_container;  // "" when no desktop is bridged
  pid_t desktop_pid = 0;
  DesktopShown desktop;           // its names and forwarded ports
  int max_containers = 0;
  bool host_docker = false;
  int64_t created_unix = 0;
  std::optional<pid_t> pid;
  std::optional<int64_t> uptime_seconds;
  // Containers in every state: the last count (probe), or a fresh one from
  // inspect(); none before the first.
  std::optional<size_t> container_count;
  time_t counted_unix = 0;  // when it was taken (lists show the probe's)
  std::optional<int> exit_code;
  std::string golden;                   // its data root came from this golden
  std::optional<CloneProgress> clone;  // while it is being cloned
  ResourceLimits limits;               // what it was started with
  std::string cgroup;                  // its cgroup ("" when it has none)
  std::optional<CgroupUsage> usage;    // read from its cgroup (list and inspect, running sessions)
};

struct StopResult {
  bool was_running = false;
  size_t containers_stopped = 0;
};

// What the manager works with besides its settings.
struct SessionDeps {
  FileWriter& writer;
  telemetry::EventLog& log;
  const telemetry::StatusBoard& board;
  telemetry::Metrics& metrics;
  // Enforces max_containers through hydrad's authorization plugin...
  ContainerLimiter& limiter;
  // ...whose socket this starts serving, if it does not yet; called before
  // a limited session's dockerd starts or is adopted. An error refuses the
  // create.
  std::function<Status()> serve_limits;
  // The parts the manager combines; null: hydrad's own (the kernel, real
  // dockerds). Tests give fakes. Outlive the manager.
  NetworkPart* network = nullptr;
  DockerdPart* dockerd = nullptr;
  CgroupPart* cgroups = nullptr;
};

// What garbage collection removed (or, in a dry run, would remove).
struct GcResult {
  struct Item {
    SessionKey key;
    uint64_t bytes = 0;
    int64_t stopped_unix = 0;
    std::string error;  // purge failed (the session stays)
  };
  std::vector<Item> removed;
  struct GoldenItem {
    std::string name;
    uint64_t bytes = 0;
    int64_t last_used_unix = 0;
    std::string error;
  };
  std::vector<GoldenItem> goldens_removed;
  uint64_t bytes_freed = 0;
};

class SessionManager {
 public:
  SessionManager(SessionSettings settings, const std::string& state_dir, std::string main_docker_socket,
                 SessionDeps deps);
  ~SessionManager();  // stops watching; running dockerds keep running, for adoption
  SessionManager(const SessionManager&) = delete;
  SessionManager& operator=(const SessionManager&) = delete;

  // Recovery after a restart, in two steps so that no request meets a table
  // that does not yet know a session of the previous hydrad:
  // load() fills the table from sessions.json — each session that held an
  // index is `recovering` (the client sees "starting"), its index still held
  // — without asking any dockerd; call it before the control socket serves.
  // A bad sessions.json is moved aside and reported; bad entries are skipped
  // and reported. Never fails the start.
  void load();
  // Adopts every recovering session, several at once (a hung dockerd delays
  // only its own session): a live dockerd is adopted (pidfile; unresponsive
  // when it does not answer), a dead one's network cleaned and its index
  // freed. Returns when all are adopted. Until then a request for one of them
  // waits for its adoption, at most [sessions] recovery_wait, then EAGAIN.
  void adopt_all();
  void recover() {
    load();
    adopt_all();
  }

  // The session and true when started, false when it was already running
  // (a running session keeps the limit it was started with). Errors carry
  // errno codes the API maps: EINVAL 400, EPERM 403, ENOENT 404,
  // EBUSY 409, ENOSPC 507 (no index left in the address plan), ENOTSUP 503,
  // else 500.
  Result<std::pair<SessionView, bool>> create(const SessionKey& key, const CreateOptions& options);
  [[nodiscard]] std::vector<SessionView> list() const;
  // Asks the session's dockerd for its containers (at most api_timeout).
  Result<SessionView> inspect(const SessionKey& key);
  // Stops its containers through its Engine API, then dockerd; removes its
  // bridge and veths. The session stays, stopped, with its data (ENOENT for
  // a session hydrad does not know).
  Result<StopResult> remove(const SessionKey& key);
  // Deletes the data root of a session that is not running, and forgets
  // the session; the bytes it freed (0 when there was no data).
  Result<uint64_t> purge(const SessionKey& key);
  Result<SessionView> bridge_desktop(const SessionKey& key, const std::string& container_id);
  Status unbridge_desktop(const SessionKey& key);
  [[nodiscard]] SessionCounts counts() const;
  // Purges the sessions not in `live` that have been stopped longer than
  // `grace_s`; never one being created, running or stopping.
  Result<GcResult> reconcile(const std::set<SessionKey>& live, int64_t grace_s, bool dry_run);
  // The disk is nearly full: stops (never removes) the containers of running
  // sessions, the largest data root first, until `enough()` holds.
  void brake(const std::function<uint64_t(const std::string& data_root)>& size_of, const std::function<bool()>& enough,
             const std::string& reason);
  // A golden from a stopped session's data root (EBUSY while it runs or is
  // being created; EINVAL for a host-docker session). The session stays
  // stopped while its data root is copied.
  Result<GoldenInfo> create_golden(const std::string& name, const SessionKey& from);
  // The warm pool hears of a change of its golden (default_golden) from these.
  Result<uint64_t> remove_golden(const std::string& name);
  [[nodiscard]] GoldenStore& goldens() { return goldens_; }

  // Stops every session (containers, dockerd, bridge); data is kept.
  void stop_all();
  [[nodiscard]] bool privileged_mode() const { return settings_.privileged_mode; }
  [[nodiscard]] const CgroupSupport& cgroup_support() const { return cgroups_->support(); }
  // Called (outside every lock of the manager's) when a create adds a session
  // to the table: watchers that sleep while there is none wake up.
  void on_new_session(std::function<void()> hook) {
    std::lock_guard lock(hook_mu_);
    new_session_hook_ = std::move(hook);
  }
  [[nodiscard]] const std::string& main_socket() const { return main_socket_; }
  // The shared containerd ({} with configured=false in per-session mode).
  [[nodiscard]] ContainerdStatus containerd_status() const {
    return own_containerd_ ? own_containerd_->status() : ContainerdStatus{};
  }
  // At hydrad's exit: the shared containerd is ended when no session
  // dockerd runs (else it stays, for them and the next hydrad).
  void stop_containerd_if_unused();
  // The warm pool: its size, ready and starting members.
  [[nodiscard]] PoolCounts pool_counts() const;
  // At hydrad's exit: the pool stops filling and its members are stopped and
  // released (before stop_containerd_if_unused).
  void stop_pool();

 private:
  // A session's `op`, held. Letting it go settles the session first: a
  // dockerd that exited while op was held (its exit hook cannot take op, so
  // it only marks the session exited) has its network released and its
  // index freed here, by whoever held op — never lost.
  class SessionOp {
   public:
    SessionOp(SessionManager& m, SessionPtr s) : m_(m), s_(std::move(s)), lock_(s_->op) {}
    SessionOp(SessionManager& m, SessionPtr s, std::try_to_lock_t t) : m_(m), s_(std::move(s)), lock_(s_->op, t) {}
    // settle() reports its errors as values: only an allocation failure
    // could escape, which ends hydrad as anywhere else.
    ~SessionOp() {  // NOLINT(bugprone-exception-escape)
      if (lock_.owns_lock()) m_.settle(s_);
    }
    SessionOp(const SessionOp&) = delete;
    SessionOp& operator=(const SessionOp&) = delete;
    [[nodiscard]] bool owns() const { return lock_.owns_lock(); }

   private:
    SessionManager& m_;
    SessionPtr s_;
    std::unique_lock<std::mutex> lock_;
  };

  // With the table's lock held:
  [[nodiscard]] SessionView view_locked(const Session& s) const;
  // Its cgroup ("" when it has none: host-docker, no index, no hierarchy).
  [[nodiscard]] std::string cgroup_of_locked(const Session& s) const;
  // Without mu_: the session of `key` once it is past `recovering` (nullptr
  // when hydrad knows none). Waits at most recovery_wait for its adoption,
  // then EAGAIN (the API's 503 with Retry-After).
  Result<SessionPtr> find_adopted(const SessionKey& key);
  // The same, and ENOENT when hydrad knows no such session.
  Result<SessionPtr> adopted_session(const SessionKey& key);
  // `op` held, mu_ not: an exited session that still holds its index gets
  // its desktop unlinked, its network released and its index freed.
  void settle(const SessionPtr& s);
  [[nodiscard]] Error index_exhausted() const;
  // ENOSPC naming the filesystem, when [storage] min_free refuses creates.
  [[nodiscard]] Status storage_allows_create() const;
  [[nodiscard]] SessionNet net_of_locked(const Session& s) const { return session_net(settings_, s.index, s.network); }

  // Without mu_:
  std::unique_ptr<docker::ChildSupervisor> supervise(const SessionPtr& s, docker::ChildProcess proc);
  void on_exit(const SessionPtr& s, int code);
  void on_probe(const SessionPtr& s);
  // The dockerd is gone: what it left running, the mounts it left in its
  // run dir and data root, then hydraN, the desktop's leg, the uplink and
  // the namespace pin. The one place a session's resources are released
  // (from settle, remove, a failed start, an adoption that finds it dead).
  void release(const SessionKey& key, int index, const SessionNet& net) {
    release_at(key.text(), session_paths(settings_, key, index), index, net);
  }
  void release_at(const std::string& who, const SessionPaths& paths, int index, const SessionNet& net);
  // The sandbox's `inet hydra` table, installed once (again after a failure,
  // or when `verify` finds someone removed it); says so in events.
  Status ensure_firewall(bool verify = false);
  // A running isolated session's uplink rules, put back if something outside
  // hydra removed them (from the probe; skipped while the session's op is held).
  void repair_uplink(const SessionPtr& s);
  Result<std::pair<SessionView, bool>> start(const SessionPtr& s);
  Result<std::pair<SessionView, bool>> start_host(const SessionPtr& s);
  void adopt(const SessionPtr& s);
  // The table's lowest free index, past the warm pool's (mu_ held).
  [[nodiscard]] std::optional<int> free_index_locked() const {
    return table_.free_index_locked(settings_.plan.max_index(), pool_->reserved());
  }
  // session_pool.cpp: the pool thread, its members, and a create's bind.
  void start_pool_thread();
  void pool_loop();
  bool fill_pool_member();
  void discard_member(PoolMember& m, const std::string& why);
  void persist_pool();  // pool.json, when its members changed
  void report_pool();   // the pool's gauges
  void load_pool();
  // Whether a create may take a pooled dockerd: a new data root, no
  // max_containers, not the host's docker.
  [[nodiscard]] bool pool_may_serve(const SessionKey& key, const CreateOptions& options) const;
  // The golden (name and id) a pooled data root must be a clone of to serve
  // a create that wants `golden`: ("", "") for none, and for an absent
  // default_golden (a cold start begins empty then too); none when the
  // golden cannot be read. Reads golden.json: never under the table's lock.
  struct PoolGolden {
    std::string name, id;
  };
  [[nodiscard]] std::optional<PoolGolden> pool_golden(const std::string& golden) const;
  Result<std::pair<SessionView, bool>> bind_pooled(const SessionPtr& s, std::unique_ptr<PoolMember> m);
  // A bridged desktop of an adopted session gets its names and ports again.
  void relink_desktop(const SessionPtr& s);
  // The desktop's names and ports, for a bridged desktop (`op` held).
  Status link_desktop(const SessionPtr& s, std::optional<std::string> resolv_original);
  void unlink_desktop(const SessionPtr& s);
  // A limit asked for that this sandbox cannot enforce: kLimitUnavailable
  // naming the controller.
  [[nodiscard]] Status limits_supported(const ResourceLimits& limits) const;
  // From the cgroup watcher's thread: OOM kills in session N.
  void on_oom(int index, uint64_t kills, uint64_t total);
  // Each running session's usage, read outside every lock.
  void add_usage(SessionView& v) const;
  void track_limit(const Session& s, pid_t pid);
  void untrack_limit(const Session& s, pid_t pid);

  // A session's data root when it has none: a clone of the golden the
  // create asked for, or (on btrfs) a new subvolume. `op` held.
  Status make_data_root(const SessionPtr& s, const std::string& data_root);

  SessionSettings settings_;
  SessionTable table_;
  GoldenStore goldens_;
  std::string main_socket_;
  telemetry::EventLog& log_;
  BridgeWitness witness_;  // were the protected bridges touched while a session started
  telemetry::Metrics& metrics_;
  ContainerLimiter& limiter_;
  std::function<Status()> serve_limits_;
  // The parts, given (deps) or hydrad's own.
  std::unique_ptr<NetworkPart> own_network_;
  std::unique_ptr<SharedContainerd> own_containerd_;  // [sessions] containerd = "shared"
  std::unique_ptr<DockerdPart> own_dockerd_;
  std::unique_ptr<CgroupPart> own_cgroups_;
  NetworkPart* network_ = nullptr;
  DockerdPart* dockerd_ = nullptr;
  CgroupPart* cgroups_ = nullptr;
  MachineSize machine_;  // what a limit may not exceed
  FileWriter& writer_;
  std::string pool_file_;             // state_dir/pool.json: the members, for the next hydrad to discard
  std::mutex pool_file_mu_;           // guards pool_file_text_ (a leaf lock; the pool thread and API threads)
  std::string pool_file_text_;        // what pool.json was last given
  std::unique_ptr<WarmPool> pool_;    // always there; filled only with [sessions] warm_pool > 0
  std::thread pool_thread_;
  // [sessions] golden_spare: the spares' thread (started by adopt_all());
  // after goldens_, so it ends first.
  std::unique_ptr<GoldenSpares> spares_;
  std::mutex hook_mu_;   // guards new_session_hook_ (a leaf lock: nothing is taken inside it)
  std::mutex shared_start_mu_;  // one shared-namespace dockerd start at a time (see LOCKS, 4)
  // Held across a dockerd's start when it writes iptables in hydrad's namespace.
  [[nodiscard]] std::unique_lock<std::mutex> shared_start_gate(const SessionNet& net);
  std::function<void()> new_session_hook_;
};

}  // namespace hydra::session
