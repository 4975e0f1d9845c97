// SPDX-License-Identifier: Apache-2.0
// Recovery after hydrad restarts: the previous hydrad's sessions go into the
// table at once (load, before any request is served), then each is adopted
// on its own (adopt_all), its op held throughout, so that no request acts on
// a session before its dockerd is known alive or dead.
#include <algorithm>
#include <atomic>
#include <ctime>
#include <thread>

#include "docker/engine_client.hpp"
#include "session/core/run_files.hpp"
#include "session/manager/session_manager.hpp"
#include "base/guarded_thread.hpp"

namespace hydra::session {

namespace {

// Adoptions at once: each may wait api_timeout for a hung dockerd.
constexpr size_t kAdoptionThreads = 16;

}  // namespace

void SessionManager::load() {
  goldens_.recover();  // a golden or clone a crash left half-built goes first
  auto loaded = table_.load();
  if (!loaded) {
    log_.emit("state_file_corrupt", {{"file", table_.path()}, {"error", loaded.error().text()},
                                     {"action", "sessions of the previous hydrad are not recovered"}});
  } else if (!loaded->moved_aside.empty()) {
    log_.emit("state_file_corrupt", {{"file", table_.path()}, {"error", loaded->skipped.front()},
                                     {"moved_to", loaded->moved_aside},
                                     {"action", "sessions of the previous hydrad are not recovered"}});
  } else {
    for (const auto& why : loaded->skipped)
      log_.emit("session_entry_skipped", {{"file", table_.path()}, {"problem", why}});
  }
  load_pool();  // a previous hydrad's members keep their indexes until the pool thread discards them
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
    if (auto st = ensure_firewall(); !st)
      log_.emit("firewall_failed", {{"error", st.error().text()}, {"action", "isolated sessions cannot start"}});
  auto lock = table_.lock();
  size_t recovering = 0;
  for (const auto& r : records) {
    auto s = std::make_shared<Session>(r.key);
    s->user_id = r.user_id;
    s->index = r.index;
    s->index_held = r.index_held;  // held until its adoption says otherwise: no create takes it
    s->started_unix = r.started_unix;
    s->created_unix = r.created_unix;
    s->max_containers = r.max_containers;
    s->limits = r.limits;
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
    if (r.index_held) {
      s->state = SessionState::kRecovering;
      ++recovering;
    }
    table_.insert_locked(std::move(s));
  }
  table_.persist_locked();
  if (!records.empty())
    log_.emit("sessions_loaded", {{"file", table_.path()}, {"sessions", records.size()}, {"recovering", recovering}});
}

void SessionManager::adopt_all() {
  std::vector<SessionPtr> pending;
  {
    auto lock = table_.lock();
    for (const auto& [_, s] : table_.all_locked())
      if (s->state == SessionState::kRecovering) pending.push_back(s);
  }
  std::atomic<size_t> next{0};
  std::vector<std::thread> workers;
  for (size_t i = 0; i < std::min(pending.size(), kAdoptionThreads); ++i)
    workers.push_back(guarded_thread("adoption", [&] {
      for (size_t k = next++; k < pending.size(); k = next++) adopt(pending[k]);
    }));
  for (auto& w : workers) w.join();
  limiter_.set_ready();
  start_pool_thread();
  if (spares_) spares_->start();
}

void SessionManager::adopt(const SessionPtr& s) {
  // Held from the first look to the last: requests for this session wait
  // (find_adopted), the probe's uplink repair stays away.
  SessionOp op(*this, s);
  SessionPaths paths;
  SessionNet net;
  NetworkMode mode = NetworkMode::kShared;
  int index = 0;
  {
    auto lock = table_.lock();
    index = s->index;
    paths = session_paths(settings_, s->key, s->index);
    net = net_of_locked(*s);
    mode = s->network;
  }
  auto proc = dockerd_->adopt(paths);
  if (!proc) {
    release(s->key, index, net);  // its dockerd is gone: clean what it left
    auto lock = table_.lock();
    s->index_held = false;
    table_.set_state_locked(*s, SessionState::kExited, "dockerd was not running when hydrad started");
    table_.persist_locked();
    table_.adopted_locked();
    return;
  }
  const pid_t pid = proc->pid();
  std::string network_problem;
  if (net.isolated) {
    if (auto st = ensure_firewall(); !st) network_problem = st.error().text();
    else if (auto adopted = network_->adopt(net, pid); !adopted) network_problem = adopted.error().text();
  }
  // Alive: adopted whether it answers or not (a hung dockerd is reported
  // unresponsive, never cleaned away under its containers). Its limit first:
  // the ping below passes through hydrad's authorization plugin.
  int max_containers = 0;
  ResourceLimits limits;
  {
    auto lock = table_.lock();
    track_limit(*s, pid);
    max_containers = s->max_containers;
    limits = s->limits;
  }
  // Its cgroups found again, its limits as it was started with them.
  if (auto st = cgroups_->adopt(index, limits); !st)
    log_.emit("session_cgroup_lost", {{"session", s->key.text()}, {"error", st.error().text()},
                                      {"action", "runs without its limits until it restarts"}});
  auto n = docker::EngineClient(paths.socket, api_timeout_s(settings_)).container_count();
  SessionState state = SessionState::kRunning;
  {
    // The state before the watcher: an exit it sees at once then finds the
    // session running, marks it exited, and this op settles it.
    auto lock = table_.lock();
    s->pid = pid;
    if (n) s->count_containers(*n);
    state = n ? SessionState::kRunning : SessionState::kUnresponsive;
    table_.set_state_locked(*s, state, n ? "adopted" : n.error().text());
    table_.persist_locked();
  }
  s->supervisor = supervise(s, std::move(*proc));
  log_.emit("session_adopted", {{"session", s->key.text()}, {"pid", pid}, {"bridge", net.bridge},
                                {"network", network_mode_name(mode)},
                                {"status", session_state_name(state)}, {"max_containers", max_containers},
                                {"limits", limits_json(limits)}});
  if (!network_problem.empty())
    log_.emit("session_network_damaged", {{"session", s->key.text()}, {"error", network_problem}});
  relink_desktop(s);
  auto lock = table_.lock();
  table_.adopted_locked();
}

void SessionManager::relink_desktop(const SessionPtr& s) {
  // Bridged desktops of adopted sessions get their names and ports again,
  // with the resolv.conf they had before the previous hydrad changed it.
  std::optional<std::string> original;
  SessionNet net;
  pid_t desktop_pid = 0;
  {
    auto lock = table_.lock();
    if (!session_alive(s->state) || s->desktop_container.empty()) return;
    if (!s->desktop_resolv.empty()) original = s->desktop_resolv;
    net = net_of_locked(*s);
    desktop_pid = s->desktop_pid;
  }
  if (!process_alive(desktop_pid) || !network_->desktop_bridged(net)) return;
  if (auto st = link_desktop(s, original); !st)
    log_.emit("desktop_dns_failed", {{"session", s->key.text()}, {"error", st.error().text()}});
}

}  // namespace hydra::session
