// The sessions: one dockerd per session on its own hydraN bridge. Called from
// the API's connection threads; one mutex serialises changes, a supervisor
// thread per dockerd notices when it exits.
#pragma once

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "base/unique_fd.hpp"
#include "docker/dockerd_process.hpp"
#include "telemetry/event_log.hpp"
#include "telemetry/metrics.hpp"
#include "telemetry/status_board.hpp"
#include "session/session_spec.hpp"

namespace hydra::session {

class SessionManager {
 public:
  SessionManager(SessionSettings settings, std::string state_dir, std::string main_docker_socket,
                 telemetry::EventLog& log, const telemetry::StatusBoard& board, telemetry::Metrics& metrics);
  ~SessionManager();  // leaves running dockerds running, for adoption
  SessionManager(const SessionManager&) = delete;
  SessionManager& operator=(const SessionManager&) = delete;

  // Loads the sessions of a previous hydrad: running dockerds are adopted
  // (pidfile + ping), dead ones cleaned and their index freed.
  Status recover();

  // 201 + info when started, 200 + info when already running. Errors carry
  // errno codes the API maps: EINVAL 400, ENOENT 404, ENOSPC/EBUSY 409, else 500.
  Result<std::pair<nlohmann::json, bool>> create(const SessionKey& key, const std::string& user_id);
  nlohmann::json list() const;
  Result<nlohmann::json> inspect(const SessionKey& key) const;
  // Stops its containers through its Engine API, then dockerd; removes its
  // bridge and veths; keeps the data root.
  Status remove(const SessionKey& key);
  // Deletes the data root of a session that is not running.
  Status purge(const SessionKey& key);
  Result<nlohmann::json> bridge_desktop(const SessionKey& key, const std::string& container_id);
  Status unbridge_desktop(const SessionKey& key);
  [[nodiscard]] size_t running() const;
  // Deletes every session (containers, dockerd, bridge); data is kept.
  void stop_all();

 private:
  struct Session {
    SessionKey key;
    std::string user_id;
    int index = 0;
    bool index_held = false;
    std::string state = "starting";  // starting | running | stopping | exited
    std::optional<int> exit_code;
    int64_t started_unix = 0;
    std::string desktop_container;
    pid_t desktop_pid = 0;
    std::unique_ptr<docker::DockerdProcess> proc;
    std::thread supervisor;
    bool supervisor_done = false;
  };

  nlohmann::json info(const Session& s, bool detail) const;
  std::optional<int> free_index() const;
  void supervise(Session& s);
  void on_exit(Session& s, int code);
  void release(Session& s);
  // Writes sessions.json and refreshes the hydra_sessions gauges.
  void persist() const;
  int protected_restores() const;

  SessionSettings settings_;
  std::string state_file_;
  std::string main_socket_;
  telemetry::EventLog& log_;
  const telemetry::StatusBoard& board_;
  telemetry::Metrics& metrics_;
  mutable std::mutex mu_;           // guards sessions_
  std::mutex op_mu_;                // one create/remove/bridge at a time
  std::condition_variable exited_;
  std::map<SessionKey, std::unique_ptr<Session>> sessions_;
  UniqueFd stop_fd_;                // eventfd: tells supervisors hydrad is leaving
};

}  // namespace hydra::session
