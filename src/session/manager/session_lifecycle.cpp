// SPDX-License-Identifier: Apache-2.0
// The life of a running session after its start: its watcher's hooks (exit,
// probe), stop, purge.
#include <signal.h>

#include <algorithm>
#include <ctime>

#include "docker/engine_client.hpp"
#include "session/storage/data_usage.hpp"
#include "session/core/run_files.hpp"
#include "session/storage/btrfs_subvolume.hpp"
#include "session/manager/session_manager.hpp"

namespace hydra::session {

std::unique_ptr<docker::ChildSupervisor> SessionManager::supervise(const SessionPtr& s, docker::ChildProcess proc) {
  // Weak: the session owns its supervisor. A supervisor is always reset
  // before its session leaves the table, so these never hold the last
  // reference.
  std::weak_ptr<Session> weak = s;
  docker::ChildSupervisor::Hooks hooks{[this, weak](int code) {
                                   if (auto p = weak.lock()) on_exit(p, code);
                                 },
                                 [this, weak] {
                                   if (auto p = weak.lock()) on_probe(p);
                                 }};
  return std::make_unique<docker::ChildSupervisor>(std::move(proc), settings_.probe_interval_ms, std::move(hooks));
}

void SessionManager::on_exit(const SessionPtr& s, int code) {
  bool expected = false;
  std::string bridge;
  {
    auto lock = table_.lock();
    s->exit_code = code;
    expected = s->state == SessionState::kStopping;
    untrack_limit(*s, s->pid);
    table_.set_state_locked(*s, SessionState::kExited, expected ? "stopped" : "dockerd exited with code " + std::to_string(code));
    s->failed = !expected;
    bridge = net_of_locked(*s).bridge;
    table_.persist_locked();
  }
  {
    // Marked exited first, then op: whoever holds op now (a create, a delete
    // waiting for this exit) settles the session when it lets go; if nobody
    // does, it is settled here and now — before the event, so a reader of
    // session_exited finds its network already released.
    SessionOp op(*this, s, std::try_to_lock);
  }
  log_.emit(expected ? "session_stopped" : "session_exited",
            {{"session", s->key.text()}, {"exit_code", code}, {"bridge", bridge}});
  if (!expected) metrics_.session_failed("exited");
}

// Every probe interval: the container count answers "is it alive" too.
void SessionManager::on_probe(const SessionPtr& s) {
  std::string socket;
  {
    auto lock = table_.lock();
    if (!session_alive(s->state)) return;
    socket = session_paths(settings_, s->key, s->index).socket;
  }
  auto n = docker::EngineClient(socket, api_timeout_s(settings_)).container_count();
  repair_uplink(s);
  auto lock = table_.lock();
  if (!session_alive(s->state)) return;
  if (n) s->count_containers(*n);
  if (n && s->state == SessionState::kUnresponsive) {
    table_.set_state_locked(*s, SessionState::kRunning, "answers again");
    table_.persist_locked();
  } else if (!n && s->state == SessionState::kRunning) {
    table_.set_state_locked(*s, SessionState::kUnresponsive, n.error().text());
    log_.emit("session_unresponsive", {{"session", s->key.text()}, {"error", n.error().text()}});
    table_.persist_locked();
  }
}

void SessionManager::repair_uplink(const SessionPtr& s) {
  // Never beside a create, delete or bridge of this session: a delete closing
  // the uplink must not find it opened again behind it.
  SessionOp op(*this, s, std::try_to_lock);
  if (!op.owns()) return;
  SessionNet net;
  {
    auto lock = table_.lock();
    if (s->state != SessionState::kRunning || s->network != NetworkMode::kIsolated) return;
    net = net_of_locked(*s);
  }
  auto fail = [&](const Error& e) {
    log_.emit("uplink_repair_failed", {{"session", s->key.text()}, {"uplink", net.uplink}, {"error", e.text()}});
  };
  if (auto st = ensure_firewall(/*verify=*/true); !st) return fail(st.error());
  auto what = network_->repair(net);
  if (!what) return fail(what.error());
  if (!what->empty())
    log_.emit("uplink_repaired", {{"session", s->key.text()}, {"uplink", net.uplink}, {"restored", *what},
                                  {"reason", "removed by something outside hydra"}});
}

Result<StopResult> SessionManager::remove(const SessionKey& key) {
  if (auto st = validate_key(key); !st) return st.error();
  auto found = adopted_session(key);
  if (!found) return found.error();
  SessionPtr s = *found;
  SessionOp op(*this, s);
  StopResult result;
  int index = 0;
  SessionNet net;
  bool host = false;
  {
    auto lock = table_.lock();
    if (s->removed) return make_error("no session " + key.text(), ENOENT);
    result.was_running = session_alive(s->state);
    host = s->host_docker;
    if (result.was_running) table_.set_state_locked(*s, SessionState::kStopping, "delete requested");
    index = s->index;
    net = net_of_locked(*s);
    table_.persist_locked();
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
    auto lock = table_.lock();
    held = s->index_held;
  }
  if (held) release(key, index, net);
  auto lock = table_.lock();
  s->index_held = false;
  s->desktop_container.clear();  // its veth went with the network
  s->desktop_pid = 0;
  s->desktop_resolv.clear();
  if (host) s->started_unix = 0;  // how the next hydrad knows it is stopped
  table_.set_state_locked(*s, SessionState::kExited, "stopped");
  s->failed = false;
  table_.persist_locked();
  if (host) log_.emit("session_stopped", {{"session", key.text()}, {"host_docker", true}});
  return result;
}

void SessionManager::stop_all() {
  std::vector<SessionKey> keys;
  {
    auto lock = table_.lock();
    for (const auto& [k, s] : table_.all_locked())
      if (s->state != SessionState::kExited) keys.push_back(k);
  }
  for (const auto& k : keys)
    if (auto st = remove(k); !st) log_.emit("session_stop_failed", {{"session", k.text()}, {"error", st.error().text()}});
}

void SessionManager::stop_containerd_if_unused() {
  if (!own_containerd_ || !own_containerd_->status().running) return;
  {
    auto lock = table_.lock();
    for (const auto& [k, s] : table_.all_locked())
      if (!s->host_docker && (s->state != SessionState::kExited || s->index_held)) return;
  }
  own_containerd_->stop();
}

Result<uint64_t> SessionManager::purge(const SessionKey& key) {
  if (auto st = validate_key(key); !st) return st.error();
  auto found = find_adopted(key);  // never under a dockerd not adopted yet
  if (!found) return found.error();
  auto s = *found;
  std::optional<SessionOp> op;
  bool host = false;
  if (s) {
    op.emplace(*this, s);
    auto lock = table_.lock();
    if (!s->removed && s->state != SessionState::kExited)
      return make_error("session " + key.text() + " is " + std::string(session_state_name(s->state)) + ": delete it first",
                        EBUSY);
    host = s->host_docker;
  }
  std::string root = data_root_of(settings_, key);
  uint64_t bytes = 0;
  if (!host) {
    // Nothing is deleted while anything is mounted inside: containers its
    // dockerd left running (a dockerd killed with live-restore on) keep
    // their root filesystems there, and a purge that stopped half-way
    // would have lost files for a 409.
    if (auto st = release_data_root_mount(root); !st)
      return make_error("purge " + key.text() + ": " + st.error().text(), st.error().code);
    // Sized while it is deleted: a request for this session only.
    // A session from the warm pool: its data is the link's target.
    const std::string real = resolved_data_root(root);
    auto removed = remove_data_tree(real);
    if (removed && real != root && unlink(root.c_str()) != 0 && errno != ENOENT)
      removed = errno_error("remove the link " + root);
    if (!removed) return make_error("purge " + key.text() + ": " + removed.error().text(), removed.error().code);
    bytes = removed->bytes;
  }
  if (s) {
    auto lock = table_.lock();
    table_.erase_locked(*s);
    table_.persist_locked();
  }
  log_.emit("session_purged", {{"session", key.text()}, {"data_root", host ? "" : root}, {"bytes", bytes}});
  return bytes;
}

}  // namespace hydra::session
