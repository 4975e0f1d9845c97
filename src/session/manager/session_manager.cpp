// SPDX-License-Identifier: Apache-2.0
#include "session/manager/session_manager.hpp"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <set>

#include "base/clock.hpp"
#include "docker/engine_client.hpp"
#include "session/core/helper_programs.hpp"
#include "session/core/run_files.hpp"
#include "session/core/storage_driver.hpp"
#include "session/storage/btrfs_subvolume.hpp"
#include "session/network/uplink_firewall.hpp"

namespace hydra::session {

namespace {

nlohmann::json start_phases_json(const PhaseClock& clock) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [phase, us] : clock.phases()) out[phase] = us;
  return out;
}

}  // namespace

SessionManager::SessionManager(SessionSettings settings, const std::string& state_dir, std::string main_docker_socket,
                               SessionDeps deps)
    : settings_(std::move(settings)),
      table_(state_dir + "/sessions.json", deps.writer, deps.log, deps.metrics),
      goldens_(settings_.data_dir, settings_.cp, deps.log),
      main_socket_(std::move(main_docker_socket)),
      log_(deps.log),
      witness_(deps.board),
      metrics_(deps.metrics),
      limiter_(deps.limiter),
      serve_limits_(std::move(deps.serve_limits)),
      writer_(deps.writer),
      pool_file_(state_dir + "/pool.json"),
      pool_(std::make_unique<WarmPool>(settings_.warm_pool)) {
  // The configuration was checked when it was read: an error here is a bug.
  EgressPolicy egress;
  if (auto parsed = parse_egress(settings_.egress_deny, settings_.egress_allow); parsed) egress = *parsed;
  else log_.emit("config_error", {{"error", parsed.error().text()}, {"action", "egress policy left empty"}});
  if (!deps.network)
    own_network_ = std::make_unique<KernelNetwork>(hydra_table_script(settings_.plan, egress, settings_.sandbox_bridges));
  if (!deps.dockerd) {
    if (settings_.containerd_mode == ContainerdMode::kShared)
      own_containerd_ = std::make_unique<SharedContainerd>(settings_, deps.log);
    own_dockerd_ = std::make_unique<DockerdLauncher>(settings_, own_containerd_.get());
  }
  if (!deps.cgroups)
    own_cgroups_ = std::make_unique<KernelCgroups>(
        settings_.cgroup_parent, [this](int index, uint64_t kills, uint64_t total) { on_oom(index, kills, total); });
  if (settings_.golden_spare)
    spares_ = std::make_unique<GoldenSpares>(goldens_, deps.log, [this] { return storage_allows_create().ok(); },
                                             settings_.storage_check_interval_ms);
  network_ = deps.network ? deps.network : own_network_.get();
  dockerd_ = deps.dockerd ? deps.dockerd : own_dockerd_.get();
  cgroups_ = deps.cgroups ? deps.cgroups : own_cgroups_.get();
  machine_ = read_machine_size();
  const CgroupSupport& cg = cgroups_->support();
  for (const auto& [controller, why] : cg.unavailable)
    log_.emit("limits_unavailable", {{"controller", controller}, {"cgroup", cg.parent},
                                     {"cgroup_version", cgroup_version_name(cg.version)}, {"error", why},
                                     {"action", controller == "cpuacct" ? "sessions' CPU time is not measured"
                                                                        : "creates that ask for its limits are refused"}});
}

Status SessionManager::limits_supported(const ResourceLimits& l) const {
  const CgroupSupport& cg = cgroups_->support();
  auto refuse = [&](const char* controller, const char* field) -> Status {
    auto why = cg.unavailable.find(controller);
    return make_error(std::string(field) + " cannot be enforced here: the cgroup " + controller +
                          " controller is not usable (" + (why == cg.unavailable.end() ? "" : why->second) + ")",
                      kLimitUnavailable);
  };
  if ((l.memory || l.memory_high) && !cg.memory) return refuse("memory", l.memory ? "memory_limit" : "memory_high");
  if ((l.cpus || l.cpu_weight) && !cg.cpu) return refuse("cpu", l.cpus ? "cpu_limit" : "cpu_weight");
  if (l.pids && !cg.pids) return refuse("pids", "pids_limit");
  return {};
}

void SessionManager::on_oom(int index, uint64_t kills, uint64_t total) {
  std::string session;
  {
    auto lock = table_.lock();
    for (const auto& [k, s] : table_.all_locked())
      if (s->index_held && s->index == index && !s->host_docker) session = k.text();
  }
  if (session.empty()) return;
  metrics_.session_oom(session, kills);
  log_.emit("session_oom", {{"session", session}, {"oom_kills", kills}, {"oom_kills_total", total}});
}

void SessionManager::add_usage(SessionView& v) const {
  if (v.host_docker || v.index <= 0 || !session_alive(v.state) || v.cgroup.empty()) return;
  if (auto u = cgroups_->usage(v.index); u) v.usage = *u;
}

Status SessionManager::ensure_firewall(bool verify) {
  auto change = network_->ensure_firewall(verify);
  if (!change) return change.error();
  if (*change == NetworkPart::FirewallChange::kInstalledAgain)
    log_.emit("firewall_lost", {{"table", kHydraTable}, {"action", "installed again"}});
  if (*change != NetworkPart::FirewallChange::kNone)
    log_.emit("firewall_installed", {{"table", kHydraTable}, {"uplinks", settings_.plan.uplinks.text()}});
  return {};
}

SessionManager::~SessionManager() {
  // Without stop_pool(): the members keep running, and pool.json names them
  // for the next hydrad to discard.
  pool_->quit();
  if (pool_thread_.joinable()) pool_thread_.join();
  (void)pool_->take_all_ready();
  for (auto& s : table_.snapshot()) s->supervisor.reset();  // outside mu_: the hooks take it
}

std::unique_lock<std::mutex> SessionManager::shared_start_gate(const SessionNet& net) {
  if (net.isolated || net.hydra_nat) return {};
  return std::unique_lock(shared_start_mu_);
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
  v.counted_unix = s.counted_unix;
  v.exit_code = s.exit_code;
  v.golden = s.golden;
  v.clone = s.clone;
  v.limits = s.limits;
  v.cgroup = cgroup_of_locked(s);
  return v;
}

std::string SessionManager::cgroup_of_locked(const Session& s) const {
  if (s.host_docker || !s.index_held || cgroups_->support().version == CgroupVersion::kNone) return "";
  return session_cgroup_dirs(cgroups_->support().parent, s.index).session;
}

SessionCounts SessionManager::counts() const { return table_.counts(); }

Error SessionManager::index_exhausted() const {
  const AddressPlan& p = settings_.plan;
  return make_error("no session index is free: the address plan has room for " + std::to_string(p.max_index()) +
                        " sessions (bridge_subnets " + p.bridges.text() + ", address_pools " + p.pools.text() +
                        ", uplink_subnet " + p.uplinks.text() + "); delete and purge a session, or widen the plan",
                    ENOSPC);
}

Result<SessionPtr> SessionManager::find_adopted(const SessionKey& key) {
  return table_.wait_adopted(key, settings_.recovery_wait_ms);
}

Result<SessionPtr> SessionManager::adopted_session(const SessionKey& key) {
  auto found = find_adopted(key);
  if (found && !*found) return make_error("no session " + key.text(), ENOENT);
  return found;
}

void SessionManager::settle(const SessionPtr& s) {
  SessionNet net;
  int index = 0;
  {
    auto lock = table_.lock();
    if (s->state != SessionState::kExited || !s->index_held || s->host_docker) return;
    net = net_of_locked(*s);
    index = s->index;
  }
  unlink_desktop(s);
  release(s->key, index, net);
  auto lock = table_.lock();
  s->index_held = false;
  table_.persist_locked();
}

void SessionManager::release_at(const std::string& who, const SessionPaths& paths, int index, const SessionNet& net) {
  // The dockerd's leftovers first (its processes, then its mounts, among
  // them its bind mount of the namespace), then the network.
  const DockerdLeftovers left = dockerd_->release(net, paths);
  for (const auto& e : left.errors) log_.emit("session_cleanup_failed", {{"session", who}, {"error", e}});
  if (left.processes > 0) log_.emit("session_leftovers_ended", {{"session", who}, {"processes", left.processes}});
  if (left.mounts > 0)
    log_.emit("session_mounts_released", {{"session", who}, {"dir", paths.dir}, {"mounts", left.mounts}});
  if (auto st = cgroups_->release(index); !st)
    log_.emit("session_cleanup_failed", {{"session", who}, {"error", st.error().text()}});
  if (auto st = network_->release(net); !st)
    log_.emit("session_cleanup_failed", {{"session", who}, {"error", st.error().text()}});
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
  ResourceLimits limits;
  if (options.use_host_docker) {
    if (options.limits.any())
      return make_error("a host-docker session runs on the main dockerd, which hydra does not limit: "
                        "memory_limit, cpu_limit and pids_limit need a session dockerd of its own",
                        EINVAL);
  } else {
    // The request's own values first (its field names), then with the
    // defaults (memory_high against a default memory...).
    if (auto st = check_limits(options.limits, machine_, kRequestLimitNames); !st) return st.error();
    limits = options.limits.over(settings_.limits);
    if (auto st = check_limits(limits, machine_, kRequestLimitNames); !st) return st.error();
    if (auto st = limits_supported(limits); !st) return st.error();
  }
  if (options.use_host_docker && !settings_.privileged_mode)
    return make_error("use_host_docker needs privileged mode, which is off on this hydrad "
                      "([sessions] privileged_mode = true enables it)",
                      EPERM);
  if (!options.use_host_docker)
    if (auto st = require_helper(settings_, "sessions.dockerd"); !st) return st.error();
  if (!options.use_host_docker && own_containerd_)
    if (auto st = require_helper(settings_, "sessions.containerd_program"); !st) return st.error();
  if (!options.use_host_docker)
    if (auto st = storage_allows_create(); !st) return st.error();
  if (options.golden && !options.use_host_docker)
    if (auto g = goldens_.get(*options.golden); !g) return g.error();  // named but absent: 404, nothing started
  const std::string want_golden = options.use_host_docker ? "" : options.golden.value_or(settings_.default_golden);
  if (options.max_containers > 0 && !options.use_host_docker && serve_limits_)
    if (auto st = serve_limits_(); !st)
      return make_error("max_containers cannot be enforced: " + st.error().text(), ENOTSUP);
  const std::optional<PoolGolden> pool_from = pool_may_serve(key, options) ? pool_golden(want_golden) : std::nullopt;
  for (;;) {
    auto found = find_adopted(key);  // one being recovered: after its adoption
    if (!found) return found.error();
    SessionPtr s;
    bool fresh = false;
    std::unique_ptr<PoolMember> pooled;
    {
      auto lock = table_.lock();
      if ((s = table_.find_locked(key))) {
        if (s->state == SessionState::kRecovering) continue;  // loaded since: wait for it
      } else {
        // A ready member's index passes from the pool to the session under
        // this lock: no fill can take it in between.
        if (pool_from) pooled = pool_->take(pool_from->name, pool_from->id);
        std::optional<int> index = 0;
        if (pooled) index = pooled->index;
        else if (!options.use_host_docker && !(index = free_index_locked())) return index_exhausted();
        s = std::make_shared<Session>(key);
        s->index = *index;
        s->index_held = !options.use_host_docker;
        s->network = settings_.network;
        s->user_id = options.user_id;
        s->host_docker = options.use_host_docker;
        // The main dockerd is not ours to limit.
        s->max_containers = options.use_host_docker ? 0 : options.max_containers;
        s->limits = limits;
        s->created_unix = time(nullptr);
        s->want_golden = want_golden;
        table_.insert_locked(s);
        fresh = true;
        log_.emit("session_state", {{"session", key.text()}, {"from", nullptr}, {"to", "starting"},
                                    {"reason", "create requested"}});
        table_.persist_locked();
      }
    }
    if (fresh) {
      std::function<void()> hook;
      {
        std::lock_guard lock(hook_mu_);
        hook = new_session_hook_;
      }
      if (hook) hook();
    }
    SessionOp op(*this, s);
    bool removed = false;
    {
      auto lock = table_.lock();
      removed = s->removed;
    }
    if (removed) {  // purged while this request waited: look again
      if (pooled) discard_member(*pooled, "its session was purged before it was bound");
      continue;
    }
    {
      auto lock = table_.lock();
      if (session_alive(s->state)) return std::make_pair(view_locked(*s), false);
      if (!fresh) {
        s->host_docker = options.use_host_docker;
        s->max_containers = options.use_host_docker ? 0 : options.max_containers;
        s->limits = limits;
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
        s->counted_unix = 0;
        table_.set_state_locked(*s, SessionState::kStarting, "create requested");
        table_.persist_locked();
      }
    }
    if (pooled) return bind_pooled(s, std::move(pooled));
    s->supervisor.reset();  // the watcher of an exited dockerd: done
    unlink_desktop(s);
    return s->host_docker ? start_host(s) : start(s);
  }
}

Result<std::pair<SessionView, bool>> SessionManager::start_host(const SessionPtr& s) {
  auto lock = table_.lock();
  s->pid = 0;
  s->started_unix = time(nullptr);
  table_.set_state_locked(*s, SessionState::kRunning, "uses the main dockerd");
  table_.persist_locked();
  log_.emit("session_started", {{"session", s->key.text()}, {"host_docker", true}, {"docker_socket", main_socket_}});
  return std::make_pair(view_locked(*s), true);
}

Result<std::pair<SessionView, bool>> SessionManager::start(const SessionPtr& s) {
  const int64_t t0 = monotonic_us();
  PhaseClock phases;
  const BridgeMark bridges_before = witness_.mark();
  const SessionKey& key = s->key;
  int index = 0, limit = 0;
  ResourceLimits limits;
  {
    auto lock = table_.lock();
    index = s->index;
    limit = s->max_containers;
    limits = s->limits;
  }
  SessionNet net;
  {
    auto lock = table_.lock();
    net = net_of_locked(*s);
  }
  SessionPaths paths = session_paths(settings_, key, index);
  std::optional<docker::ChildProcess> proc;
  auto fail = [&](const Error& e) -> Error {
    if (proc) {
      proc->stop(2000);
      auto lock = table_.lock();
      untrack_limit(*s, proc->pid());
    }
    release(key, index, net);
    {
      auto lock = table_.lock();
      s->index_held = false;
      table_.set_state_locked(*s, SessionState::kExited, e.text());
      s->failed = true;
      table_.persist_locked();
    }
    log_.emit("session_start_failed", {{"session", key.text()}, {"error", e.text()}});
    metrics_.session_failed("start_failed");
    return e;
  };
  if (net.isolated)
    if (auto st = ensure_firewall(); !st) return fail(st.error());
  auto netns = network_->acquire(net);
  if (!netns) return fail(netns.error());
  phases.mark("network");
  if (auto st = make_dirs(paths.dir, 0700); !st) return fail(st.error());
  if (auto st = make_data_root(s, paths.data_root); !st) return fail(st.error());
  if (auto st = make_dirs(paths.data_root, 0710); !st) return fail(st.error());
  phases.mark("data_root");
  const StorageDriverChoice driver =
      choose_storage_driver(settings_.storage_driver, data_root_drivers(paths.data_root), on_btrfs(settings_.data_dir));
  // Its cgroups before its dockerd: everything it starts is counted.
  auto placement = cgroups_->acquire(index, limits);
  if (!placement) return fail(placement.error());
  phases.mark("cgroups");
  LaunchOptions launch{.netns_fd = netns->valid() ? netns->get() : -1, .limited = limit > 0,
                       .storage_driver = driver.driver, .cgroup_procs = {},
                       .cgroup_parent = placement->containers_parent};
  for (const auto& fd : placement->procs) launch.cgroup_procs.push_back(fd.get());
  auto gate = shared_start_gate(net);
  auto spawned = dockerd_->launch(net, paths, launch);
  if (!spawned) return fail(spawned.error());
  proc.emplace(std::move(*spawned));
  phases.mark("spawn");
  {
    // Before it answers: its first create must already find its limit.
    auto lock = table_.lock();
    track_limit(*s, proc->pid());
  }
  if (auto st = proc->wait_ready(paths.socket, settings_.start_timeout_ms); !st)
    return fail(make_error(st.error().text() + "; dockerd log: " + log_tail(paths.log), st.error().code));
  if (gate.owns_lock()) gate.unlock();
  phases.mark("dockerd_ready");
  const int64_t t1 = monotonic_us();
  // Asks the kernel: before mu_ is taken, never under it.
  const BridgeTouch touched = witness_.since(bridges_before);
  const pid_t pid = proc->pid();
  s->supervisor = supervise(s, std::move(*proc));
  auto lock = table_.lock();
  s->pid = pid;
  s->started_unix = time(nullptr);
  if (s->state != SessionState::kStarting) {
    // It exited as soon as it answered: its exit hook has said so, and
    // releasing op (the caller's) releases its network.
    log_.emit("session_start_failed", {{"session", key.text()}, {"error", s->reason}});
    metrics_.session_failed("start_failed");
    return make_error("session " + key.text() + ": " + s->reason + " right after it answered /_ping", EIO);
  }
  table_.set_state_locked(*s, SessionState::kRunning, "dockerd answers /_ping");
  table_.persist_locked();
  // A spare it took is made again now, not beside its dockerd's start.
  if (spares_ && !s->golden.empty()) spares_->wake();
  metrics_.session_started(static_cast<double>(t1 - t0) / 1e6, "cold");
  log_.emit("session_started", {{"session", key.text()}, {"bridge", net.bridge}, {"pid", pid},
                                {"network", net.isolated ? "isolated" : "shared"},
                                {"netns", net.netns}, {"uplink", net.isolated ? net.uplink : ""},
                                {"source", "cold"}, {"start_us", t1 - t0}, {"phases_us", start_phases_json(phases)},
                                {"live_restore", settings_.live_restore},
                                {"max_containers", limit}, {"golden", s->golden},
                                {"limits", limits_json(limits)}, {"cgroup", cgroup_of_locked(*s)},
                                {"storage_driver", driver.driver.empty() ? "dockerd's choice" : driver.driver},
                                {"storage_driver_reason", driver.reason},
                                {"protected_bridges_touched", touched.touched},
                                {"protected_restores", touched.restores}});
  return std::make_pair(view_locked(*s), true);
}

std::vector<SessionView> SessionManager::list() const {
  std::vector<SessionView> out;
  {
    auto lock = table_.lock();
    for (const auto& [_, s] : table_.all_locked()) out.push_back(view_locked(*s));
  }
  for (auto& v : out) add_usage(v);
  return out;
}

Result<SessionView> SessionManager::inspect(const SessionKey& key) {
  if (auto st = validate_key(key); !st) return st.error();
  auto found = adopted_session(key);
  if (!found) return found.error();
  SessionPtr s = *found;
  SessionView v;
  {
    auto lock = table_.lock();
    v = view_locked(*s);
  }
  if (!session_alive(v.state)) return v;
  // Outside every lock, and bounded: a hung dockerd costs this request
  // api_timeout, and marks the session unresponsive for everyone else.
  auto n = docker::EngineClient(v.paths.socket, api_timeout_s(settings_)).container_count();
  {
    auto lock = table_.lock();
    if (session_alive(s->state) && n) {
      s->count_containers(*n);
      if (s->state == SessionState::kUnresponsive) table_.set_state_locked(*s, SessionState::kRunning, "answers again");
    } else if (s->state == SessionState::kRunning) {
      table_.set_state_locked(*s, SessionState::kUnresponsive, n.error().text());
      log_.emit("session_unresponsive", {{"session", key.text()}, {"error", n.error().text()}});
      table_.persist_locked();
    }
    v = view_locked(*s);
  }
  add_usage(v);
  return v;
}

}  // namespace hydra::session
