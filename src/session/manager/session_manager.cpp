// SPDX-License-Identifier: Apache-2.0
#include "session/manager/session_manager.hpp"
#include "session/dockerd/dockerd_config.hpp"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <set>

#include "base/clock.hpp"
#include "base/state_file.hpp"
#include "docker/engine_client.hpp"
#include "session/core/run_files.hpp"
#include "session/dockerd/leftovers.hpp"
#include "netlink/netns.hpp"
#include "session/network/session_network.hpp"

namespace hydra::session {

SessionManager::SessionManager(SessionSettings settings, std::string state_dir, std::string main_docker_socket,
                               SessionDeps deps)
    : settings_(std::move(settings)),
      store_(std::move(state_dir) + "/sessions.json", deps.writer),
      goldens_(settings_.data_dir, settings_.cp, deps.log),
      main_socket_(std::move(main_docker_socket)),
      log_(deps.log),
      board_(deps.board),
      metrics_(deps.metrics),
      limiter_(deps.limiter),
      serve_limits_(std::move(deps.serve_limits)) {
  // The configuration was checked when it was read: an error here is a bug.
  auto egress = parse_egress(settings_.egress_deny, settings_.egress_allow);
  if (egress) egress_ = *egress;
  else log_.emit("config_error", {{"error", egress.error().text()}, {"action", "egress policy left empty"}});
}

Status SessionManager::ensure_hydra_table(bool verify) {
  // Looked at without the lock: the probes of every session may ask at once.
  const bool lost = verify && !hydra_table_present();
  std::lock_guard lock(table_mu_);
  if (table_installed_ && !lost) return {};
  if (lost && hydra_table_present()) return {};  // another probe put it back meanwhile (rare: only then this read)
  if (lost && table_installed_) log_.emit("firewall_lost", {{"table", kHydraTable}, {"action", "installed again"}});
  auto st = install_hydra_table(hydra_table_script(settings_.plan, egress_, settings_.sandbox_bridges));
  if (!st) return make_error("install the sandbox's inet hydra table: " + st.error().text(), st.error().code);
  table_installed_ = true;
  log_.emit("firewall_installed", {{"table", kHydraTable}, {"uplinks", settings_.plan.uplinks.text()}});
  return {};
}

SessionManager::~SessionManager() {
  std::vector<SessionPtr> all;
  {
    std::lock_guard lock(mu_);
    for (auto& [_, s] : sessions_) all.push_back(s);
  }
  for (auto& s : all) s->supervisor.reset();  // outside mu_: the hooks take it
}

int SessionManager::protected_restores() const {
  int total = 0;
  for (const auto& b : board_.bridges()) total += static_cast<int>(b.restores);
  return total;
}

void SessionManager::set_state_locked(Session& s, SessionState next, const std::string& reason) {
  s.reason = next == SessionState::kUnresponsive || next == SessionState::kExited ? reason : "";
  if (next != SessionState::kExited) s.failed = false;
  if (next == SessionState::kExited && s.state != SessionState::kExited) s.stopped_unix = time(nullptr);
  if (s.state == next) return;
  log_.emit("session_state", {{"session", s.key.text()}, {"from", session_state_name(s.state)},
                              {"to", session_state_name(next)}, {"reason", reason}});
  s.state = next;
}

SessionView SessionManager::view_locked(const Session& s) const {
  SessionView v;
  v.key = s.key;
  v.user_id = s.user_id;
  v.index = s.index;
  v.state = s.state;
  v.failed = s.failed;
  v.reason = s.reason;
  v.host_docker = s.host_docker;
  if (s.host_docker) {
    v.paths.socket = main_socket_;
  } else {
    v.net = net_of_locked(s);
    v.paths = session_paths(settings_, s.key, s.index);
  }
  v.desktop_container = s.desktop_container;
  v.desktop_pid = s.desktop_pid;
  if (s.desktop_link) v.desktop = s.desktop_link->shown();
  v.max_containers = s.max_containers;
  v.created_unix = s.created_unix;
  if (s.pid > 0 && session_alive(s.state)) v.pid = s.pid;
  if (session_alive(s.state)) v.uptime_seconds = time(nullptr) - s.started_unix;
  v.container_count = s.container_count;
  v.exit_code = s.exit_code;
  v.golden = s.golden;
  v.clone = s.clone;
  return v;
}

std::optional<int> SessionManager::free_index_locked() const {
  std::set<int> held;
  for (const auto& [_, s] : sessions_)
    if (s->index_held) held.insert(s->index);
  return lowest_free_index(held, settings_.plan.max_index());
}

SessionCounts SessionManager::counts_locked() const {
  SessionCounts c;
  for (const auto& [_, s] : sessions_) {
    c.starting += s->state == SessionState::kStarting || s->state == SessionState::kStopping ||
                  s->state == SessionState::kRecovering;
    c.recovering += s->state == SessionState::kRecovering;
    c.running += s->state == SessionState::kRunning;
    c.unresponsive += s->state == SessionState::kUnresponsive;
    c.exited += s->state == SessionState::kExited;
  }
  return c;
}

SessionCounts SessionManager::counts() const {
  std::lock_guard lock(mu_);
  return counts_locked();
}

void SessionManager::persist_locked() {
  std::vector<SessionRecord> records;
  for (const auto& [_, s] : sessions_)
    records.push_back({s->key, s->user_id, s->index, s->index_held, s->started_unix, s->created_unix,
                       s->max_containers, s->host_docker, s->desktop_container, s->desktop_pid, s->network,
                       s->desktop_resolv, s->stopped_unix, s->golden});
  const SessionCounts c = counts_locked();
  metrics_.sessions(c.starting - c.recovering, c.running, c.unresponsive, c.exited, c.recovering);
  size_t shared = 0, isolated = 0;
  for (const auto& [_, s] : sessions_)
    if (s->state != SessionState::kExited && !s->host_docker) ++(s->network == NetworkMode::kIsolated ? isolated : shared);
  metrics_.sessions_by_network(shared, isolated);
  store_.save(records);  // written by the writer's thread
}

Error SessionManager::index_exhausted() const {
  const AddressPlan& p = settings_.plan;
  return make_error("no session index is free: the address plan has room for " + std::to_string(p.max_index()) +
                        " sessions (bridge_subnets " + p.bridges.text() + ", address_pools " + p.pools.text() +
                        ", uplink_subnet " + p.uplinks.text() + "); delete and purge a session, or widen the plan",
                    ENOSPC);
}

Result<SessionManager::SessionPtr> SessionManager::find_adopted(const SessionKey& key) {
  std::unique_lock lock(mu_);
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return SessionPtr{};
  SessionPtr s = it->second;
  // A session never goes back to recovering: once past it, it stays past.
  if (!adopted_cv_.wait_for(lock, std::chrono::milliseconds(settings_.recovery_wait_ms),
                            [&] { return s->state != SessionState::kRecovering; }))
    return make_error("session " + key.text() + " is still being recovered after hydrad restarted; retry shortly",
                      EAGAIN);
  return s;
}

Result<SessionManager::SessionPtr> SessionManager::adopted_session(const SessionKey& key) {
  auto found = find_adopted(key);
  if (found && !*found) return make_error("no session " + key.text(), ENOENT);
  return found;
}

void SessionManager::settle(const SessionPtr& s) {
  SessionNet net;
  int index = 0;
  {
    std::lock_guard lock(mu_);
    if (s->state != SessionState::kExited || !s->index_held || s->host_docker) return;
    net = net_of_locked(*s);
    index = s->index;
  }
  unlink_desktop(s);
  release(s->key, index, net);
  std::lock_guard lock(mu_);
  s->index_held = false;
  persist_locked();
}

void SessionManager::release(const SessionKey& key, int index, const SessionNet& net) {
  const SessionPaths paths = session_paths(settings_, key, index);
  // What the dockerd left running (its containerd, shims, containers, when
  // it was killed or crashed): ended while this session still holds the
  // index, so they are surely its own and no later session meets them.
  if (auto n = end_leftovers(paths.exec_root, settings_.stop_timeout_ms); !n)
    log_.emit("session_cleanup_failed", {{"session", key.text()}, {"error", n.error().text()}});
  else if (*n > 0)
    log_.emit("session_leftovers_ended", {{"session", key.text()}, {"processes", *n}});
  // Then mounts: dockerd's bind mount of its namespace (exec/netns/default)
  // would keep the session's namespace alive after its pin is gone.
  const std::string& run_dir = paths.dir;
  if (auto n = unmount_below(run_dir); !n)
    log_.emit("session_cleanup_failed", {{"session", key.text()}, {"error", n.error().text()}});
  else if (*n > 0)
    log_.emit("session_mounts_released", {{"session", key.text()}, {"dir", run_dir}, {"mounts", *n}});
  // A killed dockerd's bind mount of its data root, and the root
  // filesystems of the containers it left (ended above).
  if (auto st = release_data_root_mount(paths.data_root); !st)
    log_.emit("session_cleanup_failed", {{"session", key.text()}, {"error", st.error().text()}});
  if (auto st = delete_session_network(net); !st)
    log_.emit("session_cleanup_failed", {{"session", key.text()}, {"error", st.error().text()}});
}

void SessionManager::track_limit(const Session& s, pid_t pid) {
  if (s.max_containers > 0 && pid > 0)
    limiter_.track(pid, s.key.text(), session_paths(settings_, s.key, s.index).socket, s.max_containers);
}

void SessionManager::untrack_limit(const Session& s, pid_t pid) {
  if (s.max_containers > 0 && pid > 0) limiter_.untrack(pid);
}

Result<std::pair<SessionView, bool>> SessionManager::create(const SessionKey& key, const CreateOptions& options) {
  if (auto st = validate_key(key); !st) return st.error();
  if (options.max_containers < 0) return make_error("max_containers must be 0 (no limit) or more", EINVAL);
  if (options.use_host_docker && !settings_.privileged_mode)
    return make_error("use_host_docker needs privileged mode, which is off on this hydrad "
                      "([sessions] privileged_mode = true enables it)",
                      EPERM);
  if (!options.use_host_docker)
    if (auto st = storage_allows_create(); !st) return st.error();
  if (options.golden && !options.use_host_docker)
    if (auto g = goldens_.get(*options.golden); !g) return g.error();  // named but absent: 404, nothing started
  const std::string want_golden = options.use_host_docker ? "" : options.golden.value_or(settings_.default_golden);
  if (options.max_containers > 0 && !options.use_host_docker && serve_limits_)
    if (auto st = serve_limits_(); !st)
      return make_error("max_containers cannot be enforced: " + st.error().text(), ENOTSUP);
  for (;;) {
    auto found = find_adopted(key);  // one being recovered: after its adoption
    if (!found) return found.error();
    SessionPtr s;
    bool fresh = false;
    {
      std::lock_guard lock(mu_);
      auto it = sessions_.find(key);
      if (it != sessions_.end()) {
        s = it->second;
        if (s->state == SessionState::kRecovering) continue;  // loaded since: wait for it
      } else {
        std::optional<int> index = 0;
        if (!options.use_host_docker && !(index = free_index_locked())) return index_exhausted();
        s = std::make_shared<Session>(key);
        s->index = *index;
        s->index_held = !options.use_host_docker;
        s->network = settings_.network;
        s->user_id = options.user_id;
        s->host_docker = options.use_host_docker;
        // The main dockerd is not ours to limit.
        s->max_containers = options.use_host_docker ? 0 : options.max_containers;
        s->created_unix = time(nullptr);
        s->want_golden = want_golden;
        sessions_[key] = s;
        fresh = true;
        log_.emit("session_state", {{"session", key.text()}, {"from", nullptr}, {"to", "starting"},
                                    {"reason", "create requested"}});
        persist_locked();
      }
    }
    SessionOp op(*this, s);
    {
      std::lock_guard lock(mu_);
      if (s->removed) continue;  // purged while this request waited: look again
      if (session_alive(s->state)) return std::make_pair(view_locked(*s), false);
      if (!fresh) {
        s->host_docker = options.use_host_docker;
        s->max_containers = options.use_host_docker ? 0 : options.max_containers;
        if (!s->host_docker && !s->index_held) {
          auto index = free_index_locked();
          if (!index) return index_exhausted();
          s->index = *index;
          s->index_held = true;
          s->network = settings_.network;
        }
        if (s->host_docker) s->index = 0;
        if (s->created_unix == 0) s->created_unix = time(nullptr);
        s->user_id = options.user_id;
        s->want_golden = want_golden;
        s->exit_code.reset();
        s->container_count.reset();
        set_state_locked(*s, SessionState::kStarting, "create requested");
        persist_locked();
      }
    }
    s->supervisor.reset();  // the watcher of an exited dockerd: done
    unlink_desktop(s);
    return s->host_docker ? start_host(s) : start(s);
  }
}

Result<std::pair<SessionView, bool>> SessionManager::start_host(const SessionPtr& s) {
  std::lock_guard lock(mu_);
  s->pid = 0;
  s->started_unix = time(nullptr);
  set_state_locked(*s, SessionState::kRunning, "uses the main dockerd");
  persist_locked();
  log_.emit("session_started", {{"session", s->key.text()}, {"host_docker", true}, {"docker_socket", main_socket_}});
  return std::make_pair(view_locked(*s), true);
}

Result<std::pair<SessionView, bool>> SessionManager::start(const SessionPtr& s) {
  const int64_t t0 = monotonic_us();
  const int restores_before = protected_restores();
  const SessionKey& key = s->key;
  int index = 0, limit = 0;
  {
    std::lock_guard lock(mu_);
    index = s->index;
    limit = s->max_containers;
  }
  SessionNet net;
  {
    std::lock_guard lock(mu_);
    net = net_of_locked(*s);
  }
  SessionPaths paths = session_paths(settings_, key, index);
  std::optional<docker::ChildProcess> proc;
  auto fail = [&](const Error& e) -> Error {
    if (proc) {
      proc->stop(2000);
      std::lock_guard lock(mu_);
      untrack_limit(*s, proc->pid());
    }
    release(key, index, net);
    {
      std::lock_guard lock(mu_);
      s->index_held = false;
      set_state_locked(*s, SessionState::kExited, e.text());
      s->failed = true;
      persist_locked();
    }
    log_.emit("session_start_failed", {{"session", key.text()}, {"error", e.text()}});
    return e;
  };
  UniqueFd netns;
  if (net.isolated) {
    if (auto st = ensure_hydra_table(); !st) return fail(st.error());
    if (auto st = make_dirs(settings_.run_dir + "/netns", 0755); !st) return fail(st.error());
  }
  if (auto st = create_session_network(net); !st) return fail(st.error());
  if (net.isolated) {
    auto fd = netlink::open_netns(net.netns);
    if (!fd) return fail(fd.error());
    netns = std::move(*fd);
  }
  if (auto st = make_dirs(paths.dir, 0700); !st) return fail(st.error());
  if (auto st = make_data_root(s, paths.data_root); !st) return fail(st.error());
  if (auto st = make_dirs(paths.data_root, 0710); !st) return fail(st.error());
  unlink(paths.socket.c_str());
  for (const auto& pidfile : {paths.pidfile, paths.exec_root + "/containerd/containerd.pid"})
    if (auto st = clear_stale_pidfile(pidfile); !st) return fail(st.error());
  if (auto st = write_state_file(paths.config_file, daemon_json(net, settings_).dump(2) + "\n", 0644); !st)
    return fail(st.error());
  auto spawned =
      docker::ChildProcess::spawn(dockerd_argv(net, paths, settings_, limit > 0), paths.log, netns.valid() ? netns.get() : -1);
  if (!spawned) return fail(spawned.error());
  proc.emplace(std::move(*spawned));
  {
    // Before it answers: its first create must already find its limit.
    std::lock_guard lock(mu_);
    track_limit(*s, proc->pid());
  }
  if (auto st = proc->wait_ready(paths.socket, settings_.start_timeout_ms); !st)
    return fail(make_error(st.error().text() + "; dockerd log: " + log_tail(paths.log), st.error().code));
  const int64_t t1 = monotonic_us();
  const pid_t pid = proc->pid();
  s->supervisor = supervise(s, std::move(*proc));
  std::lock_guard lock(mu_);
  s->pid = pid;
  s->started_unix = time(nullptr);
  if (s->state != SessionState::kStarting) {
    // It exited as soon as it answered: its exit hook has said so, and
    // releasing op (the caller's) releases its network.
    log_.emit("session_start_failed", {{"session", key.text()}, {"error", s->reason}});
    return make_error("session " + key.text() + ": " + s->reason + " right after it answered /_ping", EIO);
  }
  set_state_locked(*s, SessionState::kRunning, "dockerd answers /_ping");
  persist_locked();
  const int touched = protected_restores() - restores_before;
  metrics_.session_started(static_cast<double>(t1 - t0) / 1e6);
  log_.emit("session_started", {{"session", key.text()}, {"bridge", net.bridge}, {"pid", pid},
                                {"network", net.isolated ? "isolated" : "shared"},
                                {"netns", net.netns}, {"uplink", net.isolated ? net.uplink : ""},
                                {"start_us", t1 - t0}, {"live_restore", settings_.live_restore},
                                {"max_containers", limit}, {"golden", s->golden},
                                {"protected_bridges_touched", touched > 0},
                                {"protected_restores", touched}});
  return std::make_pair(view_locked(*s), true);
}

std::vector<SessionView> SessionManager::list() const {
  std::lock_guard lock(mu_);
  std::vector<SessionView> out;
  for (const auto& [_, s] : sessions_) out.push_back(view_locked(*s));
  return out;
}

Result<SessionView> SessionManager::inspect(const SessionKey& key) {
  if (auto st = validate_key(key); !st) return st.error();
  auto found = adopted_session(key);
  if (!found) return found.error();
  SessionPtr s = *found;
  SessionView v;
  {
    std::lock_guard lock(mu_);
    v = view_locked(*s);
  }
  if (!session_alive(v.state)) return v;
  // Outside every lock, and bounded: a hung dockerd costs this request
  // api_timeout, and marks the session unresponsive for everyone else.
  auto n = docker::EngineClient(v.paths.socket, api_timeout_s(settings_)).container_count();
  std::lock_guard lock(mu_);
  if (!session_alive(s->state)) return view_locked(*s);
  if (n) {
    s->container_count = *n;
    if (s->state == SessionState::kUnresponsive) set_state_locked(*s, SessionState::kRunning, "answers again");
  } else if (s->state == SessionState::kRunning) {
    set_state_locked(*s, SessionState::kUnresponsive, n.error().text());
    log_.emit("session_unresponsive", {{"session", key.text()}, {"error", n.error().text()}});
    persist_locked();
  }
  return view_locked(*s);
}

}  // namespace hydra::session
