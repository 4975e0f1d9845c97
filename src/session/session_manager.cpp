#include "session/session_manager.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>

#include "base/clock.hpp"
#include "base/state_file.hpp"
#include "docker/engine_client.hpp"
#include "session/session_network.hpp"

namespace hydra::session {

namespace fs = std::filesystem;

namespace {

Status make_dirs(const std::string& dir, mode_t mode) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return make_error("create " + dir + ": " + ec.message(), ec.value());
  chmod(dir.c_str(), mode);
  return {};
}

std::string log_tail(const std::string& path) {
  std::ifstream in(path);
  std::string line, last;
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  for (size_t i = lines.size() > 3 ? lines.size() - 3 : 0; i < lines.size(); ++i) last += lines[i] + "\n";
  return last;
}

pid_t read_pidfile(const std::string& path) {
  std::ifstream in(path);
  long pid = 0;
  in >> pid;
  return static_cast<pid_t>(pid);
}

// True while `pid` runs (a zombie does not: its parent just has not reaped it).
bool process_alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  auto close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

// dockerd refuses to start while its pidfile names a live process, and
// waits for "its" containerd while containerd's pidfile does. Pidfiles left
// by a crash (the process gone, or a zombie nobody reaped) are removed; a
// live process is a conflict.
Status clear_stale_pidfile(const std::string& path) {
  pid_t pid = read_pidfile(path);
  if (pid > 0 && process_alive(pid))
    return make_error("a dockerd (pid " + std::to_string(pid) + ") still holds " + path, EBUSY);
  unlink(path.c_str());
  return {};
}

// Seconds for the Engine API calls that must answer quickly.
long api_timeout_s(const SessionSettings& s) { return std::max(1, s.api_timeout_ms / 1000); }

}  // namespace

SessionManager::SessionManager(SessionSettings settings, std::string state_dir, std::string main_docker_socket,
                               FileWriter& writer, telemetry::EventLog& log, const telemetry::StatusBoard& board,
                               telemetry::Metrics& metrics)
    : settings_(std::move(settings)),
      store_(std::move(state_dir) + "/sessions.json", writer),
      main_socket_(std::move(main_docker_socket)),
      log_(log),
      board_(board),
      metrics_(metrics) {}

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

void SessionManager::set_state(Session& s, SessionState next, const std::string& reason) {
  s.reason = next == SessionState::kUnresponsive || next == SessionState::kExited ? reason : "";
  if (s.state == next) return;
  log_.emit("session_state", {{"session", s.key.text()}, {"from", session_state_name(s.state)},
                              {"to", session_state_name(next)}, {"reason", reason}});
  s.state = next;
}

SessionView SessionManager::view(const Session& s) const {
  SessionView v;
  v.key = s.key;
  v.user_id = s.user_id;
  v.index = s.index;
  v.state = s.state;
  v.reason = s.reason;
  v.net = session_net(s.index);
  v.paths = session_paths(settings_, s.key, s.index);
  v.desktop_container = s.desktop_container;
  v.desktop_pid = s.desktop_pid;
  if (s.pid > 0 && session_alive(s.state)) v.pid = s.pid;
  if (session_alive(s.state)) v.uptime_seconds = time(nullptr) - s.started_unix;
  v.exit_code = s.exit_code;
  return v;
}

std::optional<int> SessionManager::free_index() const {
  std::set<int> held;
  for (const auto& [_, s] : sessions_)
    if (s->index_held) held.insert(s->index);
  return lowest_free_index(held);
}

SessionCounts SessionManager::counts_locked() const {
  SessionCounts c;
  for (const auto& [_, s] : sessions_) {
    c.starting += s->state == SessionState::kStarting || s->state == SessionState::kStopping;
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

void SessionManager::persist() {
  std::vector<SessionRecord> records;
  for (const auto& [_, s] : sessions_)
    records.push_back({s->key, s->user_id, s->index, s->index_held, s->started_unix, s->desktop_container,
                       s->desktop_pid});
  const SessionCounts c = counts_locked();
  metrics_.sessions(c.starting, c.running, c.unresponsive, c.exited);
  store_.save(records);  // written by the writer's thread
}

SessionManager::SessionPtr SessionManager::find(const SessionKey& key) const {
  std::lock_guard lock(mu_);
  auto it = sessions_.find(key);
  return it == sessions_.end() ? nullptr : it->second;
}

void SessionManager::release_network(const SessionKey& key, int index) {
  if (auto st = delete_session_network(session_net(index)); !st)
    log_.emit("session_cleanup_failed", {{"session", key.text()}, {"error", st.error().text()}});
}

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
  int index = 0;
  {
    std::lock_guard lock(mu_);
    s->exit_code = code;
    expected = s->state == SessionState::kStopping;
    set_state(*s, SessionState::kExited, expected ? "stopped" : "dockerd exited with code " + std::to_string(code));
    release = op.owns_lock() && s->index_held;
    index = s->index;
  }
  if (release) release_network(s->key, index);
  std::lock_guard lock(mu_);
  if (release) s->index_held = false;
  persist();
  log_.emit(expected ? "session_stopped" : "session_exited",
            {{"session", s->key.text()}, {"exit_code", code}, {"bridge", session_net(index).bridge}});
}

void SessionManager::on_probe(const SessionPtr& s) {
  std::string socket;
  {
    std::lock_guard lock(mu_);
    if (!session_alive(s->state)) return;
    socket = session_paths(settings_, s->key, s->index).socket;
  }
  auto st = docker::EngineClient(socket).ping(api_timeout_s(settings_));
  std::lock_guard lock(mu_);
  if (!session_alive(s->state)) return;
  if (st && s->state == SessionState::kUnresponsive) {
    set_state(*s, SessionState::kRunning, "answers /_ping again");
    persist();
  } else if (!st && s->state == SessionState::kRunning) {
    set_state(*s, SessionState::kUnresponsive, st.error().text());
    log_.emit("session_unresponsive", {{"session", s->key.text()}, {"error", st.error().text()}});
    persist();
  }
}

void SessionManager::recover() {
  auto loaded = store_.load();
  if (!loaded) {
    log_.emit("state_file_corrupt", {{"file", store_.path()}, {"error", loaded.error().text()},
                                     {"action", "sessions of the previous hydrad are not recovered"}});
    return;
  }
  if (!loaded->moved_aside.empty())
    log_.emit("state_file_corrupt", {{"file", store_.path()}, {"error", loaded->skipped.front()},
                                     {"moved_to", loaded->moved_aside},
                                     {"action", "sessions of the previous hydrad are not recovered"}});
  else
    for (const auto& why : loaded->skipped)
      log_.emit("session_entry_skipped", {{"file", store_.path()}, {"problem", why}});
  std::vector<SessionPtr> recovered;
  for (const auto& r : loaded->records) {
    auto s = std::make_shared<Session>(r.key);
    s->user_id = r.user_id;
    s->index = r.index;
    s->started_unix = r.started_unix;
    s->desktop_container = r.desktop_container;
    s->desktop_pid = r.desktop_pid;
    s->state = SessionState::kExited;
    if (r.index_held) {
      SessionPaths paths = session_paths(settings_, r.key, r.index);
      pid_t pid = read_pidfile(paths.pidfile);
      auto proc = pid > 0 && process_alive(pid) ? docker::DockerdProcess::adopt(pid)
                                                : Result<docker::DockerdProcess>(make_error("no live pid"));
      if (proc) {
        // Alive: adopted whether it answers or not (a hung dockerd is
        // reported unresponsive, never cleaned away under its containers).
        auto ping = docker::EngineClient(paths.socket).ping(api_timeout_s(settings_));
        s->state = ping ? SessionState::kRunning : SessionState::kUnresponsive;
        s->reason = ping ? "" : ping.error().text();
        s->pid = pid;
        s->index_held = true;
        s->supervisor = supervise(s, std::move(*proc));
        log_.emit("session_adopted", {{"session", r.key.text()}, {"pid", pid}, {"bridge", session_net(r.index).bridge},
                                      {"status", session_state_name(s->state)}});
      } else {
        release_network(r.key, r.index);  // its dockerd is gone: clean what it left
      }
    }
    recovered.push_back(std::move(s));
  }
  std::lock_guard lock(mu_);
  for (auto& s : recovered) sessions_[s->key] = std::move(s);
  persist();
}

Result<std::pair<SessionView, bool>> SessionManager::create(const SessionKey& key, const std::string& user_id) {
  if (auto st = validate_key(key); !st) return st.error();
  for (;;) {
    SessionPtr s;
    bool fresh = false;
    {
      std::lock_guard lock(mu_);
      auto it = sessions_.find(key);
      if (it != sessions_.end()) {
        s = it->second;
      } else {
        auto index = free_index();
        if (!index) return make_error("all 254 session indexes are in use", ENOSPC);
        s = std::make_shared<Session>(key);
        s->index = *index;
        s->index_held = true;
        s->user_id = user_id;
        sessions_[key] = s;
        fresh = true;
        log_.emit("session_state", {{"session", key.text()}, {"from", nullptr}, {"to", "starting"},
                                    {"reason", "create requested"}});
        persist();
      }
    }
    std::unique_lock op(s->op);
    {
      std::lock_guard lock(mu_);
      if (s->removed) continue;  // deleted while this request waited: look again
      if (session_alive(s->state)) return std::make_pair(view(*s), false);
      if (!fresh) {
        if (!s->index_held) {
          auto index = free_index();
          if (!index) return make_error("all 254 session indexes are in use", ENOSPC);
          s->index = *index;
          s->index_held = true;
        }
        s->user_id = user_id;
        s->exit_code.reset();
        set_state(*s, SessionState::kStarting, "create requested");
        persist();
      }
    }
    s->supervisor.reset();  // the watcher of an exited dockerd: done
    return start(s);
  }
}

Result<std::pair<SessionView, bool>> SessionManager::start(const SessionPtr& s) {
  const int64_t t0 = monotonic_us();
  const int restores_before = protected_restores();
  const SessionKey& key = s->key;
  int index = 0;
  {
    std::lock_guard lock(mu_);
    index = s->index;
  }
  SessionNet net = session_net(index);
  SessionPaths paths = session_paths(settings_, key, index);
  std::optional<docker::DockerdProcess> proc;
  auto fail = [&](const Error& e) -> Error {
    if (proc) proc->stop(2000);
    release_network(key, index);
    {
      std::lock_guard lock(mu_);
      s->index_held = false;
      s->removed = true;
      set_state(*s, SessionState::kExited, e.text());
      sessions_.erase(key);
      persist();
    }
    log_.emit("session_start_failed", {{"session", key.text()}, {"error", e.text()}});
    return e;
  };
  if (auto st = create_session_bridge(net); !st) return fail(st.error());
  if (auto st = make_dirs(paths.dir, 0700); !st) return fail(st.error());
  if (auto st = make_dirs(paths.data_root, 0710); !st) return fail(st.error());
  unlink(paths.socket.c_str());
  for (const auto& pidfile : {paths.pidfile, paths.exec_root + "/containerd/containerd.pid"})
    if (auto st = clear_stale_pidfile(pidfile); !st) return fail(st.error());
  if (auto st = write_state_file(paths.config_file, daemon_json(net, settings_).dump(2) + "\n", 0644); !st)
    return fail(st.error());
  auto spawned = docker::DockerdProcess::spawn(dockerd_argv(net, paths, settings_), paths.log);
  if (!spawned) return fail(spawned.error());
  proc.emplace(std::move(*spawned));
  if (auto st = proc->wait_ready(paths.socket, settings_.start_timeout_ms); !st)
    return fail(make_error(st.error().text() + "; dockerd log: " + log_tail(paths.log), st.error().code));
  const int64_t t1 = monotonic_us();
  const pid_t pid = proc->pid();
  s->supervisor = supervise(s, std::move(*proc));
  std::lock_guard lock(mu_);
  s->pid = pid;
  s->started_unix = time(nullptr);
  set_state(*s, SessionState::kRunning, "dockerd answers /_ping");
  persist();
  const int touched = protected_restores() - restores_before;
  metrics_.session_started(static_cast<double>(t1 - t0) / 1e6);
  log_.emit("session_started", {{"session", key.text()}, {"bridge", net.bridge}, {"pid", pid},
                                {"start_us", t1 - t0}, {"live_restore", settings_.live_restore},
                                {"protected_bridges_touched", touched > 0}, {"protected_restores", touched}});
  return std::make_pair(view(*s), true);
}

std::vector<SessionView> SessionManager::list() const {
  std::lock_guard lock(mu_);
  std::vector<SessionView> out;
  for (const auto& [_, s] : sessions_) out.push_back(view(*s));
  return out;
}

Result<SessionView> SessionManager::inspect(const SessionKey& key) {
  if (auto st = validate_key(key); !st) return st.error();
  auto s = find(key);
  if (!s) return make_error("no session " + key.text(), ENOENT);
  SessionView v;
  {
    std::lock_guard lock(mu_);
    v = view(*s);
  }
  if (!session_alive(v.state)) return v;
  // Outside every lock, and bounded: a hung dockerd costs this request
  // api_timeout, and marks the session unresponsive for everyone else.
  auto ids = docker::EngineClient(v.paths.socket, api_timeout_s(settings_)).running_containers();
  std::lock_guard lock(mu_);
  if (!session_alive(s->state)) return view(*s);
  if (ids) {
    if (s->state == SessionState::kUnresponsive) set_state(*s, SessionState::kRunning, "answers again");
  } else if (s->state == SessionState::kRunning) {
    set_state(*s, SessionState::kUnresponsive, ids.error().text());
    log_.emit("session_unresponsive", {{"session", key.text()}, {"error", ids.error().text()}});
    persist();
  }
  v = view(*s);
  if (ids) v.container_count = ids->size();
  return v;
}

Status SessionManager::remove(const SessionKey& key) {
  if (auto st = validate_key(key); !st) return st;
  auto s = find(key);
  if (!s) return make_error("no session " + key.text(), ENOENT);
  std::lock_guard op(s->op);
  bool alive = false;
  int index = 0;
  {
    std::lock_guard lock(mu_);
    if (s->removed) return make_error("no session " + key.text(), ENOENT);
    alive = session_alive(s->state);
    if (alive) set_state(*s, SessionState::kStopping, "delete requested");
    index = s->index;
    persist();
  }
  if (alive && s->supervisor) {
    // Containers first, through the Engine API, so they stop cleanly; a
    // dockerd that does not answer gets its signals anyway.
    docker::EngineClient engine(session_paths(settings_, key, index).socket, api_timeout_s(settings_));
    if (auto ids = engine.running_containers(); ids) {
      for (const auto& id : *ids)
        if (auto st = engine.stop_container(id, settings_.stop_timeout_ms / 1000); !st)
          log_.emit("container_stop_failed", {{"session", key.text()}, {"error", st.error().text()}});
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
  if (held) release_network(key, index);
  std::lock_guard lock(mu_);
  s->index_held = false;
  s->removed = true;
  sessions_.erase(key);
  persist();
  return {};
}

void SessionManager::stop_all() {
  std::vector<SessionKey> keys;
  {
    std::lock_guard lock(mu_);
    for (const auto& [k, _] : sessions_) keys.push_back(k);
  }
  for (const auto& k : keys)
    if (auto st = remove(k); !st) log_.emit("session_stop_failed", {{"session", k.text()}, {"error", st.error().text()}});
}

Status SessionManager::purge(const SessionKey& key) {
  if (auto st = validate_key(key); !st) return st;
  auto s = find(key);
  std::unique_lock<std::mutex> op;
  if (s) {
    op = std::unique_lock(s->op);
    std::lock_guard lock(mu_);
    if (!s->removed && s->state != SessionState::kExited)
      return make_error("session " + key.text() + " is " + std::string(session_state_name(s->state)) + ": delete it first",
                        EBUSY);
  }
  std::string root = session_paths(settings_, key, 1).data_root;
  std::error_code ec;
  if (!fs::exists(root, ec)) return make_error("no data for " + key.text(), ENOENT);
  fs::remove_all(root, ec);
  if (ec) return make_error("remove " + root + ": " + ec.message(), ec.value());
  log_.emit("session_purged", {{"session", key.text()}, {"data_root", root}});
  return {};
}

Result<SessionView> SessionManager::bridge_desktop(const SessionKey& key, const std::string& container_id) {
  if (auto st = validate_key(key); !st) return st.error();
  if (container_id.empty() || container_id.size() > 128 ||
      container_id.find_first_of("/?#% ") != std::string::npos)
    return make_error("desktop_container_id is empty or not a container id or name", EINVAL);
  auto s = find(key);
  if (!s) return make_error("no session " + key.text(), ENOENT);
  std::lock_guard op(s->op);
  int index = 0;
  std::string current;
  pid_t current_pid = 0;
  {
    std::lock_guard lock(mu_);
    if (s->removed) return make_error("no session " + key.text(), ENOENT);
    if (!session_alive(s->state)) return make_error("session " + key.text() + " is not running", EBUSY);
    index = s->index;
    current = s->desktop_container;
    current_pid = s->desktop_pid;
  }
  auto pid = docker::EngineClient(main_socket_, api_timeout_s(settings_)).container_pid(container_id);
  if (!pid) return pid.error();
  SessionNet net = session_net(index);
  if (current == container_id && current_pid == *pid && desktop_bridged(net)) {
    std::lock_guard lock(mu_);
    return view(*s);
  }
  if (auto st = session::bridge_desktop(net, *pid); !st) return st.error();
  std::lock_guard lock(mu_);
  s->desktop_container = container_id;
  s->desktop_pid = *pid;
  persist();
  log_.emit("desktop_bridged", {{"session", key.text()}, {"container", container_id}, {"pid", *pid},
                                {"veth", net.desktop_veth}, {"ip", net.desktop_ip}, {"rebridged", !current.empty()}});
  return view(*s);
}

Status SessionManager::unbridge_desktop(const SessionKey& key) {
  if (auto st = validate_key(key); !st) return st;
  auto s = find(key);
  if (!s) return make_error("no session " + key.text(), ENOENT);
  std::lock_guard op(s->op);
  std::string container;
  bool held = false;
  int index = 0;
  {
    std::lock_guard lock(mu_);
    if (s->removed) return make_error("no session " + key.text(), ENOENT);
    if (s->desktop_container.empty()) return make_error("session " + key.text() + " has no desktop bridged", ENOENT);
    container = s->desktop_container;
    held = s->index_held;
    index = s->index;
  }
  if (held)
    if (auto st = session::unbridge_desktop(session_net(index)); !st) return st;
  std::lock_guard lock(mu_);
  log_.emit("desktop_unbridged", {{"session", key.text()}, {"container", container}});
  s->desktop_container.clear();
  s->desktop_pid = 0;
  persist();
  return {};
}

}  // namespace hydra::session
