// SPDX-License-Identifier: Apache-2.0
// The life of a running session after its start: its watcher's hooks (exit,
// probe), adoption by the next hydrad, stop, purge.
#include <signal.h>

#include <algorithm>
#include <ctime>

#include "docker/engine_client.hpp"
#include "session/data_usage.hpp"
#include "session/dockerd_files.hpp"
#include "netlink/netns.hpp"
#include "session/btrfs_subvolume.hpp"
#include "session/session_manager.hpp"
#include "session/session_network.hpp"

namespace hydra::session {

std::unique_ptr<DockerdSupervisor> SessionManager::supervise(const SessionPtr& s, docker::DockerdProcess proc) {
  // Weak: the session owns its supervisor. A supervisor is always reset
  // before its session leaves the table, so these never hold the last
  // reference.
  std::weak_ptr<Session> weak = s;
  DockerdSupervisor::Hooks hooks{[this, weak](int code) {
                                   if (auto p = weak.lock()) on_exit(p, code);
                                 },
                                 [this, weak] {
                                   if (auto p = weak.lock()) on_probe(p);
                                 }};
  return std::make_unique<DockerdSupervisor>(std::move(proc), settings_.probe_interval_ms, std::move(hooks));
}

void SessionManager::on_exit(const SessionPtr& s, int code) {
  // Whoever holds the session's op (a delete waiting for this exit, a
  // create) takes care of its network; otherwise it is cleaned here.
  std::unique_lock op(s->op, std::try_to_lock);
  bool expected = false, release = false;
  SessionNet net;
  {
    std::lock_guard lock(mu_);
    s->exit_code = code;
    expected = s->state == SessionState::kStopping;
    untrack_limit(*s, s->pid);
    set_state(*s, SessionState::kExited, expected ? "stopped" : "dockerd exited with code " + std::to_string(code));
    s->failed = !expected;
    release = op.owns_lock() && s->index_held;
    net = net_of(*s);
  }
  if (release) {
    unlink_desktop(s);
    release_network(s->key, net);
  }
  std::lock_guard lock(mu_);
  if (release) s->index_held = false;
  persist();
  log_.emit(expected ? "session_stopped" : "session_exited",
            {{"session", s->key.text()}, {"exit_code", code}, {"bridge", net.bridge}});
}

// Every probe interval: the container count answers "is it alive" too.
void SessionManager::on_probe(const SessionPtr& s) {
  std::string socket;
  {
    std::lock_guard lock(mu_);
    if (!session_alive(s->state)) return;
    socket = session_paths(settings_, s->key, s->index).socket;
  }
  auto n = docker::EngineClient(socket, api_timeout_s(settings_)).container_count();
  repair_uplink(s);
  std::lock_guard lock(mu_);
  if (!session_alive(s->state)) return;
  if (n) s->container_count = *n;
  if (n && s->state == SessionState::kUnresponsive) {
    set_state(*s, SessionState::kRunning, "answers again");
    persist();
  } else if (!n && s->state == SessionState::kRunning) {
    set_state(*s, SessionState::kUnresponsive, n.error().text());
    log_.emit("session_unresponsive", {{"session", s->key.text()}, {"error", n.error().text()}});
    persist();
  }
}

void SessionManager::repair_uplink(const SessionPtr& s) {
  // Never beside a create, delete or bridge of this session: a delete closing
  // the uplink must not find it opened again behind it.
  std::unique_lock op(s->op, std::try_to_lock);
  if (!op.owns_lock()) return;
  SessionNet net;
  {
    std::lock_guard lock(mu_);
    if (s->state != SessionState::kRunning || s->network != NetworkMode::kIsolated) return;
    net = net_of(*s);
  }
  auto fail = [&](const Error& e) {
    log_.emit("uplink_repair_failed", {{"session", s->key.text()}, {"uplink", net.uplink}, {"error", e.text()}});
  };
  if (auto st = ensure_hydra_table(/*verify=*/true); !st) return fail(st.error());
  auto what = session::repair_uplink(net);
  if (!what) return fail(what.error());
  if (!what->empty())
    log_.emit("uplink_repaired", {{"session", s->key.text()}, {"uplink", net.uplink}, {"restored", *what},
                                  {"reason", "removed by something outside hydra"}});
}

void SessionManager::adopt(const SessionPtr& s) {
  SessionPaths paths = session_paths(settings_, s->key, s->index);
  const SessionNet net = net_of(*s);
  pid_t pid = read_pidfile(paths.pidfile);
  auto proc = pid > 0 && process_alive(pid) ? docker::DockerdProcess::adopt(pid)
                                            : Result<docker::DockerdProcess>(make_error("no live pid"));
  if (!proc) {
    s->index_held = false;
    s->reason = "dockerd was not running when hydrad started";
    release_network(s->key, net);  // its dockerd is gone: clean what it left
    return;
  }
  std::string network_problem;
  if (net.isolated) {
    // The dockerd's namespace is the session's, whatever is pinned: a lost
    // pin (hydrad's mounts gone with its mount namespace) is put back.
    const std::string own = "/proc/" + std::to_string(pid) + "/ns/net";
    if (!netlink::same_netns(own, net.netns))
      if (auto st = netlink::pin_netns(own, net.netns); !st) network_problem = st.error().text();
    if (auto st = ensure_hydra_table(); !st) network_problem = st.error().text();
    else if (auto up = open_uplink(net); !up) network_problem = up.error().text();
    if (network_problem.empty() && !session_network_present(net))
      network_problem = net.uplink + " is missing: the session has no way out";
  }
  // Alive: adopted whether it answers or not (a hung dockerd is reported
  // unresponsive, never cleaned away under its containers). Its limit first:
  // the ping below passes through hydrad's authorization plugin.
  track_limit(*s, pid);
  auto n = docker::EngineClient(paths.socket, api_timeout_s(settings_)).container_count();
  s->state = n ? SessionState::kRunning : SessionState::kUnresponsive;
  s->reason = n ? "" : n.error().text();
  if (n) s->container_count = *n;
  s->pid = pid;
  s->supervisor = supervise(s, std::move(*proc));
  log_.emit("session_adopted", {{"session", s->key.text()}, {"pid", pid}, {"bridge", net.bridge},
                                {"network", network_mode_name(s->network)}, {"status", session_state_name(s->state)},
                                {"max_containers", s->max_containers}});
  if (!network_problem.empty())
    log_.emit("session_network_damaged", {{"session", s->key.text()}, {"error", network_problem}});
}

void SessionManager::recover() {
  goldens_.recover();  // a golden or clone a crash left half-built goes first
  auto loaded = store_.load();
  if (!loaded) {
    log_.emit("state_file_corrupt", {{"file", store_.path()}, {"error", loaded.error().text()},
                                     {"action", "sessions of the previous hydrad are not recovered"}});
  } else if (!loaded->moved_aside.empty()) {
    log_.emit("state_file_corrupt", {{"file", store_.path()}, {"error", loaded->skipped.front()},
                                     {"moved_to", loaded->moved_aside},
                                     {"action", "sessions of the previous hydrad are not recovered"}});
  } else {
    for (const auto& why : loaded->skipped)
      log_.emit("session_entry_skipped", {{"file", store_.path()}, {"problem", why}});
  }
  std::vector<SessionPtr> recovered;
  const auto records = loaded ? loaded->records : std::vector<SessionRecord>{};
  // Adopted limited dockerds ask the plugin about every request.
  const bool limited = std::any_of(records.begin(), records.end(),
                                   [](const SessionRecord& r) { return r.index_held && r.max_containers > 0; });
  if (limited && serve_limits_)
    if (auto st = serve_limits_(); !st)
      log_.emit("authz_plugin_failed", {{"error", st.error().text()},
                                        {"action", "limited sessions refuse container creates"}});
  // The sandbox's rules for isolated sessions come before their adoption,
  // and before the first create.
  const bool isolated = settings_.network == NetworkMode::kIsolated ||
                        std::any_of(records.begin(), records.end(), [](const SessionRecord& r) {
                          return r.index_held && r.network == NetworkMode::kIsolated;
                        });
  if (isolated)
    if (auto st = ensure_hydra_table(); !st)
      log_.emit("firewall_failed", {{"error", st.error().text()}, {"action", "isolated sessions cannot start"}});
  for (const auto& r : records) {
    auto s = std::make_shared<Session>(r.key);
    s->user_id = r.user_id;
    s->index = r.index;
    s->index_held = r.index_held;
    s->started_unix = r.started_unix;
    s->created_unix = r.created_unix;
    s->max_containers = r.max_containers;
    s->host_docker = r.host_docker;
    s->network = r.network;
    s->desktop_container = r.desktop_container;
    s->desktop_pid = r.desktop_pid;
    s->desktop_resolv = r.desktop_resolv;
    s->golden = r.golden;
    // Unknown (an older sessions.json): stopped at least since now.
    s->stopped_unix = r.stopped_unix > 0 ? r.stopped_unix : time(nullptr);
    s->state = SessionState::kExited;
    if (r.host_docker && r.started_unix > 0) s->state = SessionState::kRunning;  // nothing of its own to lose
    if (r.index_held) adopt(s);
    recovered.push_back(std::move(s));
  }
  {
    std::lock_guard lock(mu_);
    for (const auto& s : recovered) sessions_[s->key] = s;
    persist();
  }
  limiter_.set_ready();
  // Bridged desktops of adopted sessions get their names and ports again,
  // with the resolv.conf they had before the previous hydrad changed it.
  for (const auto& s : recovered) {
    std::lock_guard op(s->op);
    if (!session_alive(s->state) || s->desktop_container.empty()) continue;
    if (!process_alive(s->desktop_pid) || !desktop_bridged(net_of(*s))) continue;
    std::optional<std::string> original;
    if (!s->desktop_resolv.empty()) original = s->desktop_resolv;
    if (auto st = link_desktop(s, original); !st)
      log_.emit("desktop_dns_failed", {{"session", s->key.text()}, {"error", st.error().text()}});
  }
}

Result<StopResult> SessionManager::remove(const SessionKey& key) {
  if (auto st = validate_key(key); !st) return st.error();
  auto s = find(key);
  if (!s) return make_error("no session " + key.text(), ENOENT);
  std::lock_guard op(s->op);
  StopResult result;
  int index = 0;
  SessionNet net;
  bool host = false;
  {
    std::lock_guard lock(mu_);
    if (s->removed) return make_error("no session " + key.text(), ENOENT);
    result.was_running = session_alive(s->state);
    host = s->host_docker;
    if (result.was_running) set_state(*s, SessionState::kStopping, "delete requested");
    index = s->index;
    net = net_of(*s);
    persist();
  }
  unlink_desktop(s);  // the desktop's resolv.conf and localhost back as they were
  if (result.was_running && !host && s->supervisor) {
    // Containers first, through the Engine API, so they stop cleanly; a
    // dockerd that does not answer gets its signals anyway.
    docker::EngineClient engine(session_paths(settings_, key, index).socket, api_timeout_s(settings_));
    if (auto ids = engine.running_containers(); ids) {
      for (const auto& id : *ids) {
        if (auto st = engine.stop_container(id, settings_.stop_timeout_ms / 1000); st) ++result.containers_stopped;
        else log_.emit("container_stop_failed", {{"session", key.text()}, {"error", st.error().text()}});
      }
    } else {
      log_.emit("container_stop_failed", {{"session", key.text()}, {"error", ids.error().text()}});
    }
    s->supervisor->signal(SIGTERM);
    if (!s->supervisor->wait_exited(settings_.stop_timeout_ms)) {
      s->supervisor->signal(SIGKILL);
      if (!s->supervisor->wait_exited(settings_.stop_timeout_ms))
        log_.emit("session_stop_failed", {{"session", key.text()}, {"error", "dockerd survived SIGKILL"}});
    }
  }
  s->supervisor.reset();
  bool held = false;
  {
    std::lock_guard lock(mu_);
    held = s->index_held;
  }
  if (held) release_network(key, net);
  std::lock_guard lock(mu_);
  s->index_held = false;
  s->desktop_container.clear();  // its veth went with the network
  s->desktop_pid = 0;
  s->desktop_resolv.clear();
  if (host) s->started_unix = 0;  // how the next hydrad knows it is stopped
  set_state(*s, SessionState::kExited, "stopped");
  s->failed = false;
  persist();
  if (host) log_.emit("session_stopped", {{"session", key.text()}, {"host_docker", true}});
  return result;
}

void SessionManager::stop_all() {
  std::vector<SessionKey> keys;
  {
    std::lock_guard lock(mu_);
    for (const auto& [k, s] : sessions_)
      if (s->state != SessionState::kExited) keys.push_back(k);
  }
  for (const auto& k : keys)
    if (auto st = remove(k); !st) log_.emit("session_stop_failed", {{"session", k.text()}, {"error", st.error().text()}});
}

Result<uint64_t> SessionManager::purge(const SessionKey& key) {
  if (auto st = validate_key(key); !st) return st.error();
  auto s = find(key);
  std::unique_lock<std::mutex> op;
  bool host = false;
  if (s) {
    op = std::unique_lock(s->op);
    std::lock_guard lock(mu_);
    if (!s->removed && s->state != SessionState::kExited)
      return make_error("session " + key.text() + " is " + std::string(session_state_name(s->state)) + ": delete it first",
                        EBUSY);
    host = s->host_docker;
  }
  std::string root = session_paths(settings_, key, 1).data_root;
  uint64_t bytes = 0;
  if (!host) {
    // Sized while it is deleted: a request for this session only.
    auto removed = remove_data_tree(root);
    if (!removed) return make_error("purge " + key.text() + ": " + removed.error().text(), removed.error().code);
    bytes = removed->bytes;
  }
  if (s) {
    std::lock_guard lock(mu_);
    s->removed = true;
    sessions_.erase(key);
    persist();
  }
  log_.emit("session_purged", {{"session", key.text()}, {"data_root", host ? "" : root}, {"bytes", bytes}});
  return bytes;
}

}  // namespace hydra::session
