#include "session/session_manager.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "docker/engine_client.hpp"
#include "session/session_network.hpp"

namespace hydra::session {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

Status write_file(const std::string& path, const std::string& text) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!(out << text)) return errno_error("write " + tmp);
  }
  if (rename(tmp.c_str(), path.c_str()) != 0) return errno_error("rename " + tmp);
  return {};
}

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

}  // namespace

SessionManager::SessionManager(SessionSettings settings, std::string state_dir, std::string main_docker_socket,
                               telemetry::EventLog& log, const telemetry::StatusBoard& board, telemetry::Metrics& metrics)
    : settings_(std::move(settings)),
      state_file_(std::move(state_dir) + "/sessions.json"),
      main_socket_(std::move(main_docker_socket)),
      log_(log),
      board_(board),
      metrics_(metrics),
      stop_fd_(eventfd(0, EFD_CLOEXEC)) {}

SessionManager::~SessionManager() {
  uint64_t one = 1;
  if (write(stop_fd_.get(), &one, sizeof one) < 0) {
  }
  for (auto& [_, s] : sessions_)
    if (s->supervisor.joinable()) s->supervisor.join();
}

int SessionManager::protected_restores() const {
  int total = 0;
  for (const auto& b : board_.bridges()) total += b.value("restores", 0);
  return total;
}

std::optional<int> SessionManager::free_index() const {
  for (int n = kMinIndex; n <= kMaxIndex; ++n) {
    bool used = false;
    for (const auto& [_, s] : sessions_) used |= s->index_held && s->index == n;
    if (!used) return n;
  }
  return std::nullopt;
}

void SessionManager::persist() const {
  size_t starting = 0, running = 0, exited = 0;
  for (const auto& [_, s] : sessions_) {
    starting += s->state == "starting" || s->state == "stopping";
    running += s->state == "running";
    exited += s->state == "exited";
  }
  metrics_.sessions(starting, running, 0, exited);
  json arr = json::array();
  for (const auto& [_, s] : sessions_) {
    arr.push_back({{"scope_type", s->key.scope_type}, {"scope_id", s->key.scope_id}, {"user_id", s->user_id},
                   {"index", s->index}, {"index_held", s->index_held}, {"started_unix", s->started_unix},
                   {"desktop_container", s->desktop_container}, {"desktop_pid", s->desktop_pid}});
  }
  if (auto st = write_file(state_file_, arr.dump(2) + "\n"); !st)
    log_.emit("session_state_write_failed", {{"error", st.error().text()}});
}

json SessionManager::info(const Session& s, bool detail) const {
  SessionNet net = session_net(s.index);
  SessionPaths paths = session_paths(settings_, s.key, s.index);
  json j{{"scope_type", s.key.scope_type}, {"scope_id", s.key.scope_id}, {"user_id", s.user_id},
         {"docker_socket", paths.socket}, {"docker_host", "unix://" + paths.socket}, {"data_root", paths.data_root},
         {"status", s.state}, {"bridge_name", net.bridge}, {"subnet", net.subnet}, {"gateway", net.gateway},
         {"address_pool", net.address_pool}, {"index", s.index}};
  if (!s.desktop_container.empty())
    j["desktop"] = {{"container_id", s.desktop_container}, {"pid", s.desktop_pid}, {"ip", net.desktop_ip},
                    {"veth", net.desktop_veth}};
  if (!detail) return j;
  j["pid"] = s.proc ? json(s.proc->pid()) : json(nullptr);
  j["uptime_seconds"] = s.state == "running" ? json(time(nullptr) - s.started_unix) : json(nullptr);
  j["container_count"] = nullptr;
  if (s.state == "running") {
    auto ids = docker::EngineClient(paths.socket).running_containers();
    if (ids) j["container_count"] = ids->size();
  }
  if (s.exit_code) j["exit_code"] = *s.exit_code;
  return j;
}

void SessionManager::release(Session& s) {
  if (!s.index_held) return;
  if (auto st = delete_session_network(session_net(s.index)); !st)
    log_.emit("session_cleanup_failed", {{"session", s.key.text()}, {"error", st.error().text()}});
  s.index_held = false;  // freed exactly once
}

void SessionManager::on_exit(Session& s, int code) {
  std::lock_guard lock(mu_);
  s.exit_code = code;
  bool expected = s.state == "stopping";
  s.state = "exited";
  release(s);
  s.supervisor_done = true;
  persist();
  log_.emit(expected ? "session_stopped" : "session_exited",
            {{"session", s.key.text()}, {"exit_code", code}, {"bridge", session_net(s.index).bridge}});
  exited_.notify_all();
}

void SessionManager::supervise(Session& s) {
  s.supervisor = std::thread([this, &s] {
    int code = -1;
    if (s.proc->wait_exit_for(stop_fd_.get(), -1, code) == docker::DockerdProcess::Waited::kExited) on_exit(s, code);
  });
}

Status SessionManager::recover() {
  std::ifstream in(state_file_);
  if (!in) return {};
  std::stringstream text;
  text << in.rdbuf();
  auto arr = json::parse(text.str(), nullptr, false);
  if (!arr.is_array()) return make_error(state_file_ + " is not a JSON array", EINVAL);
  std::lock_guard op(op_mu_);
  std::lock_guard lock(mu_);
  for (const auto& j : arr) {
    auto s = std::make_unique<Session>();
    s->key = {j.value("scope_type", ""), j.value("scope_id", "")};
    if (!validate_key(s->key)) continue;
    s->user_id = j.value("user_id", "");
    s->index = j.value("index", 0);
    s->started_unix = j.value("started_unix", int64_t{0});
    s->desktop_container = j.value("desktop_container", "");
    s->desktop_pid = j.value("desktop_pid", 0);
    s->state = "exited";
    if (j.value("index_held", false) && s->index >= kMinIndex && s->index <= kMaxIndex) {
      SessionPaths paths = session_paths(settings_, s->key, s->index);
      pid_t pid = read_pidfile(paths.pidfile);
      auto proc = pid > 0 && process_alive(pid) ? docker::DockerdProcess::adopt(pid)
                                                : Result<docker::DockerdProcess>(make_error("no live pid"));
      if (proc && docker::EngineClient(paths.socket).ping(2)) {
        s->proc = std::make_unique<docker::DockerdProcess>(std::move(*proc));
        s->state = "running";
        s->index_held = true;
        log_.emit("session_adopted", {{"session", s->key.text()}, {"pid", pid}, {"bridge", session_net(s->index).bridge}});
      } else {
        s->index_held = true;
        release(*s);  // its dockerd is gone: clean what it left
      }
    }
    auto& ref = *s;
    sessions_[s->key] = std::move(s);
    if (ref.state == "running") supervise(ref);
  }
  persist();
  return {};
}

Result<std::pair<json, bool>> SessionManager::create(const SessionKey& key, const std::string& user_id) {
  if (auto st = validate_key(key); !st) return st.error();
  std::lock_guard op(op_mu_);
  Session* s = nullptr;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(key);
    if (it != sessions_.end() && it->second->state == "running") return std::make_pair(info(*it->second, false), false);
    if (it != sessions_.end() && it->second->supervisor.joinable()) it->second->supervisor.join();
    auto index = free_index();
    if (!index) return make_error("all 254 session indexes are in use", ENOSPC);
    auto fresh = std::make_unique<Session>();
    fresh->key = key;
    fresh->user_id = user_id;
    fresh->index = *index;
    fresh->index_held = true;
    fresh->state = "starting";
    s = fresh.get();
    sessions_[key] = std::move(fresh);
    persist();
  }
  const int64_t t0 = static_cast<int64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                              std::chrono::steady_clock::now().time_since_epoch())
                                              .count());
  const int restores_before = protected_restores();
  SessionNet net = session_net(s->index);
  SessionPaths paths = session_paths(settings_, key, s->index);
  auto fail = [&](const Error& e) -> Error {
    std::lock_guard lock(mu_);
    if (s->proc) s->proc->stop(2000);
    release(*s);
    sessions_.erase(key);
    persist();
    log_.emit("session_start_failed", {{"session", key.text()}, {"error", e.text()}});
    return e;
  };
  if (auto st = create_session_bridge(net); !st) return fail(st.error());
  if (auto st = make_dirs(paths.dir, 0700); !st) return fail(st.error());
  if (auto st = make_dirs(paths.data_root, 0710); !st) return fail(st.error());
  unlink(paths.socket.c_str());
  for (const auto& pidfile : {paths.pidfile, paths.exec_root + "/containerd/containerd.pid"})
    if (auto st = clear_stale_pidfile(pidfile); !st) return fail(st.error());
  if (auto st = write_file(paths.config_file, daemon_json(net, settings_).dump(2) + "\n"); !st) return fail(st.error());
  auto proc = docker::DockerdProcess::spawn(dockerd_argv(net, paths, settings_), paths.log);
  if (!proc) return fail(proc.error());
  s->proc = std::make_unique<docker::DockerdProcess>(std::move(*proc));
  if (auto st = s->proc->wait_ready(paths.socket, settings_.start_timeout_ms); !st)
    return fail(make_error(st.error().text() + "; dockerd log: " + log_tail(paths.log), st.error().code));
  const int64_t t1 = static_cast<int64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                              std::chrono::steady_clock::now().time_since_epoch())
                                              .count());
  std::lock_guard lock(mu_);
  s->state = "running";
  s->started_unix = time(nullptr);
  supervise(*s);
  persist();
  const int touched = protected_restores() - restores_before;
  metrics_.session_started(static_cast<double>(t1 - t0) / 1e6);
  log_.emit("session_started", {{"session", key.text()}, {"bridge", net.bridge}, {"pid", s->proc->pid()},
                                {"start_us", t1 - t0}, {"live_restore", settings_.live_restore},
                                {"protected_bridges_touched", touched > 0}, {"protected_restores", touched}});
  return std::make_pair(info(*s, false), true);
}

json SessionManager::list() const {
  std::lock_guard lock(mu_);
  json arr = json::array();
  for (const auto& [_, s] : sessions_) arr.push_back(info(*s, false));
  return arr;
}

Result<json> SessionManager::inspect(const SessionKey& key) const {
  if (auto st = validate_key(key); !st) return st.error();
  std::lock_guard lock(mu_);
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return make_error("no session " + key.text(), ENOENT);
  return info(*it->second, true);
}

size_t SessionManager::running() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& [_, s] : sessions_) n += s->state == "running";
  return n;
}

Status SessionManager::remove(const SessionKey& key) {
  if (auto st = validate_key(key); !st) return st;
  std::lock_guard op(op_mu_);
  Session* s = nullptr;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(key);
    if (it == sessions_.end()) return make_error("no session " + key.text(), ENOENT);
    s = it->second.get();
    if (s->state == "running") s->state = "stopping";
  }
  if (s->state == "stopping") {
    // Containers first, through the Engine API, so they stop cleanly.
    docker::EngineClient engine(session_paths(settings_, key, s->index).socket);
    if (auto ids = engine.running_containers(); ids) {
      for (const auto& id : *ids)
        if (auto st = engine.stop_container(id, 10); !st)
          log_.emit("container_stop_failed", {{"session", key.text()}, {"error", st.error().text()}});
    }
    s->proc->signal(SIGTERM);
    std::unique_lock lock(mu_);
    if (!exited_.wait_for(lock, std::chrono::milliseconds(settings_.stop_timeout_ms), [&] { return s->supervisor_done; })) {
      s->proc->signal(SIGKILL);
      exited_.wait(lock, [&] { return s->supervisor_done; });
    }
  }
  std::lock_guard lock(mu_);
  if (s->supervisor.joinable()) s->supervisor.join();
  release(*s);
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
  std::lock_guard op(op_mu_);
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(key);
    if (it != sessions_.end() && it->second->state != "exited")
      return make_error("session " + key.text() + " is " + it->second->state + ": delete it first", EBUSY);
  }
  std::string root = session_paths(settings_, key, 1).data_root;
  std::error_code ec;
  if (!fs::exists(root, ec)) return make_error("no data for " + key.text(), ENOENT);
  fs::remove_all(root, ec);
  if (ec) return make_error("remove " + root + ": " + ec.message(), ec.value());
  log_.emit("session_purged", {{"session", key.text()}, {"data_root", root}});
  return {};
}

Result<json> SessionManager::bridge_desktop(const SessionKey& key, const std::string& container_id) {
  if (auto st = validate_key(key); !st) return st.error();
  if (container_id.empty() || container_id.size() > 128 ||
      container_id.find_first_of("/?#% ") != std::string::npos)
    return make_error("desktop_container_id is empty or not a container id or name", EINVAL);
  std::lock_guard op(op_mu_);
  Session* s = nullptr;
  {
    std::lock_guard lock(mu_);
    auto it = sessions_.find(key);
    if (it == sessions_.end()) return make_error("no session " + key.text(), ENOENT);
    if (it->second->state != "running") return make_error("session " + key.text() + " is not running", EBUSY);
    s = it->second.get();
  }
  auto pid = docker::EngineClient(main_socket_).container_pid(container_id);
  if (!pid) return pid.error();
  SessionNet net = session_net(s->index);
  std::lock_guard lock(mu_);
  if (s->desktop_container == container_id && s->desktop_pid == *pid && desktop_bridged(net)) return info(*s, false);
  if (auto st = session::bridge_desktop(net, *pid); !st) return st.error();
  bool rebridged = !s->desktop_container.empty();
  s->desktop_container = container_id;
  s->desktop_pid = *pid;
  persist();
  log_.emit("desktop_bridged", {{"session", key.text()}, {"container", container_id}, {"pid", *pid},
                                {"veth", net.desktop_veth}, {"ip", net.desktop_ip}, {"rebridged", rebridged}});
  return info(*s, false);
}

Status SessionManager::unbridge_desktop(const SessionKey& key) {
  if (auto st = validate_key(key); !st) return st;
  std::lock_guard op(op_mu_);
  std::lock_guard lock(mu_);
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return make_error("no session " + key.text(), ENOENT);
  Session& s = *it->second;
  if (s.desktop_container.empty()) return make_error("session " + key.text() + " has no desktop bridged", ENOENT);
  if (s.index_held)
    if (auto st = session::unbridge_desktop(session_net(s.index)); !st) return st;
  log_.emit("desktop_unbridged", {{"session", key.text()}, {"container", s.desktop_container}});
  s.desktop_container.clear();
  s.desktop_pid = 0;
  persist();
  return {};
}

}  // namespace hydra::session
